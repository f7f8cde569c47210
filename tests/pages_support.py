"""Helpers for the AppTest page tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # AppTest's default 3 s is too short for a cold import on a loaded CI machine


def open_page(script: str, url: str, **params) -> AppTest:
    """Open ``script`` as a user would: the app starts on dashboard.py (the entrypoint, which
    page links resolve against), then goes to the page with the URL's query parameters."""
    os.environ["PST_DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    if script != "dashboard.py":
        at.run()
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
