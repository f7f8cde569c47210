"""Import writes: a validated plan imported into the database, idempotently (matched by code,
updated where it differs, every change recorded, an unchanged file writes nothing), and the same
import previewed field by field, then rolled back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from db.models import (
    Action,
    History,
    OperationalObjective,
    Plan,
    StrategicObjective,
)
from pst_data.actions import action_payload, apply_action_values
from pst_data.exchange.plan_file import validate_plan
from pst_data.importer import IMPORT_OPERATOR, ImportPreview, ImportReport, PreviewLine, ensure_seed_labels
from pst_data.rules.access import Actor, Change
from pst_data.rules.fields import FIELD_LABELS
from pst_data.uow import Operator, UnitOfWork, plan_by_slug, write

PLAN_FIELDS = ("organisation", "ins_code", "title", "document", "source", "priority_scale",
               "evaluation_bands", "stated_totals", "notes")


def import_plan(engine: Engine, plan_data: dict[str, Any], actor: Actor | Operator = IMPORT_OPERATOR) -> ImportReport:
    """Import a plan dict (validated again here: callers may hand over raw data)."""
    plan_data = validate_plan(plan_data)
    with write(engine, actor, origin="import") as uow:
        return _import(uow, plan_data)


class _DryRun(Exception):
    """Raised inside the unit of work to roll the import back after looking at it."""

    def __init__(self, preview: ImportPreview):
        self.preview = preview


def preview_import(engine: Engine, plan_data: dict[str, Any], actor: Actor | Operator = IMPORT_OPERATOR) -> ImportPreview:
    """What importing ``plan_data`` would change, field by field, without writing anything: the
    import runs through the same code (and the same role checks), then is rolled back."""
    plan_data = validate_plan(plan_data)
    try:
        with write(engine, actor, origin="import") as uow:
            report = _import(uow, plan_data)
            lines = []
            for row in uow.recorded:
                if row.kind == "import":  # a new action: one line with its title (not its taux, status)
                    if row.field == "progress":
                        lines.append(PreviewLine("create", f"action {row.action_code}", "", None,
                                                 uow.session.get(Action, row.entity_id).title))
                elif row.entity == "plan":  # listed apart, from report.plan_fields
                    continue
                elif row.field != "position":  # a new order alone is not worth a line
                    lines.append(_preview_line(row))
            raise _DryRun(ImportPreview(report, lines))
    except _DryRun as dry:
        return dry.preview


def _preview_line(row: History) -> PreviewLine:
    element = {"action": "action", "os": "OS", "oo": "OO"}.get(row.entity, row.entity) + f" {row.action_code}"
    whole = row.field in ("action", "objective")
    return PreviewLine(kind=row.kind, element=element, field="" if whole else FIELD_LABELS.get(row.field, row.field),
                       old=row.old_value, new=row.new_value)


def _import(uow: UnitOfWork, data: dict[str, Any]) -> ImportReport:
    """Through the one write path: every change recorded, versions claimed (an action saved by
    someone during the import makes the whole import refused, not silently overwritten)."""
    session, now = uow.session, uow.now
    report = ImportReport(slug=data["slug"])
    ensure_seed_labels(session)

    plan = plan_by_slug(session, data["slug"])
    # who may import here: an admin, or a directeur of this (existing) plan
    uow.require(Change(plan_id=plan.id if plan else None, entity="plan", kind="create" if plan is None else "import",
                       origin="import"))
    if plan is None:
        plan = Plan(slug=data["slug"], revision=0, created_at=now, updated_at=now)
        session.add(plan)
        report.created = True
    period = data["period"] or {}
    plan_values = {key: data[key] for key in PLAN_FIELDS}
    plan_values["period_start"] = period.get("start")
    plan_values["period_end"] = period.get("end")
    plan_changed = False
    for key, value in plan_values.items():
        old = getattr(plan, key, None)
        if old != value:
            if not report.created:
                report.plan_fields.append((key, old, value))
            setattr(plan, key, value)
            plan_changed = True
    session.flush()
    uow.lock_plan(plan.id)  # the whole import holds the plan: saves wait (or are refused in French)
    for key, old, value in report.plan_fields:  # the plan's own fields, in the change log too
        uow.record(plan.id, "update", key, old, value, code=plan.slug, entity="plan", entity_id=plan.id)

    existing_actions = {
        a.code: a
        for a in session.scalars(
            select(Action)
            .join(OperationalObjective)
            .join(StrategicObjective)
            .where(StrategicObjective.plan_id == plan.id)
            .options(selectinload(Action.labels), selectinload(Action.services),
                     selectinload(Action.sub_actions))
        )
    }
    existing_os = {o.code: o for o in plan.strategic_objectives}
    seen_actions: set[str] = set()
    gone_oos: list[OperationalObjective] = []

    def record(action: Action, kind: str, field_name: str, old: Any, new: Any, payload=None) -> None:
        uow.record(plan.id, kind, field_name, old, new, code=action.code, entity_id=action.id,
                   version_after=action.version, payload=payload)

    def record_objective(level: str, obj: Any, kind: str, field_name: str, old: Any, new: Any) -> None:
        if not report.created:  # a new plan's objectives are the import itself
            uow.record(plan.id, kind, field_name, old, new, code=obj.code, entity=level, entity_id=obj.id,
                       version_after=obj.version)

    def sync_objective(level: str, obj: Any, values: dict[str, Any], is_new: bool) -> None:
        """Set an OS's or OO's values from the file and record what changed (its version
        claimed: a rename form opened before the import is then refused, not lost)."""
        changed = _set_all(obj, values)
        if changed and not is_new:
            obj.version = uow.claim(type(obj), obj.id, obj.version, obj.code, entity=level)
        session.flush()
        if is_new:
            record_objective(level, obj, "create", "objective", None, obj.title)
        for name, old, new in changed:
            record_objective(level, obj, "update", name, old, new)
        if (changed or is_new) and not report.created:
            report.objectives_changed += 1

    for os_position, os_data in enumerate(data["strategic_objectives"]):
        os_ = existing_os.pop(os_data["code"], None)
        is_new = os_ is None
        if is_new:
            os_ = StrategicObjective(plan=plan, code=os_data["code"])
            session.add(os_)
        os_values = {"title": os_data["title"], "axis": os_data["axis"],
                     "description": os_data["description"],
                     "stated_totals": os_data["stated_totals"], "position": os_position}
        sync_objective("os", os_, os_values, is_new)
        existing_oo = {o.code: o for o in os_.operational_objectives}
        for oo_position, oo_data in enumerate(os_data["operational_objectives"]):
            oo = existing_oo.pop(oo_data["code"], None)
            is_new = oo is None
            if is_new:
                oo = OperationalObjective(strategic_objective=os_, code=oo_data["code"])
                session.add(oo)
            oo_values = {"title": oo_data["title"], "description": oo_data["description"],
                         "indicators": oo_data["indicators"], "position": oo_position}
            sync_objective("oo", oo, oo_values, is_new)
            for position, action_data in enumerate(oo_data["actions"]):
                code = action_data["code"]
                seen_actions.add(code)
                action = existing_actions.get(code)
                if action is None:
                    action = Action(operational_objective=oo, code=code, title=action_data["title"],
                                    position=position, version=1, created_at=now, updated_at=now,
                                    updated_by=uow.author, partners=[], risks=[], indicators=[])
                    session.add(action)
                    apply_action_values(session, action, plan.id, _without_code(action_data), uow.new_label)
                    session.flush()
                    record(action, "import", "progress", None, action.progress)
                    if action.status is not None:
                        record(action, "import", "status", None, action.status)
                    report.actions_created += 1
                    continue
                changes = apply_action_values(session, action, plan.id, _without_code(action_data), uow.new_label)
                moved = action.operational_objective_id != oo.id
                if moved:
                    changes.append(("operational_objective",
                                    action.operational_objective.code, oo.code))
                    action.operational_objective = oo
                if action.position != position:  # a new order in the file is a change too
                    changes.append(("position", action.position, position))
                    action.position = position
                if changes:
                    action.version = uow.claim(Action, action.id, action.version, action.code)
                    action.updated_at = now
                    action.updated_by = uow.author
                    for name, old, new in changes:
                        record(action, "update", name, old, new)
                    report.actions_updated += 1
                else:
                    report.actions_unchanged += 1
        for oo_gone in existing_oo.values():
            gone_oos.append(oo_gone)
    for code, action in existing_actions.items():
        if code not in seen_actions:
            record(action, "delete", "action", action.title, None, payload=action_payload(session, action))
            session.delete(action)
            report.actions_deleted += 1
    session.flush()
    for level, gone in [("oo", o) for o in gone_oos] + [("os", o) for o in existing_os.values()]:
        record_objective(level, gone, "delete", "objective", gone.title, None)
        session.delete(gone)
        report.objectives_changed += 1
    session.flush()
    if plan_changed:
        uow.touch(plan.id)
    return report


def _without_code(action_data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in action_data.items() if k != "code"}


def _set_all(obj: Any, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Set the values that differ; return them as (field, old, new)."""
    changed = []
    for key, value in values.items():
        old = getattr(obj, key)
        if old != value:
            setattr(obj, key, value)
            changed.append((key, old, value))
    return changed
