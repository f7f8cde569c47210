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
