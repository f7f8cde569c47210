"""Small display pieces shared by pages (no rules here: values come formatted from pst_data)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from pst_data import charts


PLOTLY_CONFIG = {"displaylogo": False, "locale": "fr"}


def chart(fig, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)


@st.cache_data(max_entries=512, show_spinner=False)
def _figure(builder: str, rows: pd.DataFrame, args: tuple, kwargs: tuple) -> dict:
    return getattr(charts, builder)(rows, *args, **dict(kwargs)).to_dict()


def cached_chart(builder: str, rows: pd.DataFrame, *args, key: str | None = None, **kwargs) -> None:
    """``charts.<builder>(rows, ...)`` drawn from a cache keyed by its (small) input: building a
    plotly figure is about half of a warm page run (benchmarks/README.md)."""
    chart(_figure(builder, rows, args, tuple(sorted(kwargs.items()))), key=key)


def label_tags(names: list[str], labels: pd.DataFrame) -> str:
    """Coloured tags as HTML (rendered with unsafe_allow_html; names are escaped)."""
    colours = dict(zip(labels["name"], labels["colour"], strict=True)) if not labels.empty else {}
    return " ".join(
        f"<span style='background:{colours.get(n, '#6c757d')};color:white;border-radius:0.6em;"
        f"padding:0.1em 0.6em;font-size:0.85em;white-space:nowrap'>{html.escape(n)}</span>"
        for n in names
    )
