"""A Bureau slide as HTML (for ``st.html``): one 16:9 canvas whose every size is a share of its
width (``cqw``), so the same slide reads the same on a 1920 × 1080 projector, a 1280 × 720 one
and in the page's column. Text from the plan is escaped: it is shown as text, never as markup.

Sizes match what ``pst_data.slides`` counts: text of 1.15cqw (22 px at 1920 wide) on lines of
1.25, so a slide's content never needs a scroll bar."""

from __future__ import annotations

import re
from html import escape
from typing import Any

import pandas as pd

from pst_data.rules.formatting import fmt_percent, plural
from pst_data.rules.progress import NO_BAND
from pst_data.slides import TABLE_SHARES, Slide, title_scale

ASCII_SPACES = re.compile(r"[ \t\r\n\f\v]+")

SLIDE_CSS = """
.pst-stage {container-type: inline-size; width: 100%;}
.pst-slide {position: relative; box-sizing: border-box; width: 100cqw; height: 56.25cqw; overflow: hidden;
  padding: 2cqw 3cqw; background: #fff; color: #1b1b1b; font-family: "Source Sans Pro", "DejaVu Sans", Arial, sans-serif;
  font-size: 1.15cqw; line-height: 1.25; border: 1px solid #d0d4da; border-radius: 0.4cqw;}
.pst-slide h1 {font-size: 2.3cqw; line-height: 1.15; margin: 0 0 0.4cqw; padding: 0; color: #0b2e59; font-weight: 700;}
.pst-slide h2 {font-size: 1.35cqw; margin: 0.6cqw 0 0.5cqw; padding: 0; color: #0b2e59; font-weight: 600;}
.pst-subtitle {font-size: 1.25cqw; color: #3d4450; margin: 0 0 0.6cqw;}
.pst-figures {display: flex; gap: 1.2cqw; margin: 0.4cqw 0 0.6cqw;}
.pst-figure {flex: 1 1 auto; border-left: 0.3cqw solid #0b2e59; padding: 0.2cqw 0.8cqw;}
.pst-figure-value {font-size: 2.8cqw; font-weight: 700; color: #0b2e59; line-height: 1.1; white-space: nowrap;}
.pst-figure-label {font-size: 1.1cqw; color: #3d4450;}
.pst-note {margin: 0 0 0.4cqw; font-size: 1.15cqw;}
.pst-bar {display: grid; grid-template-columns: 44% 1fr 13cqw; align-items: center; gap: 1cqw;
  margin: 0 0 0.7cqw;}
.pst-bar-name b {color: #0b2e59;}
.pst-bar-track {position: relative; height: 1.6cqw; background: #eef0f3; border-radius: 0.2cqw;}
.pst-bar-tick {position: absolute; top: -0.3cqw; width: 0.3cqw; height: 2.2cqw; margin-left: -0.15cqw; background: #1b1b1b;}
.pst-bar-fill {height: 100%; border-radius: 0.2cqw;}
.pst-bar-value {font-size: 1.4cqw; font-weight: 700; white-space: nowrap;}
.pst-bar-value small {display: block; font-size: 0.95cqw; font-weight: 400; color: #3d4450;}
.pst-legend {display: flex; flex-wrap: wrap; gap: 0.4cqw 1.4cqw; font-size: 1.05cqw; color: #3d4450; margin-top: 0.3cqw;}
.pst-swatch {display: inline-block; width: 1cqw; height: 1cqw; border-radius: 0.15cqw; margin-right: 0.4cqw;
  vertical-align: -0.1cqw;}
.pst-table {border-collapse: collapse; width: 100%; font-size: 1.15cqw; table-layout: fixed;}
.pst-table th {text-align: left; background: #0b2e59; color: #fff; padding: 0.35cqw 0.6cqw; font-weight: 600;}
.pst-table td {padding: 0.3cqw 0.6cqw; vertical-align: top; border-bottom: 1px solid #d0d4da; overflow-wrap: anywhere;}
.pst-table tr:nth-child(even) td {background: #f4f6f8;}
.pst-empty {font-size: 1.6cqw; margin-top: 2cqw;}
.st-key-prev_slide_remote, .st-key-next_slide_remote {position: fixed !important; left: -10000px !important;}
.pst-counter {position: absolute; right: 1.5cqw; bottom: 0.8cqw; font-size: 0.9cqw; color: #5a6270;
  text-decoration: none;}
"""

