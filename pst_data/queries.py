"""Read models for the pages: each function runs a few set-based queries and returns plain data.

Pages wrap these in cached loaders keyed by the plan's revision, so a rerun costs nothing until
somebody writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from db.models import (
    Action,
    History,
    Label,
    OperationalObjective,
    Plan,
    Service,
    StrategicObjective,
    action_labels,
    action_services,
)
from pst_data.actions import action_values
from pst_data.rules import clock
from pst_data.rules.access import CHEF_FIELDS
from db.limits import STALE_DAYS_DEFAULT
from pst_data.rules.follow_up import add_follow_up_columns
from pst_data.rules.progress import CLOSED_STATUSES, add_derived_columns, band_for, band_labels

ACTION_COLUMNS = [
    "id", "os_code", "os_title", "os_axis", "oo_code", "oo_title", "code", "title", "priority",
    "is_top_priority", "labels", "services", "project_lead", "department", "status", "progress",
    "band", "weight", "start_date", "end_date", "start_text", "end_text", "due_date", "is_late", "expected_progress",
    "schedule", "schedule_gap", "version",
    "updated_at", "updated_by", "os_position", "oo_position", "position", "lead_account_id",
    "budget", "staff_fte", "health", "health_reason", "with_commune", "partners", "last_update", "last_update_by_file", "last_update_day", "known_since_day",
    "days_since_update", "is_stale",
]


def _plan_dict(p: Plan) -> dict[str, Any]:
    return {
        "id": p.id,
        "slug": p.slug,
        "organisation": p.organisation,
        "ins_code": p.ins_code,
        "title": p.title,
        "document": p.document,
        "period_start": p.period_start,
        "period_end": p.period_end,
        "priority_scale": list(p.priority_scale or []),
        "evaluation_bands": list(p.evaluation_bands or []),
        "stated_totals": dict(p.stated_totals or {}),
        "notes": list(p.notes or []),
        "revision": p.revision,
        "published": bool(p.published),
        "published_names": bool(p.published_names),
        "stale_after_days": p.stale_after_days,
        "schedule_on_track": p.schedule_on_track,
        "schedule_behind": p.schedule_behind,
        "reminder_days_before": p.reminder_days_before,
    }


def list_plans(session: Session) -> list[dict[str, Any]]:
    return [_plan_dict(p) for p in session.scalars(select(Plan).order_by(Plan.id))]


def find_plan(session: Session, *, plan_id: int | None = None, slug: str | None = None) -> dict[str, Any] | None:
    """One plan, as list_plans gives it, by id or slug; None if there is none."""
    plan = session.get(Plan, plan_id) if plan_id is not None else \
        session.scalar(select(Plan).where(Plan.slug == slug))
    return None if plan is None else _plan_dict(plan)


def revisions(session: Session) -> dict[str, int]:
    """slug -> revision of every plan: the cheap "has anything changed" read viewers poll."""
    return dict(session.execute(select(Plan.slug, Plan.revision)).all())


def label_table(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Label.id, Label.name, Label.colour, Label.description).order_by(Label.name))
    return pd.DataFrame(rows.all(), columns=["id", "name", "colour", "description"])


def objectives_frame(session: Session, plan_id: int) -> pd.DataFrame:
    """Every OS and OO of the plan, including those without action (left join)."""
    rows = session.execute(
        select(
            StrategicObjective.id.label("os_id"), StrategicObjective.code.label("os_code"),
            StrategicObjective.title.label("os_title"), StrategicObjective.axis.label("os_axis"),
            StrategicObjective.position.label("os_position"), StrategicObjective.version.label("os_version"),
            OperationalObjective.id.label("oo_id"), OperationalObjective.code.label("oo_code"),
            OperationalObjective.title.label("oo_title"),
            OperationalObjective.indicators.label("oo_indicators"),
            OperationalObjective.position.label("oo_position"), OperationalObjective.version.label("oo_version"),
        )
        .outerjoin(OperationalObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
        .where(StrategicObjective.plan_id == plan_id)
        .order_by(StrategicObjective.position, OperationalObjective.position)
    )
    return pd.DataFrame(rows.mappings().all())


def actions_frame(
    session: Session, plan: dict[str, Any], today: dt.date | None = None
) -> pd.DataFrame:
    """One row per action of the plan, in plan order, with the derived columns pages need."""
    today = today or clock.today()
    rows = session.execute(
        select(
            Action.id, StrategicObjective.code.label("os_code"),
            StrategicObjective.title.label("os_title"), StrategicObjective.axis.label("os_axis"),
            OperationalObjective.code.label("oo_code"), OperationalObjective.title.label("oo_title"),
            Action.code, Action.title, Action.priority, Action.project_lead, Action.department,
            Action.status, Action.progress, Action.weight, Action.start_date, Action.end_date,
            Action.start_text, Action.end_text, Action.version, Action.updated_at, Action.updated_by,
            StrategicObjective.position.label("os_position"),
            OperationalObjective.position.label("oo_position"), Action.position, Action.lead_account_id,
            Action.budget, Action.staff_fte, Action.health, Action.health_reason, Action.with_commune,
            Action.partners, Action.created_at,
        )
        .join(OperationalObjective, Action.operational_objective_id == OperationalObjective.id)
        .join(StrategicObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
        .where(StrategicObjective.plan_id == plan["id"])
        .order_by(StrategicObjective.position, OperationalObjective.position, Action.position, Action.id)
    ).mappings().all()
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    labels = _names_by_action(session, plan["id"], action_labels, Label, action_labels.c.label_id)
    services = _names_by_action(session, plan["id"], action_services, Service, action_services.c.service_id)
    for amount in ("budget", "staff_fte"):  # Decimal from the database: floats to sum (NaN: none given)
        frame[amount] = [float("nan") if v is None else float(v) for v in frame[amount]]
    frame["labels"] = [labels.get(i, []) for i in frame["id"]]
    frame["services"] = [services.get(i, []) for i in frame["id"]]
    frame["with_commune"] = frame["with_commune"].astype(bool)
    frame["partners"] = [list(p or []) for p in frame["partners"]]
    last = last_updates(session, plan["id"])
    frame["last_update"] = [last[i][0] if i in last else None for i in frame["id"]]
    frame["last_update_by_file"] = [i in last and last[i][1] for i in frame["id"]]
    frame["last_update_day"] = [clock.local_day(last[i][0]) if i in last else None for i in frame["id"]]
    frame["known_since_day"] = [None if pd.isna(t) else clock.local_day(t) for t in frame["created_at"]]
    frame = add_derived_columns(frame, plan, today)
    return add_follow_up_columns(frame, today, plan.get("stale_after_days") or STALE_DAYS_DEFAULT)[ACTION_COLUMNS]


# What counts as an update of an action between Bureaus: a change of its follow-up (what a chef
# de projet reports), by whoever enters it, a later import of a file included (« par fichier »).
# Not the plan's creation or import (nobody reported anything), not an action's creation, not a
# directeur's housekeeping (labels, a move, linking the chef's account, a synergy mark).
UPDATE_FIELDS = tuple(sorted(CHEF_FIELDS))


def last_updates(session: Session, plan_id: int) -> dict[int, tuple[dt.datetime, bool]]:
    """action id -> (the instant of its last update, whether a file made it). Two grouped reads
    on the history's (plan, time) index."""
    updates = and_(History.plan_id == plan_id, History.entity == "action", History.action_id.is_not(None),
                   History.field.in_(UPDATE_FIELDS), History.kind != "import")
    last = dict(session.execute(
        select(History.action_id, func.max(History.changed_at)).where(updates).group_by(History.action_id)).all())
    by_file = dict(session.execute(
        select(History.action_id, func.max(History.changed_at))
        .where(updates, History.payload["origin"].as_string() == "import").group_by(History.action_id)).all())
    return {action_id: (moment, by_file.get(action_id) == moment) for action_id, moment in last.items()}


