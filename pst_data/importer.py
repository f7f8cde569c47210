"""Import a validated plan into the database, idempotently, and export it back.

Import matches what is already there by code (OS within the plan, OO within its OS, actions
within the plan so that a move between OO keeps the action and its history), updates what
differs, creates what is new and deletes what the file no longer has. Every action change is a
history row; an unchanged file writes nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Action,
    History,
    Label,
    OperationalObjective,
    Plan,
    StrategicObjective,
)
from pst_data.actions import action_payload, action_values, apply_action_values
from pst_data.plan_file import DEFAULT_BANDS, validate_plan
from pst_data.access import Actor, Change
from pst_data.fields import FIELD_LABELS, PLAN_FIELD_LABELS
from pst_data.uow import Operator, UnitOfWork, plan_by_slug, write
from pst_data.formatting import IMPORT_AUTHOR, plural
from pst_data.text import label_key

# The labels every database starts with (Charleroi's PST announces PPI and PGP).
SEED_LABELS = (
    ("États généraux", "Projets répondant aux attentes formulées lors des États généraux du CPAS.", "#1f77b4"),
    ("PPI", "Plan pluriannuel d'investissements.", "#ff7f0e"),
    ("PGP", "Plan global de prévention.", "#2ca02c"),
)
# The demo seed and the imports run from the command line: the journal shows this as their author.
IMPORT_OPERATOR = Operator(IMPORT_AUTHOR)


@dataclass
class ImportReport:
    slug: str
    created: bool = False
    actions_created: int = 0
    actions_updated: int = 0
    actions_deleted: int = 0
    objectives_changed: int = 0
    actions_unchanged: int = 0
    # the plan's own fields that changed: (field, old, new), shown by the preview
    plan_fields: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.actions_created or self.actions_updated or self.actions_deleted
            or self.objectives_changed or self.plan_fields
        )

    def summary(self) -> str:
        def agreed(count: int, word: str) -> str:  # French: the singular for 0 and 1
            return f"{count} {word}{'s' if count > 1 else ''}"

        if self.created:
            return f"Plan « {self.slug} » créé : {agreed(self.actions_created, 'action')} importée" \
                   f"{'s' if self.actions_created > 1 else ''}."
        if not self.changed:
            return f"Plan « {self.slug} » : déjà à jour, rien n'a changé."
        fields = len(self.plan_fields)
        plan_fields = f", {agreed(fields, 'champ')} du plan modifié{'s' if fields > 1 else ''}" if fields else ""
        return (
            f"Plan « {self.slug} » mis à jour : {agreed(self.actions_created, 'action')} "
            f"{agreed(self.actions_created, 'ajoutée').split(' ', 1)[1]}, "
            f"{agreed(self.actions_updated, 'modifiée')}, {agreed(self.actions_deleted, 'supprimée')}, "
            f"{agreed(self.objectives_changed, 'objectif')} modifié{'s' if self.objectives_changed > 1 else ''}"
            f"{plan_fields}."
        )


def ensure_seed_labels(session: Session) -> None:
    existing = set(session.scalars(select(Label.name_key)))
    for name, description, colour in SEED_LABELS:
        if label_key(name) not in existing:
            session.add(Label(name=name, name_key=label_key(name), description=description, colour=colour))


PLAN_FIELDS = ("organisation", "ins_code", "title", "document", "source", "priority_scale",
               "evaluation_bands", "stated_totals", "notes")


def import_plan(engine: Engine, plan_data: dict[str, Any], actor: Actor | Operator = IMPORT_OPERATOR) -> ImportReport:
    """Import a plan dict (validated again here: callers may hand over raw data)."""
    plan_data = validate_plan(plan_data)
    with write(engine, actor, origin="import") as uow:
        return _import(uow, plan_data)


@dataclass(frozen=True)
class PreviewLine:
    kind: str  # create | update | delete
    element: str  # "action 1.1.2", "OO 1.1", "plan"
    field: str  # French field name ("" for a whole element)
    old: str | None
    new: str | None


@dataclass
class ImportPreview:
    report: ImportReport
    lines: list[PreviewLine]

    @property
    def removals(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.kind == "delete"]

    def text(self) -> str:
        """The preview as the CLI prints it, in French."""
        out = [self.report.summary().replace(" créé :", " serait créé :").replace(" mis à jour :", " serait mis à jour :")]
        if self.report.created:
            return out[0]
        reordered = self.report.actions_updated - len({line.element for line in self.lines
                                                       if line.kind == "update" and line.element.startswith("action")})
        if reordered > 0:
            out.append(f"Dont {plural(reordered, 'action')} qui {'change' if reordered < 2 else 'changent'} seulement "
                       "de place dans l'ordre du plan.")
        out.append(f"Inchangées : {plural(self.report.actions_unchanged, 'action')}.")
        if self.report.plan_fields:
            out.append(f"Champs du plan à modifier ({len(self.report.plan_fields)}) :")
            for name, old, new in self.report.plan_fields:
                out.append(f"  plan · {PLAN_FIELD_LABELS.get(name, name)} : « {_shown(old)} » → « {_shown(new)} »")
        for kind, title in (("create", "À créer"), ("update", "À modifier"), ("delete", "À supprimer")):
            lines = [line for line in self.lines if line.kind == kind]
            if not lines:
                continue
            out.append(f"{title} ({len(lines)}) :")
            for line in lines:
                if kind == "update":
                    out.append(f"  {line.element} · {line.field} : « {line.old or '—'} » → « {line.new or '—'} »")
                else:
                    out.append(f"  {line.element} « {(line.old if kind == 'delete' else line.new) or ''} »")
        return "\n".join(out)


def _shown(value: Any) -> str:
    """A plan field's value on one line of the preview."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return " ; ".join(f"{v['label']} {v['min']}-{v['max']}" if isinstance(v, dict) and "label" in v else str(v)
                          for v in value)
    return str(value)


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
                    session.flush()
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