# The projector: the slide alone, as large as the screen allows (16:9, letterboxed in black),
# Streamlit's own bars, menus, sidebar and the page's controls out of sight. The controls stay
# in the page (off screen), so the arrow keys and a presenter's remote still turn the slides.
PROJECTOR_CSS = """
header[data-testid='stHeader'], [data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],
[data-testid='stToolbar'], [data-testid='stDecoration'], [data-testid='stStatusWidget'],
[data-testid='stSidebarNav'], footer {display: none !important;}
.st-key-slide_controls, .st-key-page_messages {position: fixed !important; left: -10000px !important; top: 0;}
html, body, [data-testid='stApp'], [data-testid='stAppViewContainer'], [data-testid='stMain'] {
  background: #000 !important; overflow: hidden !important;}
[data-testid='stMainBlockContainer'] {padding: 0 !important; max-width: none !important;}
.pst-stage {position: fixed; z-index: 999990; width: min(100vw, calc(100vh * 16 / 9));
  left: 50%; top: 50%; transform: translate(-50%, -50%);}
.pst-slide {border: none; border-radius: 0;}
"""


def _text(value: Any) -> str:
    """Escaped, on one line (a non-breaking space stays: « 58,9 % » never breaks)."""
    return escape(ASCII_SPACES.sub(" ", str(value)).strip())


def _bars(slide: Slide) -> str:
    bars = slide.bars
    if bars is None or bars.empty:
        return ""
    rows = []
    for row in bars.itertuples(index=False):
        missing = row.mean_progress is None or pd.isna(row.mean_progress)
        width = 0.0 if missing else max(0.0, min(100.0, float(row.mean_progress)))
        value = "aucun taux" if missing else fmt_percent(row.mean_progress)
        has_expected = row.expected is not None and not pd.isna(row.expected)
        detail = (f"attendu {fmt_percent(row.expected)} · " if has_expected else "") + plural(row.actions, "action") \
            + (f", {row.unassessed} sans taux" if row.unassessed and not missing else "")
        tick = (f"<div class='pst-bar-tick' style='left:{max(0.0, min(100.0, float(row.expected))):.1f}%'></div>"
                if has_expected else "")
        rows.append(
            f"<div class='pst-bar' role='listitem'>"
            f"<div class='pst-bar-name'><b>{_text(row.code)}</b> {_text(row.name)}</div>"
            f"<div class='pst-bar-track' aria-hidden='true'><div class='pst-bar-fill' "
            f"style='width:{width:.1f}%;background:{escape(row.colour)}'></div>{tick}</div>"
            f"<div class='pst-bar-value'>{escape(value)}<small>{escape(detail)}</small></div></div>")
    used = dict(zip(bars["category"], bars["colour"], strict=True))
    legend = "".join(f"<span><span class='pst-swatch' style='background:{escape(colour)}'></span>{_text(label)}</span>"
                     for label, colour in used.items() if label != NO_BAND)
    return (f"<h2>{_text(slide.bars_title)}</h2><div role='list' aria-label='{_text(slide.bars_title)}'>"
            + "".join(rows) + "</div>" + (f"<div class='pst-legend'>{_text(slide.legend_title)} — {legend}</div>"
                                          if legend else ""))


def _table(rows: pd.DataFrame, kind: str) -> str:
    # Fixed column widths: the deck counted its lines against them.
    shares = TABLE_SHARES[kind]
    cols = "".join(f"<col style='width:{shares.get(c, 10)}%'>" for c in rows.columns)
    head = "".join(f"<th scope='col'>{_text(c)}</th>" for c in rows.columns)
    body = "".join("<tr>" + "".join(f"<td>{_text(v)}</td>" for v in row) + "</tr>"
                   for row in rows.itertuples(index=False))
    return f"<table class='pst-table'><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def slide_html(slide: Slide, number: int, total: int, counter_href: str | None = None) -> str:
    """The slide's HTML; ``counter_href`` makes the slide counter a link (leaving projector mode)."""
    scale = title_scale(slide.title)
    size = "" if scale == 1 else f" style='font-size: {2.3 * scale:.2f}cqw'"
    parts = [f"<h1{size}>{_text(slide.title)}</h1>"]
    if slide.subtitle:
        parts.append(f"<p class='pst-subtitle'>{_text(slide.subtitle)}</p>")
    if slide.figures:
        parts.append("<div class='pst-figures'>" + "".join(
            f"<div class='pst-figure'><div class='pst-figure-value'>{_text(value)}</div>"
            f"<div class='pst-figure-label'>{_text(label)}</div></div>" for label, value in slide.figures) + "</div>")
    if slide.note:
        parts.append(f"<p class='pst-note'>{_text(slide.note)}</p>")
    parts.append(_bars(slide))
    if slide.kind in TABLE_SHARES:
        parts.append(_table(slide.rows, slide.kind) if slide.rows is not None else f"<p class='pst-empty'>{_text(slide.empty)}</p>")
    counter = f"{number} / {total}"
    if counter_href:
        parts.append(f"<a class='pst-counter' href='{escape(counter_href)}' title='Quitter le mode projecteur'>"
                     f"{counter}</a>")
    else:
        parts.append(f"<div class='pst-counter'>{counter}</div>")
    return (f"<div class='pst-stage'><section class='pst-slide' aria-label='Diapositive {counter}'>"
            + "".join(parts) + "</section></div>")