def _names_by_action(session: Session, plan_id: int, link, entity, link_column) -> dict[int, list[str]]:
    order = [link.c.position] if "position" in link.c else [entity.name]
    rows = session.execute(
        select(link.c.action_id, entity.name)
        .join(entity, entity.id == link_column)
        .join(Action, Action.id == link.c.action_id)
        .join(OperationalObjective, Action.operational_objective_id == OperationalObjective.id)
        .join(StrategicObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
        .where(StrategicObjective.plan_id == plan_id)
        .order_by(link.c.action_id, *order)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for action_id, name in rows:
        names[action_id].append(name)
    return names


def recent_changes(session: Session, plan_id: int, limit: int | None = 10,
                   since: dt.date | None = None) -> pd.DataFrame:
    """The latest changes made by people (the importer's initial rows are left out); ``limit``
    None: every one since ``since``."""
    query = (
        select(History.changed_at, History.changed_by, History.action_code, History.field,
               History.old_value, History.new_value, History.comment, History.kind, History.entity)
        .where(History.plan_id == plan_id, History.kind != "import")
        .order_by(History.changed_at.desc(), History.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(History.changed_at >= clock.day_start_utc(since))
    rows = session.execute(query)
    return pd.DataFrame(rows.mappings().all(),
                        columns=["changed_at", "changed_by", "action_code", "field", "old_value",
                                 "new_value", "comment", "kind", "entity"])


def action_fiche(session: Session, action_id: int) -> dict[str, Any] | None:
    """Every field of one action, for its fiche."""
    action = session.get(Action, action_id)
    if action is None:
        return None
    values = action_values(action)
    oo = action.operational_objective
    values.update(
        id=action.id, version=action.version, start_date=action.start_date,
        end_date=action.end_date, updated_at=action.updated_at, updated_by=action.updated_by,
        lead_account_id=action.lead_account_id,
        oo_code=oo.code, oo_title=oo.title, os_code=oo.strategic_objective.code,
        os_title=oo.strategic_objective.title,
    )
    return values


def action_fiches(session: Session, action_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Every field of many actions at once (exports), in a few queries."""
    from sqlalchemy.orm import selectinload

    actions = session.scalars(
        select(Action).where(Action.id.in_(list(action_ids)))
        .options(selectinload(Action.labels), selectinload(Action.services),
                 selectinload(Action.sub_actions))
    )
    return {a.id: action_values(a) for a in actions}


def action_history(session: Session, action_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(History.id, History.changed_at, History.changed_by, History.kind, History.field,
               History.old_value, History.new_value, History.comment, History.change_id)
        .where(History.action_id == action_id)
        .order_by(History.changed_at.desc(), History.id.desc())
    )
    return pd.DataFrame(rows.mappings().all(),
                        columns=["id", "changed_at", "changed_by", "kind", "field", "old_value",
                                 "new_value", "comment", "change_id"])


def comparison_frame(session: Session, today: dt.date | None = None) -> pd.DataFrame:
    """One row per plan: actions, assessed, weighted mean taux, late actions, band counts.

    Aggregated in SQL down to one row per (plan, taux value), at most 102 per plan, so the cost
    does not grow with the number of actions; bands are applied per plan in Python because each
    plan has its own thresholds.
    """
    today = today or clock.today()
    late = and_(  # schedule.is_late, written in SQL: the échéance, else the end of the plan's period
        or_(Action.end_date < today, and_(Action.end_date.is_(None), Plan.period_end < today.year)),
        or_(Action.progress.is_(None), Action.progress < 100),
        or_(Action.status.is_(None), Action.status.notin_(CLOSED_STATUSES)),
    )
    rows = session.execute(
        select(
            StrategicObjective.plan_id, Action.progress,
            func.count(Action.id).label("n"),
            func.sum(Action.weight).label("weight"),
            func.sum(case((late, 1), else_=0)).label("late"),
        )
        .join(OperationalObjective, Action.operational_objective_id == OperationalObjective.id)
        .join(StrategicObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
        .join(Plan, Plan.id == StrategicObjective.plan_id)
        .group_by(StrategicObjective.plan_id, Action.progress)
    ).all()
    by_plan: dict[int, list] = defaultdict(list)
    for row in rows:
        by_plan[row.plan_id].append(row)
    out = []
    for plan in list_plans(session):
        groups = by_plan.get(plan["id"], [])
        labels = band_labels(plan["evaluation_bands"])
        counts = dict.fromkeys(labels, 0)
        total = weighted = weight_sum = late_count = assessed = 0
        for row in groups:
            total += row.n
            late_count += int(row.late or 0)
            counts[band_for(row.progress, plan["evaluation_bands"])] += row.n
            if row.progress is not None:
                assessed += row.n
                weighted += row.progress * float(row.weight or 0)
                weight_sum += float(row.weight or 0)
        out.append({
            "slug": plan["slug"], "organisation": plan["organisation"], "actions": total,
            "assessed": assessed, "unassessed": total - assessed,
            "mean_progress": weighted / weight_sum if weight_sum else None,
            "late": late_count, "late_share": late_count / total * 100 if total else None,
            "bands": counts,
        })
    return pd.DataFrame(out)


def journal(session: Session, plan_id: int, start: dt.date | None = None, end: dt.date | None = None,
            people: Sequence[str] = (), os_codes: Sequence[str] = (), limit: int = 500) -> pd.DataFrame:
    """The plan's history, newest first, with the OS of each action (None once deleted)."""
    query = (
        select(History.id, History.changed_at, History.changed_by, History.kind, History.action_id,
               History.action_code, History.field, History.old_value, History.new_value,
               History.comment, History.change_id, StrategicObjective.code.label("os_code"),
               History.entity,
               # Written by an import (its rows are marked in their payload): not undone here.
               case((History.payload["origin"].as_string() == "import", True), else_=False).label("from_import"))
        .outerjoin(Action, Action.id == History.action_id)
        .outerjoin(OperationalObjective, Action.operational_objective_id == OperationalObjective.id)
        .outerjoin(StrategicObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
        .where(History.plan_id == plan_id)
        .order_by(History.changed_at.desc(), History.id.desc())
        .limit(limit)
    )
    if start:
        query = query.where(History.changed_at >= clock.day_start_utc(start))
    if end:
        query = query.where(History.changed_at < clock.day_end_utc(end))
    if people:
        query = query.where(History.changed_by.in_(list(people)))
    if os_codes:
        query = query.where(StrategicObjective.code.in_(list(os_codes)))
    return pd.DataFrame(session.execute(query).mappings().all(), columns=[
        "id", "changed_at", "changed_by", "kind", "action_id", "action_code", "field", "old_value",
        "new_value", "comment", "change_id", "os_code", "entity", "from_import"])


def journal_people(session: Session, plan_id: int) -> list[str]:
    return list(session.scalars(select(History.changed_by).where(History.plan_id == plan_id)
                                .distinct().order_by(History.changed_by)))


def progress_events(session: Session, plan_id: int) -> pd.DataFrame:
    """The history rows that move a taux (or remove an action), oldest first. A deleted action's
    rows have lost their action_id: its entity_id still says which action they were about."""
    removed = or_(History.kind == "delete", and_(History.kind == "undo", History.new_value.is_(None)))
    rows = session.execute(
        select(History.changed_at, func.coalesce(History.action_id, History.entity_id).label("action_id"),
               History.field, History.new_value, History.kind)
        .where(History.plan_id == plan_id, History.entity == "action",
               or_(History.field == "progress", and_(History.field == "action", removed)))
        .order_by(History.changed_at, History.id)
    )
    return pd.DataFrame(rows.mappings().all(), columns=["changed_at", "action_id", "field", "new_value", "kind"])


MY_ACTION_COLUMNS = [
    "plan_id", "plan_slug", "organisation", "id", "version", "os_code", "oo_code", "code", "title", "end_date",
    "end_text", "due_date", "is_late", "expected_progress", "schedule", "schedule_gap", "progress", "status", "health", "health_reason", "comment", "last_update_day", "days_since_update",
    "is_stale", "lead_account_id", "last_bureau", "next_bureau", "to_update", "stale_after_days",
]


def my_actions(session: Session, account_id: int, plan_ids: frozenset[int] | None,
               today: dt.date | None = None) -> pd.DataFrame:
    """The actions an account leads, across the plans it sees (``plan_ids``; None: all):
    what « Mes actions » edits.
    ``to_update``: open and not changed since its plan's last Bureau (or within the plan's
    stale threshold when no Bureau is recorded). The most urgent first (schedule.urgency):
    past their échéance (the longest first), then the furthest behind their calendar; then those
    to update, by next Bureau."""
    from pst_data.meetings import list_meetings
    from pst_data.rules.follow_up import calendar, is_open, reference, updated_since
    from pst_data.rules.schedule import urgency

    today = today or clock.today()
    led_plan_ids = session.scalars(
        select(StrategicObjective.plan_id).join(OperationalObjective).join(Action)
        .where(Action.lead_account_id == account_id).distinct()
    ).all()
    frames = []
    for plan_id in sorted(led_plan_ids):
        if plan_ids is not None and plan_id not in plan_ids:
            continue
        plan = find_plan(session, plan_id=plan_id)
        actions = actions_frame(session, plan, today)
        actions = actions[actions["lead_account_id"] == account_id].copy()
        cal = calendar(list_meetings(session, plan_id), today)
        ref = reference(cal, today, plan["stale_after_days"])
        comments = dict(session.execute(select(Action.id, Action.comment).where(Action.id.in_(actions["id"].tolist()))).all())
        actions["comment"] = [comments.get(i) for i in actions["id"]]
        actions["plan_id"], actions["plan_slug"], actions["organisation"] = plan_id, plan["slug"], plan["organisation"]
        actions["last_bureau"], actions["next_bureau"] = cal.last_bureau, cal.next_bureau
        actions["stale_after_days"] = plan["stale_after_days"]
        actions["to_update"] = actions["status"].map(is_open) & ~updated_since(actions, ref.day)
        frames.append(actions)
    if not frames:
        return pd.DataFrame(columns=MY_ACTION_COLUMNS)
    mine = pd.concat(frames, ignore_index=True)
    far = dt.date.max
    mine["_order"] = [(*urgency(s, g, e, today), not u, nb or far, e if isinstance(e, dt.date) else far)
                      for s, g, u, nb, e in zip(mine["schedule"], mine["schedule_gap"], mine["to_update"],
                                                mine["next_bureau"], mine["due_date"], strict=True)]
    return mine.sort_values("_order", kind="stable").reset_index(drop=True)[MY_ACTION_COLUMNS]
