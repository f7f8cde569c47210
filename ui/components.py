"""Small display pieces shared by pages (no rules here: values come formatted from pst_data)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st


PLOTLY_CONFIG = {"displaylogo": False, "locale": "fr"}


def chart(fig, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)


def label_tags(names: list[str], labels: pd.DataFrame) -> str:
    """Coloured tags as HTML (rendered with unsafe_allow_html; names are escaped)."""
    colours = dict(zip(labels["name"], labels["colour"], strict=True)) if not labels.empty else {}
    return " ".join(
        f"<span style='background:{colours.get(n, '#6c757d')};color:white;border-radius:0.6em;"
        f"padding:0.1em 0.6em;font-size:0.85em;white-space:nowrap'>{html.escape(n)}</span>"
        for n in names
    )
