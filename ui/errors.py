"""No traceback reaches a browser: an unexpected error shows a French message with a reference,
and the traceback goes to the server's log under that reference (what the IT person needs).

``showErrorDetails = "none"`` in .streamlit/config.toml is the second guard (it hides details
of anything raised before a page installs this one). ``PST_DEBUG=1`` shows Streamlit's own
exception box instead, as the tests want (a failing page must fail its test loudly).
"""

from __future__ import annotations

import logging
import os
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

log = logging.getLogger("pst_pilot.pages")


def install_error_message() -> None:
    """Call first in every page run (the frame does)."""
    if os.environ.get("PST_DEBUG"):
        return
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.on_script_error = _show_french_error


def _show_french_error(error: Exception) -> bool:
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error on a page, reference %s", reference, exc_info=error)
    st.error(f"Une erreur inattendue a interrompu cette page. Rechargez-la ; si l'erreur revient, "
             f"communiquez la référence {reference} au service informatique (le détail est dans le "
             f"journal du serveur).", icon=":material/error:")
    return True  # Streamlit shows nothing else
