"""Small display pieces shared by pages (no rules here: values come formatted from pst_data)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from pst_data.actions import FIELD_LABELS
from pst_data.formatting import EMPTY, fmt_datetime, fmt_percent

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


def changes_table(changes: pd.DataFrame) -> pd.DataFrame:
    """History rows as users read them."""
    if changes.empty:
        return pd.DataFrame(columns=["Quand", "Qui", "Action", "Champ", "Avant", "Après", "Commentaire"])
    return pd.DataFrame({
        "Quand": [fmt_datetime(v) for v in changes["changed_at"]],
        "Qui": changes["changed_by"],
        "Action": changes["action_code"],
        "Champ": [FIELD_LABELS.get(f, f) for f in changes["field"]],
        "Avant": [_value(v, f) for v, f in zip(changes["old_value"], changes["field"], strict=True)],
        "Après": [_value(v, f) for v, f in zip(changes["new_value"], changes["field"], strict=True)],
        "Commentaire": changes["comment"].fillna(""),
    })


def _value(value, field: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return EMPTY
    if field == "progress":
        return fmt_percent(float(value), 0)
    return str(value)
