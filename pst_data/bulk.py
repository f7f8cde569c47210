"""The bulk-edit table: which columns it offers and how edited cells become service calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from pst_data.rules import schedule
from pst_data.rules.follow_up import staleness_text
from pst_data.rules.formatting import fmt_date, fmt_number, fmt_percent, plural
from pst_data.rules.progress import CLOSED_STATUSES
from pst_data.services import RowEdit

# Column shown -> action field.
COLUMNS = {
    "Taux": "progress",
    "Statut": "status",
    "Priorité": "priority",
    "Labels": "labels",
    "Chef de projet": "project_lead",
    "Échéance": "end",
    "Ville–CPAS": "with_commune",
}


# « Mes actions »: what a chef de projet updates between Bureaus.
MY_COLUMNS = {
    "Taux": "progress",
    "Statut": "status",
    "Santé": "health",
    "Raison (santé)": "health_reason",
    "Commentaire": "comment",
}


def my_editor_frame(mine: pd.DataFrame, several_plans: bool, today: dt.date) -> pd.DataFrame:
    """The « Mes actions » table, rows in the order given (matched back by position). The taux
    comes right after the code: on a phone the first two columns are what shows."""
    frame = pd.DataFrame({
        "Plan": mine["organisation"].tolist(),
        "Code": mine["code"].tolist(),
        "Taux": ["" if pd.isna(p) else str(int(p)) for p in mine["progress"]],
        "À faire": [to_do_text(r, today) for r in mine.to_dict("records")],
        "Échéance": [fmt_date(d) if not pd.isna(d) else (t or "—") for d, t in
                     zip(mine["end_date"], mine["end_text"], strict=True)],
        "Action": mine["title"].tolist(),
        "Statut": mine["status"].tolist(),
        "Santé": mine["health"].tolist(),
        "Raison (santé)": mine["health_reason"].tolist(),
        "Commentaire": mine["comment"].tolist(),
        "Dernière mise à jour": [staleness_text(d, int(n)) for d, n in
                                 zip(mine["days_since_update"], mine["stale_after_days"], strict=True)],
    })
    return frame if several_plans else frame.drop(columns=["Plan"])


def to_do_text(row: dict[str, Any], today: dt.date) -> str:
    """Why an action stands where it does in « Mes actions »: its échéance passed (« en retard
    de 92 jours »), its drift from the calendar, then whether the next Bureau awaits an update."""
    status = row.get("schedule")
    parts = []
    if status == schedule.OVERDUE:
        parts.append(f"En retard : échéance dépassée de {plural(schedule.days_late(row['due_date'], today), 'jour')}")
    elif status in schedule.DRIFTING:
        parts.append(f"{status} : {fmt_number(row['schedule_gap'], 0)} points sous les "
                     f"{fmt_percent(row['expected_progress'], 0)} attendus")
    if row["to_update"]:
        bureau = row["next_bureau"]
        parts.append(f"à mettre à jour pour le Bureau du {fmt_date(bureau)}"
                     if bureau is not None and not pd.isna(bureau) else "à mettre à jour")
    elif not parts:
        parts.append("À jour" if row["status"] not in CLOSED_STATUSES else "Clôturée")
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


def editor_frame(actions: pd.DataFrame) -> pd.DataFrame:
    """The table users edit, in a stable order (rows are matched back by position)."""
    return pd.DataFrame({
        "Code": actions["code"].tolist(),
        "Action": actions["title"].tolist(),
        # Text, not a number column: the browser would clamp -1 to 0, 101 to 100 and drop "abc";
        # the service judges what was typed.
        "Taux": ["" if pd.isna(p) else str(int(p)) for p in actions["progress"]],
        "Statut": actions["status"].tolist(),
        "Priorité": actions["priority"].tolist(),
        "Labels": [list(n) for n in actions["labels"]],
        "Chef de projet": actions["project_lead"].tolist(),
        "Échéance": [None if pd.isna(d) else d for d in actions["end_date"]],
        "Ville–CPAS": [bool(v) for v in actions["with_commune"]],
    })


def _value(column: str, value: Any) -> Any:
    if value is None or (not isinstance(value, list) and pd.isna(value)):
        return [] if column == "Labels" else None
    if column == "Taux":
        return value  # as typed: "" (cleared on purpose) is "no taux", the rest is parsed strictly
    if column == "Échéance":
        if isinstance(value, str):  # the date column sends ISO text; anything else stays as typed
            try:
                value = dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                return value.strip() or None
        if isinstance(value, (pd.Timestamp, dt.datetime)):
            value = value.date()
        return fmt_date(value)
    if column == "Labels":
        return list(value)
    if column == "Ville–CPAS":
        return bool(value)
    if column in ("Chef de projet", "Raison (santé)", "Commentaire") and isinstance(value, str):
        return value.strip() or None
    return value


def row_edits(actions: pd.DataFrame, edited_rows: dict[Any, dict[str, Any]],
              columns: dict[str, str] = COLUMNS) -> list[RowEdit]:
    """st.data_editor's ``edited_rows`` ({position: {column: value}}) -> one RowEdit per row,
    with the version each row was loaded at (the service refuses stale ones)."""
    edits = []
    for position, cells in sorted(edited_rows.items(), key=lambda kv: int(kv[0])):
        row = actions.iloc[int(position)]
        changes = {columns[col]: _value(col, value) for col, value in cells.items() if col in columns}
        if changes:
            edits.append(RowEdit(int(row["id"]), int(row["version"]), changes, str(row["code"])))
    return edits
