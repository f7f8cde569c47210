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

from pst_data.rules.text import printable, shorten
from pst_data.slides import TABLE_SHARES, Slide, build_deck, title_scale

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
TITLE_ONLY = 5  # layout of python-pptx's default template
NAVY = RGBColor(0x1A, 0x23, 0x7E)
GREY = RGBColor(0x55, 0x5F, 0x6D)
HEADER = RGBColor(0x19, 0x76, 0xD2)
PERCENT = '0" %"'


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _short(text: str, limit: int) -> str:
    """On one line (slide cells and axis labels do not wrap well), then shortened."""
    return shorten(" ".join(printable(str(text)).split()), limit)


def _title(slide, text: str) -> None:
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(1.0)
    shape.text = printable(text)
    paragraph = shape.text_frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    paragraph.runs[0].font.size = Pt(round(30 * title_scale(text)))  # as on the page
    paragraph.runs[0].font.bold = True
    paragraph.runs[0].font.color.rgb = NAVY


def _text(slide, left, top, width, height, text: str, size: int, colour: RGBColor = GREY,
          bold: bool = False) -> None:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    frame.text = printable(text)
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


def _bar_chart(slide, bars: pd.DataFrame, left, top, width, height, title: str) -> None:
    data = CategoryChartData(number_format=PERCENT)
    data.categories = [f"{printable(str(c))} · {_short(t, 70)}" for c, t in zip(bars["code"], bars["name"], strict=True)]
    means = [None if pd.isna(v) else round(float(v), 1) for v in bars["mean_progress"]]
    data.add_series("Taux moyen", means)
    # A running plan: the taux its dates expect today, beside each bar (grey).
    with_expected = bars["expected"].notna().any()
    if with_expected:
        data.add_series("Attendu aujourd'hui", [None if pd.isna(v) else round(float(v), 1) for v in bars["expected"]])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data).chart
    chart.has_legend = bool(with_expected)
    if with_expected:
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(12)
    chart.has_title = True
    chart.chart_title.text_frame.text = printable(title)
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(16)
    chart.category_axis.reverse_order = True  # first objective on top, as in the plan
    chart.category_axis.tick_labels.font.size = Pt(13)
    axis = chart.value_axis
    axis.minimum_scale, axis.maximum_scale, axis.major_unit = 0, 100, 25
    axis.tick_labels.font.size = Pt(12)
    axis.tick_labels.number_format, axis.tick_labels.number_format_is_linked = PERCENT, False
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = PERCENT, False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    labels.font.size = Pt(14)
    for point, colour in zip(plot.series[0].points, bars["colour"], strict=True):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(colour)
    if with_expected:
        plot.series[1].format.fill.solid()
        plot.series[1].format.fill.fore_color.rgb = _rgb("#9e9e9e")


def _table(slide, rows: pd.DataFrame, top, widths: dict[str, float] | None = None) -> None:
    """The slide's rows (the deck already spread a long list over several slides)."""
    height = Inches(0.4) * (len(rows) + 1)
    table = slide.shapes.add_table(len(rows) + 1, len(rows.columns), MARGIN, top, WIDTH - 2 * MARGIN, height).table
    total = sum((widths or {}).get(c, 1.0) for c in rows.columns)
    for j, column in enumerate(rows.columns):
        table.columns[j].width = Emu(int((WIDTH - 2 * MARGIN) * (widths or {}).get(column, 1.0) / total))
        table.cell(0, j).text = printable(str(column))
    for i, row in enumerate(rows.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
                else " ".join(printable(str(value)).split())
    for i in range(len(rows) + 1):
        for j in range(len(rows.columns)):
            for paragraph in table.cell(i, j).text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(12 if i else 13)


def _add(prs: Presentation, spec: Slide, plan: dict[str, Any], number: int, total: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    _title(slide, spec.title)
    top = Inches(1.35)
    if spec.subtitle:
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.5), spec.subtitle, 16)
        top += Inches(0.55)
    if spec.figures:
        _figures(slide, spec.figures, top)
        top += Inches(1.3)
    if spec.note:
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.5), spec.note, 14)
        top += Inches(0.5)
    if spec.bars is not None and not spec.bars.empty:
        _bar_chart(slide, spec.bars, MARGIN, top, WIDTH - 2 * MARGIN, HEIGHT - top - Inches(0.45),
                   spec.bars_title)
    if spec.kind in TABLE_SHARES and spec.rows is not None:
        _table(slide, spec.rows, top, TABLE_SHARES[spec.kind])
    elif spec.kind in TABLE_SHARES:
        _text(slide, MARGIN, top + Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.6), spec.empty, 20)
    _text(slide, WIDTH - Inches(1.6), HEIGHT - Inches(0.45), Inches(1.2), Inches(0.35), f"{number} / {total}", 11)


def build_pptx(plan: dict[str, Any], deck: list[Slide]) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = deck[0].title if deck else plan["title"]
    prs.core_properties.language = "fr-BE"
    for number, spec in enumerate(deck, start=1):
        _add(prs, spec, plan, number, len(deck))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def plan_deck(session, plan: dict[str, Any], actions: pd.DataFrame, since: dt.date, today: dt.date,
              filter_text: str, bureau: dt.date | None = None, reading: str | None = None) -> bytes:
    """The deck of ``actions`` (a filtered actions frame of ``plan``), read from the session;
    ``bureau``: the Bureau ``since`` follows (its date names the changes slide); ``reading``:
    what colours describe (pst_data.rules.schedule; default: the plan's phase)."""
    from pst_data import queries
    from pst_data.rules.timeline import trajectories

    changes = queries.recent_changes(session, plan["id"], None, since)
    paths = trajectories(queries.progress_events(session, plan["id"]), actions, plan, today)
    return build_pptx(plan, build_deck(plan, actions, changes, since, today, filter_text, bureau=bureau,
                                       trajectories=paths, reading=reading))
