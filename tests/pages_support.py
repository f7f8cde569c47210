"""Helpers for the AppTest page tests."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from pst_data import accounts
from tests.people import PASSWORD, PEOPLE

LOGIN_BY_NAME = {name: login for login, name, _role, _plans in PEOPLE}

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # AppTest's default 3 s is too short for a cold import on a loaded CI machine


def _once_per_process() -> None:
    """What AppTest redoes for every new page, though nothing of it changes during a test run:
    the scan of every installed package for Streamlit components (~0.1 s) and the compilation of
    the scripts (parsed again for Streamlit's « magic »). Together 5 % of the page tests' time."""
    from streamlit.components.v2 import manifest_scanner
    from streamlit.runtime.scriptrunner import script_cache

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
    compiled: dict = {}
    start = script_cache.ScriptCache.__init__

    def __init__(self) -> None:
        start(self)
        self._cache = compiled  # scripts are looked up by their absolute path

    script_cache.ScriptCache.__init__ = __init__


_once_per_process()


def browser_session(login: str | None) -> None:
    """The session cookie the next page runs see: a real login (password checked, session row
    in the database) for ``login``, or no cookie at all. AppTest cannot send cookies, so the
    one function that reads them is replaced."""
    import ui.auth

    token = None
    if login:
        engine = make_engine(os.environ["PST_DATABASE_URL"])
        result = accounts.log_in(engine, login, PASSWORD)
        engine.dispose()
        assert result.token, result.message
        token = result.token
    ui.auth.request_token = lambda: token
    st.cache_data.clear()


def sign_in(at: AppTest, name: str = "Claire Martin") -> AppTest:
    """Log in as the test account with this name, then run the page again."""
    browser_session(LOGIN_BY_NAME[name])
    return at.run()


def open_page(script: str, url: str, login: str | None = None, **params) -> AppTest:
    """Open ``script`` as a user would: a page of the app whose main script is dashboard.py (page
    links resolve against it), with the URL's query parameters;
    ``login``: logged in as that test account (else without an account)."""
    os.environ["PST_DATABASE_URL"] = url
    browser_session(login)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    if script != "dashboard.py":
        # No st.navigation here: the page is found by its file name without a first run of the
        # overview (which cost each page test a whole dashboard)
        at.switch_page(script)
    at.query_params.clear()
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
