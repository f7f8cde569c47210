"""The plan as it stood at the end of a past day, rebuilt from the history.

Every write records (field, old value, new value), so undoing, newest first, the changes made
after a moment gives each action's fields at that moment. Actions created in the app after it
are left out. Actions imported after it keep the values of the imported document (nothing older
is known; ``imported_since`` counts them so a report can say so). Actions deleted since then
cannot be rebuilt (only their code and title were kept) and are listed apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import History
from pst_data.actions import parse_history_text
from pst_data.rules.clock import day_end_utc
from pst_data.rules.dates import parse_source_date
from pst_data.rules.progress import add_derived_columns

# Fields of the actions frame a history row can change directly.
FRAME_FIELDS = ("title", "priority", "project_lead", "department", "status", "weight", "labels", "services")


@dataclass
class PlanAsOf:
    as_of: dt.date
    actions: pd.DataFrame  # same columns as queries.actions_frame
    fiches: dict[int, dict[str, Any]]  # action id -> every field, as at that date
    created_since: list[str]  # codes of actions that did not exist yet (left out)
    imported_since: int  # actions shown with their imported values (imported after the day)
    deleted_since: pd.DataFrame  # code, title, deleted_at, deleted_by: existed then, gone now
    changes_undone: int


def later_changes(session: Session, plan_id: int, moment: dt.datetime) -> pd.DataFrame:
    rows = session.execute(
        select(History.id, History.action_id, History.action_code, History.changed_at,
               History.changed_by, History.kind, History.field, History.old_value, History.new_value,
               History.change_id)
        .where(History.plan_id == plan_id, History.entity == "action", History.changed_at >= moment)
        .order_by(History.changed_at.desc(), History.id.desc())
    ).mappings().all()
    return pd.DataFrame(rows, columns=["id", "action_id", "action_code", "changed_at", "changed_by",
                                       "kind", "field", "old_value", "new_value", "change_id"])


def rewind(plan: dict[str, Any], actions: pd.DataFrame, fiches: dict[int, dict[str, Any]],
           objectives: pd.DataFrame, later: pd.DataFrame, as_of: dt.date) -> PlanAsOf:
    """Pure: undo ``later`` (history rows after the moment, newest first) on copies of
    ``actions`` (queries.actions_frame) and ``fiches`` (queries.action_fiches)."""
    frame = actions.copy()
    fiches = {i: dict(f) for i, f in fiches.items()}
    whole = later["field"] == "action"
    restores = later[whole & (later["kind"] == "undo") & later["new_value"].notna()]
    removals = later[whole & ((later["kind"] == "delete") | ((later["kind"] == "undo") & later["new_value"].isna()))]
    # A restore re-links the delete row to the action: deleted and restored both after the
    # moment, it existed then; restored after a delete made before the moment, it did not.
    restored_ids = {int(i) for i in restores["action_id"].dropna()}
    back_again = restored_ids & {int(i) for i in removals["action_id"].dropna()}
    # Only the creation of the action itself: defining an indicator of an action also writes a
    # "create" row on it.
    created_ids = {int(i) for i in later.loc[whole & (later["kind"] == "create"), "action_id"].dropna()} | \
        (restored_ids - back_again)
    imported_ids = {int(i) for i in later.loc[later["kind"] == "import", "action_id"].dropna()}
    created_codes = sorted(set(frame.loc[frame["id"].isin(created_ids), "code"]))
    frame = frame[~frame["id"].isin(created_ids)].copy()
    deleted = removals[~removals["action_id"].isin(list(back_again))]
    # The rows a restore writes (the action, its taux) say "it came back", not "it changed".
    restore_changes = set(restores["change_id"])
    deleted_since = pd.DataFrame({
        "code": deleted["action_code"], "title": deleted["old_value"],
        "deleted_at": deleted["changed_at"], "deleted_by": deleted["changed_by"]}).reset_index(drop=True)

    known_oo = objectives.dropna(subset=["oo_code"]).drop_duplicates("oo_code") if not objectives.empty \
        else pd.DataFrame(columns=["oo_code"])
    oo_lookup = known_oo.set_index("oo_code")[
        ["oo_title", "os_code", "os_title", "os_axis", "os_position", "oo_position"]].to_dict("index")
    position = {action_id: pos for pos, action_id in enumerate(frame["id"])}
    undone = 0
    for row in later[later["kind"].isin(["update", "undo"])].itertuples(index=False):
        if pd.isna(row.action_id) or int(row.action_id) not in position or row.field in NOT_ACTION_FIELDS:
            continue
        if row.change_id in restore_changes and int(row.action_id) in restored_ids:
            continue
        action_id = int(row.action_id)
        index = frame.index[position[action_id]]
        # pandas reads a missing text as NaN: it was None in the history.
        value = parse_history_text(row.field, None if pd.isna(row.old_value) else row.old_value)
        undone += 1
        if action_id in fiches:
            fiches[action_id][row.field] = value
        if row.field == "progress":
            frame.at[index, "progress"] = pd.NA if value is None else value
        elif row.field in FRAME_FIELDS:
            frame.at[index, row.field] = value
        elif row.field in ("start", "end"):
            frame.at[index, f"{row.field}_text"] = value
            frame.at[index, f"{row.field}_date"] = parse_source_date(value, row.field)
        elif row.field == "operational_objective" and value in oo_lookup:
            frame.at[index, "oo_code"] = value
            for column, cell in oo_lookup[value].items():
                frame.at[index, column] = cell

    add_derived_columns(frame, plan, as_of)
    # A move changes the OS an action counts in: keep the plan's order of objectives.
    frame = frame.sort_values(["os_position", "oo_position", "position"], kind="stable").reset_index(drop=True)
    fiches = {i: f for i, f in fiches.items() if i not in created_ids}
    imported_since = len(imported_ids & set(frame["id"]))
    return PlanAsOf(as_of, frame, fiches, created_codes, imported_since, deleted_since, undone)


# History rows on an action that are not one of its fields: the action itself, its indicators
# and their measures (kept in tables of their own, rebuilt as of a day by pst_data.rules.indicators.as_of).
NOT_ACTION_FIELDS = frozenset({"action", "indicator", "measure"})


def plan_as_of(session: Session, plan: dict[str, Any], actions: pd.DataFrame, as_of: dt.date) -> PlanAsOf:
    """``actions``: today's actions frame of the plan (filtered or not)."""
    from pst_data import queries

    fiches = queries.action_fiches(session, [int(i) for i in actions["id"]])
    objectives = queries.objectives_frame(session, plan["id"])
    later = later_changes(session, plan["id"], day_end_utc(as_of))
    return rewind(plan, actions, fiches, objectives, later, as_of)
