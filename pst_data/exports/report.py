"""The PST evaluation report (art. 27ter of the organic law of 8 July 1976), as a PDF (fpdf2).

Shaped like the reports CPAS assemble by hand today (Binche's final evaluation): a cover, the
plan's figures, per OS a page "En quelques chiffres" (chart, bands, mean taux), then one fiche
per action with every field, its taux, its status and its last comments. It can describe the
plan "as of" a past day, rebuilt from the history (pst_data.as_of).

Fonts: DejaVu Sans ships in ./fonts so accents, € and ’ render on any machine.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import History
from pst_data.actions import FIELD_LABELS
from pst_data.as_of import PlanAsOf, plan_as_of
from pst_data.exports import line_width
from pst_data.indicator_store import plan_indicators
from pst_data.rules import schedule
from pst_data.rules.charts import band_colours
from pst_data.rules.clock import day_end_utc
from pst_data.rules.follow_up import health_text
from pst_data.rules.formatting import EMPTY, fmt_date, fmt_datetime, fmt_euro, fmt_number, fmt_percent, plural
from pst_data.rules.indicators import indicator_row, indicator_summary
from pst_data.rules.indicators import as_of as indicators_as_of
from pst_data.rules.progress import NO_BAND, band_for, rollup, schedule_of, summarise
from pst_data.rules.text import shorten
from pst_data.rules.timeline import trajectories
from pst_data.aggregates import resource_sentence, resource_totals, schedule_line, synergy_rows, synergy_sentence

FONTS = Path(__file__).resolve().parent / "fonts"
KINDS = {"mi-parcours": "Évaluation à mi-parcours", "finale": "Évaluation finale"}
LAW = ("Article 27ter de la loi organique des CPAS du 8 juillet 1976 : le programme stratégique "
       "transversal fait l'objet d'une évaluation à mi-parcours et en fin de législature.")
NAVY = (26, 35, 126)
GREY = (85, 95, 109)
LIGHT = (232, 236, 244)
COMMENTS_PER_FICHE = 3
BOOKMARK_MAX = 120  # characters of a title in the PDF's bookmarks and sommaire


@dataclass
class ReportInput:
    plan: dict[str, Any]
    kind: str  # a key of KINDS
    state: PlanAsOf
    comments: dict[int, list[dict[str, Any]]]  # action id -> latest comments, newest first
    produced: dt.date
    filter_text: str = ""
    indicators: list[dict[str, Any]] = field(default_factory=list)  # measured, values up to the report's day
    trajectories: dict[str, Any] = field(default_factory=dict)  # timeline.trajectories, up to the report's day


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, str)):
        return len(value) == 0
    return bool(pd.isna(value))


line_width.install()  # fpdf2's line breaking without its O(n²) width (see the module)

class ReportPDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.add_font("DejaVu", "I", FONTS / "DejaVuSans-Oblique.ttf")
        self.set_font("DejaVu", size=10)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_lang("fr-BE")
        # fpdf2 replaces « {nb} » in any text by the number of pages: a description that says
        # « {nb} » must print « {nb} » (the footer writes its page numbers itself).
        self.alias_nb_pages("")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        # Pages the table of contents adds are inserted at the end: their number is not known.
        self.cell(0, 5, "sommaire" if self.in_toc_rendering else f"page {self.page_no()}", align="R")
        self.set_text_color(0, 0, 0)

    # -- building blocks ------------------------------------------------------------------
    def fit(self, text: str, width: float) -> str:
        """``text`` shortened until it fits ``width`` mm in the current font."""
        limit = len(text)
        while limit > 4 and self.get_string_width(shorten(text, limit)) > width:
            limit -= 1
        return shorten(text, limit)

    def heading(self, text: str, size: int = 16, colour=NAVY, section_level: int | None = None) -> None:
        if section_level is not None:
            self.start_section(shorten(text, BOOKMARK_MAX), level=section_level, strict=False)
        self.set_font("DejaVu", "B", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)
        self.ln(2)

    def paragraph(self, text: str, size: float = 10, style: str = "", colour=(0, 0, 0)) -> None:
        self.set_font("DejaVu", style, size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)

    def figures(self, items: list[tuple[str, str]]) -> None:
        """Big numbers side by side, their label underneath."""
        width = (self.epw) / max(len(items), 1)
        top = self.get_y()
        for i, (label, value) in enumerate(items):
            self.set_xy(self.l_margin + i * width, top)
            self.set_font("DejaVu", "B", 18)
            self.set_text_color(*NAVY)
            self.cell(width, 9, value)
            self.set_xy(self.l_margin + i * width, top + 9)
            self.set_font("DejaVu", "", 8.5)
            self.set_text_color(*GREY)
            self.multi_cell(width - 2, 4, label, align="L")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)
        self.set_xy(self.l_margin, top + 19)

    def progress_bars(self, rows: pd.DataFrame, code_col: str, title_col: str, bands, title: str) -> None:
        """Horizontal bars of mean taux, coloured by band (drawn, so nothing renders outside)."""
        label_w, bar_w, row_h = 72, self.epw - 72 - 16, 6.5
        self.paragraph(title, 10, "B")
        self.ln(1)
        colours = band_colours(bands)
        for code, name, mean in zip(rows[code_col], rows[title_col], rows["mean_progress"], strict=True):
            if self.will_page_break(row_h + 1):
                self.add_page()
            top = self.get_y()
            self.set_font("DejaVu", "", 8)
            self.set_xy(self.l_margin, top)
            self.cell(label_w, row_h, self.fit(f"{code} · {name}", label_w - 2))
            self.set_draw_color(200, 200, 200)
            self.rect(self.l_margin + label_w, top + 1, bar_w, row_h - 2)
            if not _missing(mean):
                self.set_fill_color(*_hex(colours[band_for(mean, bands)]))
                self.rect(self.l_margin + label_w, top + 1, bar_w * float(mean) / 100, row_h - 2, style="F")
            self.set_xy(self.l_margin + label_w + bar_w + 1, top)
            self.cell(15, row_h, fmt_percent(mean) if not _missing(mean) else "sans taux")
            self.set_xy(self.l_margin, top + row_h)
        self.ln(2)

    def band_legend(self, counts: dict[str, int], bands) -> None:
        colours = band_colours(bands)
        ranges = {b["label"]: f"{b['min']}–{b['max']} %" for b in bands or []}
        for label, count in counts.items():
            if label == NO_BAND and not count:
                continue
            top = self.get_y()
            self.set_fill_color(*_hex(colours[label]))
            self.rect(self.l_margin, top + 1.2, 3.5, 3.5, style="F")
            self.set_xy(self.l_margin + 5, top)
            detail = f" (entre {ranges[label]})" if label in ranges else ""
            self.cell(0, 6, f"{label}{detail} : {plural(count, 'action')}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def line_count(self, text: str, width: float) -> int:
        """Lines ``text`` takes in ``width`` mm in the current font: one when it holds no break and
        fits (a sum of glyph widths), else what fpdf2's line breaking says."""
        if not _has_break(text) and self.get_string_width(text) <= width - 2 * self.c_margin:
            return 1
        return len(self.multi_cell(width, 5, text, dry_run=True, output=MethodReturnValue.LINES))

    def _tall_key_value(self, label: str, value: str, line_h: float, pad: float) -> None:
        """A value of half a page or more (a long list of partners, say): its label as a row of
        its own, then the value across the page, free to continue on the next pages."""
        if self.will_page_break(line_h * 3 + 2 * pad):
            self.add_page()
        self.set_fill_color(*LIGHT)
        self.set_font("DejaVu", "B", 10)
        self.set_text_color(*NAVY)
        self.multi_cell(0, line_h + 2 * pad, label, fill=True, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("DejaVu", "", 10)
        self.set_text_color(0, 0, 0)
        self.set_x(self.l_margin + pad)
        self.multi_cell(self.epw - 2 * pad, line_h, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(self.l_margin, self.get_y() + pad, self.l_margin + self.epw, self.get_y() + pad)
        self.set_y(self.get_y() + pad)

    def key_values(self, rows: list[tuple[str, str]]) -> None:
        """Label and value side by side, one row each, lines between rows. Drawn here rather
        than with ``pdf.table``, which lays every cell out twice (its height, then the
        drawing): that was a quarter of the report's time (benchmarks/README.md, issue 16)."""
        label_w, pad, line_h = 42.0, 1.2, 5.0
        value_w = self.epw - label_w
        self.set_draw_color(200, 200, 200)
        for n, (label, value) in enumerate(rows):
            self.set_font("DejaVu", "B", 10)
            label_lines = self.line_count(label, label_w - 2 * pad)
            self.set_font("DejaVu", "", 10)
            value_lines = self.line_count(value, value_w - 2 * pad)
            height = max(label_lines, value_lines) * line_h + 2 * pad
            if height > self.eph / 2:  # too tall to keep beside its label: it flows over pages
                self._tall_key_value(label, value, line_h, pad)
                continue
            top_line = n == 0  # the first row of the block, or of a page, has a line above it
            if self.will_page_break(height):
                self.add_page()
                top_line = True
            left, top = self.l_margin, self.get_y()
            if top_line:
                self.line(left, top, left + self.epw, top)
            self.set_fill_color(*LIGHT)
            self.rect(left, top, label_w, height, style="F")
            for x, width, text, lines, style, colour in (
                    (left, label_w, label, label_lines, "B", NAVY),
                    (left + label_w, value_w, value, value_lines, "", (0, 0, 0))):
                self.set_font("DejaVu", style, 10)
                self.set_text_color(*colour)
                self.set_xy(x + pad, top + pad)
                # one cell, without fpdf2's line breaking (« x\n » is one line, but not one cell)
                if lines == 1 and not _has_break(text):
                    self.cell(width - 2 * pad, line_h, text)
                else:
                    self.multi_cell(width - 2 * pad, line_h, text, align="L")
            self.line(left, top + height, left + self.epw, top + height)
            self.set_xy(left, top + height)
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)
        self.ln(2)


def _has_break(text: str) -> bool:
    return any(c in text for c in "\n\f\r")


def _render_contents(pdf: ReportPDF, outline: list) -> None:
    """The sommaire lists the figures page and the OS; fiches are in the bookmarks (a 100-line
    sommaire would not help a reader more than the viewer's outline does)."""
    pdf.set_font("DejaVu", "", 10)
    pdf.set_x(pdf.l_margin)
    for section in outline:
        if section.level:
            continue
        link = pdf.add_link(page=section.page_number)
        pdf.cell(pdf.epw - 15, 7, pdf.fit(section.name, pdf.epw - 18), link=link)
        pdf.cell(15, 7, str(section.page_number), align="R", link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _lines(values: list[Any]) -> str:
    return "\n".join(f"• {v}" for v in values)


def _indicators(items: list[dict[str, Any]]) -> str:
    out = []
    for item in items:
        parts = [str(item.get("label") or "")]
        if item.get("target"):
            parts.append(f"cible : {item['target']}")
        if item.get("reached"):
            parts.append(f"atteint : {item['reached']}")
        out.append(" — ".join(p for p in parts if p))
    return _lines(out)


def _fiche(pdf: ReportPDF, action: pd.Series, fiche: dict[str, Any], comments: list[dict[str, Any]],
           bands, measured: list[dict[str, Any]] | None = None) -> None:
    pdf.add_page()
    pdf.start_section(shorten(f"{action['code']} {action['title']}", BOOKMARK_MAX), level=1, strict=False)
    header = "FICHE ACTION" + (f" — {fiche['department']}" if fiche.get("department") else "")
    pdf.set_fill_color(*NAVY)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 8, header.upper(), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.heading(f"{action['code']} → {fiche['title']}", 12, colour=(0, 0, 0))
    pdf.paragraph(f"OS {action['os_code']} · {action['os_title']}\nOO {action['oo_code']} · {action['oo_title']}",
                  8.5, colour=GREY)
    pdf.ln(2)

    progress = fiche.get("progress")
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(42, 7, "Taux d'avancement")
    bar_w = 80
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(pdf.l_margin + 42, top + 1.5, bar_w, 4)
    if progress is not None:
        pdf.set_fill_color(*_hex(band_colours(bands)[band_for(progress, bands)]))
        pdf.rect(pdf.l_margin + 42, top + 1.5, bar_w * progress / 100, 4, style="F")
    pdf.set_xy(pdf.l_margin + 42 + bar_w + 3, top)
    pdf.cell(0, 7, f"{fmt_percent(progress, 0)} · {band_for(progress, bands)}" if progress is not None
             else "non renseigné", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(1)

    late = " · en retard (échéance dépassée)" if action.get("is_late") else ""
    rows: list[tuple[str, str]] = [
        (FIELD_LABELS["status"], (fiche.get("status") or "non renseigné") + late),
        (FIELD_LABELS["priority"], fiche.get("priority") or EMPTY),
        (FIELD_LABELS["start"], fiche.get("start") or EMPTY),
        (FIELD_LABELS["end"], fiche.get("end") or EMPTY),
        (FIELD_LABELS["project_lead"], fiche.get("project_lead") or EMPTY),
    ]
    if fiche.get("health"):
        rows.insert(1, (FIELD_LABELS["health"], health_text(fiche["health"], fiche.get("health_reason"))))
    for key in ("services", "partners", "labels"):
        if fiche.get(key):
            rows.append((FIELD_LABELS[key], ", ".join(fiche[key])))
    budget = [v for v in (fmt_euro(fiche["budget"]) if fiche.get("budget") is not None else None,
                          fiche.get("budget_text")) if v]
    if budget:
        rows.append(("Budget", " · ".join(budget)))
    staff = [v for v in (f"{fmt_number(fiche['staff_fte'], 2)} ETP" if fiche.get("staff_fte") is not None else None,
                         fiche.get("staff_text")) if v]
    if staff:
        rows.append(("Ressources humaines", " · ".join(staff)))
    if fiche.get("weight") not in (None, 1, 1.0):
        rows.append((FIELD_LABELS["weight"], fmt_number(fiche["weight"], 2)))
    pdf.key_values(rows)

    sections = [
        (FIELD_LABELS["description"], fiche.get("description")),
        (FIELD_LABELS["context"], fiche.get("context")),
        (FIELD_LABELS["indicators"], _indicators(fiche["indicators"]) if fiche.get("indicators") else None),
        (FIELD_LABELS["risks"], _lines(fiche["risks"]) if fiche.get("risks") else None),
        (FIELD_LABELS["deliverables"], fiche.get("deliverables")),
        (FIELD_LABELS["evaluation"], fiche.get("evaluation")),
        (FIELD_LABELS["comment"], fiche.get("comment")),
    ]
    for title, text in sections:
        if not _missing(text):
            pdf.paragraph(title, 10, "B", NAVY)
            pdf.paragraph(str(text), 9.5)
            pdf.ln(2)
    if measured:
        pdf.paragraph("Indicateurs mesurés", 10, "B", NAVY)
        for indicator in measured:
            pdf.paragraph(indicator_summary(indicator), 9.5)
        pdf.ln(2)
    if fiche.get("sub_actions"):
        pdf.paragraph("Étapes", 10, "B", NAVY)
        for step in fiche["sub_actions"]:
            pdf.paragraph(f"{step.get('code') or '•'} {step.get('title') or ''}".strip(), 9.5, "B")
            if step.get("description"):
                pdf.paragraph(step["description"], 9)
            if step.get("evaluation"):
                pdf.paragraph(f"Évaluation : {step['evaluation']}", 9, "I", GREY)
        pdf.ln(2)
    pdf.paragraph("Derniers commentaires", 10, "B", NAVY)
    if comments:
        for c in comments:
            what = FIELD_LABELS.get(c["field"], c["field"])
            pdf.paragraph(f"{fmt_datetime(c['changed_at'])} · {c['changed_by']} ({what}) : {c['comment']}", 9)
    else:
        pdf.paragraph("Aucun commentaire dans l'historique.", 9, "I", GREY)


def build_report(data: ReportInput) -> bytes:
    plan, state = data.plan, data.state
    actions, bands = state.actions, plan["evaluation_bands"]
    title = KINDS[data.kind]
    period = f"{plan['period_start']}-{plan['period_end']}" if plan.get("period_start") else ""
    pdf = ReportPDF(f"{plan['organisation']} · PST {period} · {title} · situation au {fmt_date(state.as_of)}")
    pdf.set_title(f"{plan['organisation']} — {title} du PST {period}".strip())
    pdf.set_author("PST Pilot")
    pdf.set_creation_date(dt.datetime.combine(data.produced, dt.time(12), tzinfo=dt.timezone.utc))

    # Cover
    pdf.add_page()
    pdf.ln(45)
    pdf.paragraph("Programme Stratégique Transversal" + (f" {period}" if period else ""), 22, "B", NAVY)
    pdf.ln(4)
    pdf.paragraph(plan["organisation"], 18, "B")
    pdf.ln(10)
    pdf.paragraph(title, 26, "B", NAVY)
    pdf.paragraph(f"Situation au {fmt_date(state.as_of)}", 14)
    if data.filter_text:
        pdf.paragraph(f"Périmètre : {data.filter_text}", 11, colour=GREY)
    pdf.ln(40)
    pdf.paragraph(plan["title"], 11, colour=GREY)
    pdf.paragraph(LAW, 9, "I", GREY)
    pdf.paragraph(f"Document produit par PST Pilot le {fmt_date(data.produced)}.", 9, colour=GREY)

    pdf.add_page()
    pdf.heading("Sommaire", 18)
    pdf.paragraph("Chaque fiche action figure aussi dans les signets du document (volet de navigation).",
                  9, "I", GREY)
    pdf.ln(3)
    pdf.insert_toc_placeholder(_render_contents, pages=1 + (actions["os_code"].nunique() + 1) // 45)

    # The plan's figures (the placeholder has already turned the page)
    pdf.heading("Évaluation — en quelques chiffres", 18, section_level=0)
    total = summarise(actions["progress"].tolist(), actions["weight"].tolist(), bands)
    late = int(actions["is_late"].sum())
    pdf.figures([("projets et actions", fmt_number(total.actions, 0)),
                 ("taux d'avancement moyen", fmt_percent(total.mean_progress)),
                 ("sans taux", fmt_number(total.unassessed, 0)), ("en retard", fmt_number(late, 0))])
    pdf.band_legend(total.band_counts, bands)
    statuses = actions["status"].dropna().value_counts()
    if not statuses.empty:
        pdf.paragraph("Statuts : " + " ; ".join(f"{s} : {n}" for s, n in statuses.items())
                      + (f" ; non renseigné : {actions['status'].isna().sum()}" if actions["status"].isna().any() else ""),
                      9.5)
        pdf.ln(2)
    notes = []
    if state.imported_since:
        several = state.imported_since > 1
        notes.append(f"{plural(state.imported_since, 'action')} importée{'s' if several else ''} après le "
                     f"{fmt_date(state.as_of)} {'figurent' if several else 'figure'} avec les valeurs du document "
                     "importé (rien de plus ancien n'est connu).")
    if state.created_since:
        notes.append(("Créée après cette date, donc absente" if len(state.created_since) == 1
                      else "Créées après cette date, donc absentes") + f" : {', '.join(state.created_since)}.")
    if not state.deleted_since.empty:
        gone = ", ".join(f"{c} ({t})" for c, t in zip(state.deleted_since["code"], state.deleted_since["title"],
                                                       strict=True))
        notes.append(("Supprimée depuis cette date, absente" if len(state.deleted_since) == 1
                      else "Supprimées depuis cette date, absentes") + f" du rapport : {gone}.")
    for note in notes:
        pdf.paragraph(note, 9, "I", GREY)
    pdf.paragraph(resource_sentence(actions), 9.5)
    pdf.ln(1)
    _calendar(pdf, plan, actions, data.trajectories, state.as_of)
    per_os = rollup(actions, ["os_code", "os_title"], bands)
    if not per_os.empty:
        pdf.ln(2)
        pdf.progress_bars(per_os, "os_code", "os_title", bands, "Taux d'avancement moyen par objectif stratégique")
    _synergies(pdf, actions)

    for _, os_row in per_os.iterrows():
        mine = actions[actions["os_code"] == os_row["os_code"]]
        pdf.add_page()
        pdf.heading(f"OS {os_row['os_code']} · {os_row['os_title']}", 15, section_level=0)
        pdf.paragraph("En quelques chiffres", 12, "B", GREY)
        pdf.ln(1)
        summary = summarise(mine["progress"].tolist(), mine["weight"].tolist(), bands)
        pdf.figures([("projets et actions", fmt_number(summary.actions, 0)),
                     ("taux d'avancement moyen", fmt_percent(summary.mean_progress)),
                     ("sans taux", fmt_number(summary.unassessed, 0)),
                     ("en retard", fmt_number(int(mine["is_late"].sum()), 0))])
        pdf.band_legend(summary.band_counts, bands)
        pdf.paragraph(resource_sentence(mine), 9.5)
        pdf.ln(1)
        per_oo = rollup(mine, ["oo_code", "oo_title"], bands)
        pdf.progress_bars(per_oo, "oo_code", "oo_title", bands, "Taux moyen par objectif opérationnel")
        if mine["budget"].notna().any() or mine["staff_fte"].notna().any():
            _resource_table(pdf, resource_totals(mine, "oo"))
        oo_codes = set(mine["oo_code"])
        results = [i for i in data.indicators if i["action_id"] is None and i["oo_code"] in oo_codes]
        if results:
            _indicator_table(pdf, "Indicateurs de résultat des objectifs opérationnels", results)
        pdf.paragraph("Projets et actions", 10, "B")
        pdf.set_fill_color(255, 255, 255)  # the table would take the last bar's colour
        with pdf.table(col_widths=(22, pdf.epw - 22 - 20 - 30, 20, 30), line_height=4.5, padding=1,
                       text_align=("LEFT", "LEFT", "RIGHT", "LEFT"),
                       headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)) as table:
            pdf.set_font("DejaVu", "", 8.5)
            head = table.row()
            for h in ("Code", "Intitulé", "Taux", "Statut"):
                head.cell(h)
            for _, a in mine.iterrows():
                row = table.row()
                row.cell(str(a["code"]))
                row.cell(str(a["title"]))
                row.cell(fmt_percent(a["progress"], 0) if not _missing(a["progress"]) else EMPTY)
                row.cell(str(a["status"] or EMPTY))
        pdf.set_font("DejaVu", "", 10)
        for _, a in mine.iterrows():
            _fiche(pdf, a, state.fiches[int(a["id"])], data.comments.get(int(a["id"]), []), bands,
                   [i for i in data.indicators if i["action_id"] == int(a["id"])])
    return bytes(pdf.output())


def _calendar(pdf: ReportPDF, plan: dict[str, Any], actions: pd.DataFrame, trajectories: dict[str, Any],
              as_of: dt.date) -> None:
    """Against the calendar on the report's day, and at the pace of the history, when 100 %
    would be reached: the plan's line, then each OS's (the bands above stay the plan's legend)."""
    thresholds = schedule.Thresholds.of(plan)
    pdf.paragraph("Calendrier : " + schedule_line(schedule_of(actions, thresholds), f"au {fmt_date(as_of)}") + ".",
                  9.5)
    for scope, path in trajectories.items():
        pdf.paragraph(f"{scope} · {path.forecast.sentence}", 9.5)
    pdf.ln(1)


def _indicator_table(pdf: ReportPDF, title: str, indicators: list[dict[str, Any]]) -> None:
    pdf.paragraph(title, 10, "B")
    pdf.set_fill_color(255, 255, 255)
    rows = [{"OO": str(i["oo_code"]), **indicator_row(i)} for i in indicators]
    with pdf.table(col_widths=(14, pdf.epw - 14 - 28 - 28 - 40 - 18, 28, 28, 40, 18), line_height=4.5, padding=1,
                   text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "RIGHT"),
                   headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)) as out:
        pdf.set_font("DejaVu", "", 8.5)
        for values in [list(rows[0]), *[list(r.values()) for r in rows]]:
            row = out.row()
            for value in values:
                row.cell(str(value))
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(2)


def _synergies(pdf: ReportPDF, actions: pd.DataFrame) -> None:
    """The section the SPW asks of the evaluation: the synergies between the commune and its CPAS."""
    pdf.add_page()
    pdf.heading("Synergies entre la commune et le CPAS", 15, section_level=0)
    pdf.paragraph(synergy_sentence(actions), 10)
    rows = synergy_rows(actions)
    if rows.empty:
        pdf.paragraph("Marquez les actions menées avec la commune (ou partagées avec elle) dans PST Pilot : page "
                      "Évaluation, ou la fiche de l'action.", 9, "I", GREY)
        return
    pdf.ln(2)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=(20, pdf.epw - 20 - 16 - 24 - 50, 16, 24, 50), line_height=4.5, padding=1,
                   text_align=("LEFT", "LEFT", "RIGHT", "LEFT", "LEFT"),
                   headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)) as out:
        pdf.set_font("DejaVu", "", 8.5)
        for values in [list(rows.columns), *rows.values.tolist()]:
            row = out.row()
            for value in values:
                row.cell(str(value))
    pdf.set_font("DejaVu", "", 10)


