"""Small display pieces shared by pages (no rules here: values come formatted from pst_data)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from pst_data.rules import charts, schedule
from pst_data.rules.formatting import EMPTY
from pst_data.rules.text import md_escape, text_colour_on
from ui.data import frame_digest


PLOTLY_CONFIG = {"displaylogo": False, "locale": "fr"}


def show_table(data, **kwargs):
    """st.dataframe with empty cells shown « — » (Streamlit writes « None »)."""
    kwargs.setdefault("placeholder", EMPTY)
    return st.dataframe(data, **kwargs)


@st.cache_data(max_entries=512, show_spinner=False)
def _table_drawn(fingerprint: str, _rows: pd.DataFrame, kwargs: tuple) -> None:
    show_table(_rows, **dict(kwargs))


def cached_table(rows, **kwargs) -> None:
    """A table nobody selects in, replayed whole by st.cache_data from a digest of its rows:
    turning a frame into the browser's format costs a few milliseconds a table on every rerun."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    _table_drawn(frame_digest(frame), frame, tuple(sorted(kwargs.items())))


def chart(fig, key: str | None = None, on_select: str = "ignore"):
    """A plotly figure; ``on_select="rerun"`` returns the clicked bars (selection points)."""
    alt = charts.text_alternative(fig if isinstance(fig, dict) else fig.to_dict())  # what screen readers say
    if on_select == "ignore":
        return st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key, alt=alt)
    return st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key, on_select=on_select,
                           selection_mode="points", alt=alt)


def clicked_rows(event, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``rows`` whose bar was clicked (horizontal bars are drawn last row on top)."""
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", []) or []
    indexes = sorted({len(rows) - 1 - p["point_index"] for p in points if 0 <= p.get("point_index", -1) < len(rows)})
    return rows.iloc[indexes]


@st.cache_data(max_entries=512, show_spinner=False)
def _figure(builder: str, fingerprint: str, _rows: pd.DataFrame, args: tuple, kwargs: tuple) -> dict:
    return getattr(charts, builder)(_rows, *args, **dict(kwargs)).to_dict()


@st.cache_data(max_entries=512, show_spinner=False)
def _drawn(builder: str, fingerprint: str, _rows: pd.DataFrame, args: tuple, kwargs: tuple, key: str | None) -> None:
    """The chart element itself, replayed by st.cache_data on later runs: st.plotly_chart
    validates a figure again on every call (a third of the overview's warm run at L)."""
    chart(_figure(builder, fingerprint, _rows, args, kwargs), key=key)


def cached_chart(builder: str, rows: pd.DataFrame, *args, key: str | None = None, on_select: str = "ignore",
                 **kwargs):
    """``charts.<builder>(rows, ...)`` drawn from a cache keyed by its (small) input: building a
    plotly figure is about half of a warm page run (benchmarks/README.md). A chart nobody clicks
    is replayed whole; a clickable one (a widget, which a cache cannot replay) is drawn from its
    cached figure."""
    frozen, fingerprint = tuple(sorted(kwargs.items())), frame_digest(rows)
    if on_select == "ignore":
        return _drawn(builder, fingerprint, rows, args, frozen, key)
    return chart(_figure(builder, fingerprint, rows, args, frozen), key=key, on_select=on_select)


COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_TAG_COLOUR = "#6c757d"


def label_tags(names: list[str], labels: pd.DataFrame) -> str:
    """Coloured tags as HTML, for st.markdown(unsafe_allow_html=True).

    Markdown still reads the text between our tags (a name "**x**" would be bold, "![](…)" an
    image), so names get md_escape, whose backslash escapes also keep "<" and "&" as text; the
    line starts with our <span> and a name, so it is never an HTML block where Markdown would not
    look. A colour goes into a style attribute: only "#rrggbb" is used."""
    colours = dict(zip(labels["name"], labels["colour"], strict=True)) if not labels.empty else {}

    def colour(name: str) -> str:
        value = str(colours.get(name) or "")
        return value if COLOUR.match(value) else DEFAULT_TAG_COLOUR

    return " ".join(
        f"<span style='background:{colour(n)};color:{text_colour_on(colour(n))};border-radius:0.6em;"
        f"padding:0.1em 0.6em;font-size:0.85em;white-space:nowrap'>{md_escape(n)}</span>"
        for n in names
    )


READING_CHOICE = "pst_reading"  # plan slug -> the reading a person chose (survives page switches)
READING_LABELS = {schedule.CALENDAR: "Calendrier", schedule.LEGEND: "Bandes d'évaluation"}


def chosen_reading(plan: dict, today) -> str:
    """The reading a person chose for this plan (``reading_choice``), else the plan's phase's."""
    return st.session_state.get(READING_CHOICE, {}).get(plan["slug"], schedule.default_reading(plan, today))


def reading_choice(plan: dict, today, key: str) -> str:
    """What the page's colours describe: the calendar while the plan runs, the evaluation
    legend once its period is over (pst_data.rules.schedule.default_reading); the person may choose
    the other, for this plan, on every page."""
    chosen = st.session_state.setdefault(READING_CHOICE, {})
    default = schedule.default_reading(plan, today)
    current = chosen.get(plan["slug"], default)

    def keep() -> None:
        value = st.session_state.get(key)
        if value:
            chosen[plan["slug"]] = value

    st.session_state[key] = current
    st.segmented_control(
        "Couleurs", options=list(READING_LABELS), format_func=READING_LABELS.get, key=key, on_change=keep,
        help="« Calendrier » : où en est chaque action par rapport au taux que ses dates attendent aujourd'hui "
             "(dans les temps, en retard sur le calendrier, très en retard, échéance dépassée). « Bandes "
             "d'évaluation » : la légende du plan (Réalisé, En cours, À réorienter…), faite pour l'évaluation "
             "à mi-parcours et finale. Par défaut : le calendrier tant que le plan court, la légende une fois "
             "sa période terminée.")
    return st.session_state.get(key) or current



def download_button(container, label: str, build, file_name: str, mime: str, **kwargs):
    """A file built only when clicked (``build`` is called then), and a click that does not rerun
    the page: a rerun gives the button a new deferred file id and drops the old one, so the
    file asked for by the click could be gone before it was built (the download then fails)."""
    return container.download_button(label, data=build, file_name=file_name, mime=mime, on_click="ignore", **kwargs)