class DatabasePlans:
    """The plans a file reader may update (pst_data.exchange.files.KnownPlans)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def export(self, slug: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            try:
                return export_plan(session, slug)
            except LookupError:
                return None

    def slugs_for_ins(self, ins_code: str | None) -> list[str]:
        if not ins_code:
            return []
        with Session(self.engine) as session:
            return list(session.scalars(select(Plan.slug).where(Plan.ins_code == ins_code).order_by(Plan.slug)))


# -- export -------------------------------------------------------------------------------

def export_plan(session: Session, slug: str) -> dict[str, Any]:
    """The plan in plan-file shape (what ``import_plan`` takes back unchanged)."""
    plan = session.scalars(
        select(Plan)
        .where(Plan.slug == slug)
        .options(
            selectinload(Plan.strategic_objectives)
            .selectinload(StrategicObjective.operational_objectives)
            .selectinload(OperationalObjective.actions)
            .options(selectinload(Action.labels), selectinload(Action.services),
                     selectinload(Action.sub_actions))
        )
    ).one_or_none()
    if plan is None:
        raise LookupError(slug)
    period = None
    if plan.period_start is not None or plan.period_end is not None:
        period = {"start": plan.period_start, "end": plan.period_end}
    return {
        "format": 1,
        "slug": plan.slug,
        "organisation": plan.organisation,
        "ins_code": plan.ins_code,
        "title": plan.title,
        "period": period,
        "source": plan.source,
        "document": plan.document,
        "priority_scale": list(plan.priority_scale or []),
        "evaluation_bands": list(plan.evaluation_bands or DEFAULT_BANDS),
        "stated_totals": dict(plan.stated_totals or {}),
        "notes": list(plan.notes or []),
        "strategic_objectives": [
            {
                "code": os_.code,
                "title": os_.title,
                "axis": os_.axis,
                "description": os_.description,
                "stated_totals": dict(os_.stated_totals or {}),
                "operational_objectives": [
                    {
                        "code": oo.code,
                        "title": oo.title,
                        "description": oo.description,
                        "indicators": list(oo.indicators or []),
                        "actions": [action_values(a) for a in oo.actions],
                    }
                    for oo in os_.operational_objectives
                ],
            }
            for os_ in plan.strategic_objectives
        ],
    }
