"""PowerPoint deck (python-pptx): the Présentation page's slides as an editable 16:9 deck.

Charts are native PowerPoint charts (editable, their data travels with the file), so nothing
needs a browser to render them. Titles are the layout's title placeholders: the deck's outline
and accessibility readers see them.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from pst_data.charts import band_colours
from pst_data.progress import band_for, rollup
from pst_data.slides import Slide, build_deck
from pst_data.text import shorten
from pst_data.views import changes_table

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
TITLE_ONLY = 5  # layout of python-pptx's default template
NAVY = RGBColor(0x1A, 0x23, 0x7E)
GREY = RGBColor(0x55, 0x5F, 0x6D)
HEADER = RGBColor(0x19, 0x76, 0xD2)
TABLE_ROWS = 9  # more would not be readable on a projector; the rest is counted
PERCENT = '0" %"'


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _short(text: str, limit: int) -> str:
    """On one line (slide cells and axis labels do not wrap well), then shortened."""
    return shorten(" ".join(str(text).split()), limit)


def _title(slide, text: str) -> None:
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(1.0)
    shape.text = text
    paragraph = shape.text_frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    paragraph.runs[0].font.size = Pt(30 if len(text) <= 60 else 24 if len(text) <= 100 else 20)
    paragraph.runs[0].font.bold = True
    paragraph.runs[0].font.color.rgb = NAVY


def _text(slide, left, top, width, height, text: str, size: int, colour: RGBColor = GREY,
          bold: bool = False) -> None:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    frame.text = text
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour


def _figures(slide, figures: list[tuple[str, str]], top) -> None:
    """Big numbers in a row, label underneath (long values such as code lists are left to the
    caller: they do not fit a card)."""
    if not figures:
        return
    width = (WIDTH - 2 * MARGIN) / len(figures)
    size = 32 if len(figures) <= 5 else 24
    for i, (label, value) in enumerate(figures):
        left = MARGIN + Emu(int(width * i))
        _text(slide, left, top, Emu(int(width)), Inches(0.8), value, size, NAVY, bold=True)
        _text(slide, left, top + Inches(0.75), Emu(int(width)), Inches(0.6), label, 13)


def _bar_chart(slide, rows: pd.DataFrame, code_col: str, title_col: str, bands, left, top, width, height,
               title: str) -> None:
    data = CategoryChartData(number_format=PERCENT)
    data.categories = [f"{c} · {_short(t, 45)}" for c, t in zip(rows[code_col], rows[title_col], strict=True)]
    means = [None if pd.isna(v) else round(float(v), 1) for v in rows["mean_progress"]]
    data.add_series("Taux moyen", means)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data).chart
    chart.has_legend = False
    chart.has_title = True
    chart.chart_title.text_frame.text = title
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(14)
    chart.category_axis.reverse_order = True  # first objective on top, as in the plan
    chart.category_axis.tick_labels.font.size = Pt(11)
    axis = chart.value_axis
    axis.minimum_scale, axis.maximum_scale, axis.major_unit = 0, 100, 25
    axis.tick_labels.font.size = Pt(10)
    axis.tick_labels.number_format, axis.tick_labels.number_format_is_linked = PERCENT, False
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = PERCENT, False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    labels.font.size = Pt(11)
    colours = band_colours(bands)
    for point, mean in zip(plot.series[0].points, means, strict=True):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(colours[band_for(mean, bands)])


def _table(slide, rows: pd.DataFrame, top, widths: dict[str, float] | None = None) -> None:
    shown = rows.head(TABLE_ROWS)
    height = Inches(0.4) * (len(shown) + 1)
    table = slide.shapes.add_table(len(shown) + 1, len(rows.columns), MARGIN, top, WIDTH - 2 * MARGIN, height).table
    total = sum((widths or {}).get(c, 1.0) for c in rows.columns)
    for j, column in enumerate(rows.columns):
        table.columns[j].width = Emu(int((WIDTH - 2 * MARGIN) * (widths or {}).get(column, 1.0) / total))
        table.cell(0, j).text = str(column)
    for i, row in enumerate(shown.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
                else _short(value, 90)
    for i in range(len(shown) + 1):
        for j in range(len(rows.columns)):
            for paragraph in table.cell(i, j).text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(11 if i else 12)
    if len(rows) > len(shown):
        # At the foot of the slide: rows grow with their text, so the table's end is not known.
        _text(slide, MARGIN, HEIGHT - Inches(0.5), WIDTH - 2 * MARGIN, Inches(0.4),
              f"… et {len(rows) - len(shown)} autre(s) : la liste complète est dans l'application.", 12)


def _add(prs: Presentation, spec: Slide, plan: dict[str, Any], actions: pd.DataFrame) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    _title(slide, spec.title)
    bands = plan["evaluation_bands"]
    if spec.subtitle:
        _text(slide, MARGIN, Inches(1.25), WIDTH - 2 * MARGIN, Inches(0.5), spec.subtitle, 16)
    if spec.kind == "title":
        _figures(slide, spec.figures, Inches(1.9))
        per_os = rollup(actions, ["os_code", "os_title"], bands)
        if not per_os.empty:
            _bar_chart(slide, per_os, "os_code", "os_title", bands, MARGIN, Inches(3.4), WIDTH - 2 * MARGIN,
                       Inches(3.9), "Taux moyen par objectif stratégique")
    elif spec.kind == "os":
        cards = [(label, value) for label, value in spec.figures if not label.startswith("Priorité")]
        _figures(slide, cards, Inches(1.45))
        top_priority = [(label, value) for label, value in spec.figures if label.startswith("Priorité")]
        for label, value in top_priority:
            _text(slide, MARGIN, Inches(2.75), WIDTH - 2 * MARGIN, Inches(0.5), f"{label} : {value}", 14)
        mine = actions[actions["os_code"] == spec.os_code]
        per_oo = rollup(mine, ["oo_code", "oo_title"], bands)
        _bar_chart(slide, per_oo, "oo_code", "oo_title", bands, MARGIN, Inches(3.2), WIDTH - 2 * MARGIN,
                   Inches(4.1), "Taux moyen par objectif opérationnel")
    elif spec.kind == "changes":
        if spec.rows is None:
            _text(slide, MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(0.6), "Aucune modification depuis cette date.", 20)
        else:
            _table(slide, changes_table(spec.rows), Inches(1.9),
                   {"Quand": 1.3, "Qui": 1.3, "Action": 0.8, "Champ": 1.2, "Avant": 1.0, "Après": 1.0,
                    "Commentaire": 2.4})
    elif spec.kind == "late":
        if spec.rows is None:
            _text(slide, MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(0.6), "Aucun projet en retard.", 20)
        else:
            _table(slide, spec.rows, Inches(1.9), {"Code": 0.7, "Action": 4.0, "Taux": 0.7, "Échéance": 1.0,
                                                    "Chef de projet": 1.6})


def build_pptx(plan: dict[str, Any], deck: list[Slide], actions: pd.DataFrame) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = deck[0].title if deck else plan["title"]
    prs.core_properties.language = "fr-BE"
    for spec in deck:
        _add(prs, spec, plan, actions)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def plan_deck(session, plan: dict[str, Any], actions: pd.DataFrame, since: dt.date, today: dt.date,
              filter_text: str) -> bytes:
    """The deck of ``actions`` (a filtered actions frame of ``plan``), read from the session."""
    from pst_data import queries

    changes = queries.recent_changes(session, plan["id"], 500, since)
    return build_pptx(plan, build_deck(plan, actions, changes, since, today, filter_text), actions)
