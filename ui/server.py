"""What ``streamlit run ui/server.py`` serves: the app (``dashboard.py`` and ``pages/``) plus the
login and logout pages (ui/web.py), on one port, with the page shell in French. AppTest and the
page tests use dashboard.py directly; a browser always goes through here."""

import sys
from pathlib import Path

# uvicorn imports this file as a top-level module from ui/: the project root (dashboard.py's
# folder, which `streamlit run dashboard.py` would put first) must be importable too.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from ui.web import FrenchPages, routes  # noqa: E402

app = st.App("../dashboard.py", routes=routes(), middleware=[Middleware(FrenchPages)])


def _leave_long_lived_objects_out_of_garbage_collection() -> None:
    """Streamlit collects all garbage after every script run (runner.postScriptGC), the live
    refresh's every two seconds included: scanning the modules the pages use (pandas, plotly,
    SQLAlchemy, the app's own) took ~170 ms a run on a two-core server. They live as long as the
    server: imported now, they are left out of every collection (what a run makes still is).
    Not the exports' libraries (fpdf2: 16 MB), which only the pages that export load."""
    import gc
    import logging

    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import plotly.io  # noqa: F401

    # Each cached loader declared before the runtime starts logs « No runtime found » (its cache
    # is made at its first call, in the runtime): not a word of it for the terminal.
    quiet = [logging.getLogger(f"streamlit.runtime.caching.{api}") for api in ("cache_data_api", "cache_resource_api")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.ERROR)
    try:
        import ui.editing  # noqa: F401
        import ui.fiche  # noqa: F401
        import ui.frame  # noqa: F401
        import ui.importing  # noqa: F401
        import ui.slides  # noqa: F401
    finally:
        for log, level in zip(quiet, levels):
            log.setLevel(level)

    gc.collect()
    gc.freeze()


_leave_long_lived_objects_out_of_garbage_collection()
