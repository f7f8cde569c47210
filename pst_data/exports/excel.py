"""Excel export (openpyxl): the filtered actions with every field, one sheet per level, and the
figures per OS. French headers, percentages as numbers formatted "0 %", filters and a frozen
header row. Text that looks like a formula (=, +, -, @) is stored as text, never evaluated."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pst_data.actions import FIELD_LABELS
from pst_data.rules.progress import NO_BAND, band_labels, rollup
from pst_data.rules.text import printable

FORMULA_STARTS = ("=", "+", "-", "@")
HEADER_FILL = PatternFill("solid", fgColor="1976D2")
PERCENT = '0" %"'  # an action's taux: whole, stored 0-100 (not 0-1)
MEAN_PERCENT = '0.0" %"'  # a mean taux: one decimal, as everywhere (pst_data/rules/formatting.py)


def _cell_value(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if isinstance(value, (list, tuple)):
        return printable("; ".join(str(v) for v in value))
    return printable(value) if isinstance(value, str) else value


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]],
           percent_columns: Sequence[str] = (), widths: dict[str, int] | None = None,
           mean_columns: Sequence[str] = ()) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        ws.append([_cell_value(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"  # keep it text: a title can never run as a formula
    for names, number_format in ((percent_columns, PERCENT), (mean_columns, MEAN_PERCENT)):
        for name in names:
            col = headers.index(name) + 1
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = number_format
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(header, max(12, min(40, len(header) + 4)))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


ACTION_COLUMNS = [
    ("os_code", "OS"), ("oo_code", "OO"), ("code", FIELD_LABELS["code"]), ("title", FIELD_LABELS["title"]),
    ("progress", FIELD_LABELS["progress"]), ("status", FIELD_LABELS["status"]),
    ("priority", FIELD_LABELS["priority"]), ("labels", FIELD_LABELS["labels"]),
    ("services", FIELD_LABELS["services"]), ("partners", FIELD_LABELS["partners"]),
    ("project_lead", FIELD_LABELS["project_lead"]), ("department", FIELD_LABELS["department"]),
    ("start", FIELD_LABELS["start"]), ("end", FIELD_LABELS["end"]), ("start_date", "Début (date)"),
    ("end_date", "Échéance (date)"),
    ("late", "En retard"), ("budget", FIELD_LABELS["budget"]), ("budget_text", FIELD_LABELS["budget_text"]),
    ("staff_fte", FIELD_LABELS["staff_fte"]), ("staff_text", FIELD_LABELS["staff_text"]),
    ("indicators", FIELD_LABELS["indicators"]), ("risks", FIELD_LABELS["risks"]),
    ("deliverables", FIELD_LABELS["deliverables"]), ("description", FIELD_LABELS["description"]),
    ("context", FIELD_LABELS["context"]), ("evaluation", FIELD_LABELS["evaluation"]),
    ("comment", FIELD_LABELS["comment"]), ("weight", FIELD_LABELS["weight"]),
]


def build_workbook(plan: dict, objectives: pd.DataFrame, actions: pd.DataFrame,
                   fiches: dict[int, dict]) -> bytes:
    """``actions``: the (filtered) actions frame; ``fiches``: action id -> every field
    (queries.action_fiche) for those actions."""
    wb = Workbook()
    wb.remove(wb.active)
    bands = plan["evaluation_bands"]

    per_os = rollup(actions, ["os_code", "os_title"], bands)
    band_names = [b for b in band_labels(bands) if b != NO_BAND]  # « Sans taux » has its own column
    _sheet(wb, "Chiffres par OS",
           ["OS", "Objectif stratégique", "Actions", "Taux moyen", "Sans taux", *band_names],
           [[r["os_code"], r["os_title"], r["actions"], r["mean_progress"], r["unassessed"],
             *[r[b] for b in band_names]] for _, r in per_os.iterrows()],
           mean_columns=["Taux moyen"], widths={"Objectif stratégique": 60})

    os_rows = objectives.drop_duplicates("os_code")
    _sheet(wb, "OS", ["Code", "Objectif stratégique", "Axe / volet"],
           [[r.os_code, r.os_title, r.os_axis] for r in os_rows.itertuples()],
           widths={"Objectif stratégique": 70, "Axe / volet": 30})
    oo_rows = objectives.dropna(subset=["oo_code"])
    _sheet(wb, "OO", ["OS", "Code", "Objectif opérationnel", "Indicateurs"],
           [[r.os_code, r.oo_code, r.oo_title, r.oo_indicators or []] for r in oo_rows.itertuples()],
           widths={"Objectif opérationnel": 70, "Indicateurs": 50})

    rows, subs = [], []
    for action in actions.itertuples():
        fiche = fiches[int(action.id)]
        values = {**fiche, "os_code": action.os_code, "oo_code": action.oo_code,
                  "late": "oui" if action.is_late else "non",
                  "start_date": None if pd.isna(action.start_date) else action.start_date,
                  "end_date": None if pd.isna(action.end_date) else action.end_date,
                  "indicators": [f"{i['label']} (cible : {i.get('target') or '—'} ; atteint : "
                                 f"{i.get('reached') or '—'})" for i in fiche["indicators"]]}
        rows.append([values[key] for key, _ in ACTION_COLUMNS])
        subs.extend([action.code, s["code"], s["title"], s.get("evaluation")] for s in fiche["sub_actions"])
    headers = [label for _, label in ACTION_COLUMNS]
    _sheet(wb, "Actions", headers, rows, percent_columns=[FIELD_LABELS["progress"]],
           widths={FIELD_LABELS["title"]: 60, FIELD_LABELS["description"]: 60})
    for dated in ("Début (date)", "Échéance (date)"):  # real Excel dates (the text columns keep the document's words)
        for (cell,) in wb["Actions"].iter_rows(min_row=2, min_col=headers.index(dated) + 1,
                                               max_col=headers.index(dated) + 1):
            cell.number_format = "DD/MM/YYYY"
    _sheet(wb, "Sous-actions", ["Action", "Code", "Sous-action", "Évaluation"], subs,
           widths={"Sous-action": 70, "Évaluation": 50})
    wb.properties.title = f"{plan['organisation']} — {plan['title']}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_workbook(session, plan: dict, actions: pd.DataFrame) -> bytes:
    """The workbook of ``actions`` (a filtered actions frame of ``plan``), read from the session."""
    from pst_data import queries

    objectives = queries.objectives_frame(session, plan["id"])
    fiches = queries.action_fiches(session, [int(i) for i in actions["id"]])
    return build_workbook(plan, objectives, actions, fiches)