def _resource_table(pdf: ReportPDF, table: pd.DataFrame) -> None:
    """Budget and ETP per OO of an OS, with how many fiches give none."""
    pdf.paragraph("Budget et personnel par objectif opérationnel", 10, "B")
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=(16, pdf.epw - 16 - 30 - 20 - 18 - 20, 30, 20, 18, 20), line_height=4.5, padding=1,
                   text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                   headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)) as out:
        pdf.set_font("DejaVu", "", 8.5)
        for values in [list(table.columns), *table.astype(str).values.tolist()]:
            row = out.row()
            for value in values:
                row.cell(str(value))
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(2)


def latest_comments(session: Session, plan_id: int, until: dt.datetime,
                    per_action: int = COMMENTS_PER_FICHE) -> dict[int, list[dict[str, Any]]]:
    rows = session.execute(
        select(History.action_id, History.changed_at, History.changed_by, History.field, History.comment)
        .where(History.plan_id == plan_id, History.comment.is_not(None), History.comment != "",
               History.action_id.is_not(None), History.changed_at < until)
        .order_by(History.changed_at.desc(), History.id.desc())
    ).mappings()
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    for row in rows:
        key = (row["action_id"], row["comment"])  # one save of several fields repeats its comment
        if key in seen or len(out[row["action_id"]]) >= per_action:
            continue
        seen.add(key)
        out[row["action_id"]].append(dict(row))
    return dict(out)


def evaluation_report(session: Session, plan: dict[str, Any], kind: str, as_of: dt.date, today: dt.date,
                      actions: pd.DataFrame | None = None, filter_text: str = "") -> bytes:
    """The report of ``plan`` (or of the filtered ``actions``) as it stood at the end of ``as_of``."""
    from pst_data import queries

    if kind not in KINDS:
        raise ValueError(f"Type d'évaluation inconnu « {kind} » : {' ou '.join(KINDS)}.")
    if as_of > today:
        raise ValueError(f"La date du rapport ({fmt_date(as_of)}) est dans le futur.")
    if actions is None:
        actions = queries.actions_frame(session, plan, as_of)
    state = plan_as_of(session, plan, actions, as_of)
    comments = latest_comments(session, plan["id"], day_end_utc(as_of))
    measured = indicators_as_of(plan_indicators(session, plan["id"]), as_of)
    events = queries.progress_events(session, plan["id"])
    events = events[events["changed_at"] < day_end_utc(as_of)] if not events.empty else events
    paths = trajectories(events, state.actions, plan, as_of)
    return build_report(ReportInput(plan, kind, state, comments, today, filter_text, measured, paths))
