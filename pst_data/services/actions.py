"""Action writes: one action's fields, the bulk table, creating, moving and deleting an action,
and the same change over many actions (Ville–CPAS synergy, merging two spellings of a chef de projet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import (
    Action,
    History,
    OperationalObjective,
    StrategicObjective,
)
from pst_data.actions import (
    FIELD_LABELS,
    action_payload,
    action_values,
    apply_action_values,
    history_text,
)
from pst_data.rules.access import Actor
from pst_data.rules.errors import EditError
from pst_data.services._common import (
    SaveResult,
    _action,
    _comment,
    _plan_of,
    _update,
    _update_each,
    parse_progress,
    validate_action,
)
from pst_data.uow import Operator, UnitOfWork, write

# -- action fields ------------------------------------------------------------------------

def update_action(engine: Engine, action_id: int, expected_version: int, changes: dict[str, Any],
                  actor: Actor | Operator, comment: str | None = None) -> SaveResult:
    """Change some fields of one action, from the version the user saw."""
    comment = _comment(comment)
    if "progress" in changes:
        changes = {**changes, "progress": parse_progress(changes["progress"])}
    with write(engine, actor) as uow:
        return _update(uow, _action(uow.session, action_id), expected_version, changes, comment)


def set_progress(engine: Engine, action_id: int, expected_version: int, progress: Any,
                 actor: Actor | Operator, comment: str | None = None) -> SaveResult:
    """The quick edit: a new taux (and an optional one-line comment)."""
    return update_action(engine, action_id, expected_version, {"progress": progress}, actor, comment)


# -- the bulk table -----------------------------------------------------------------------

@dataclass
class RowEdit:
    action_id: int
    expected_version: int
    changes: dict[str, Any]
    code: str | None = None  # for messages ("Ligne 1.1.1.1.3 : …")


@dataclass
class CellConflict:
    """A cell of the bulk table that someone else changed meanwhile: not saved, shown."""

    action_id: int
    code: str
    field: str
    yours: Any
    current: Any
    by: str | None

    def message(self) -> str:
        label = FIELD_LABELS.get(self.field, self.field)
        return (f"{self.code} · {label} : vous aviez saisi « {history_text(self.yours) or '—'} », "
                f"mais {self.by or 'quelqu’un'} l'a changé entre-temps en « {history_text(self.current) or '—'} ».")


@dataclass
class BulkResult:
    saved: list[SaveResult]
    conflicts: list[CellConflict]


# A taux and a status move together (coherent_status_and_progress): one conflict for both.
LINKED_FIELDS = {"progress", "status"}


def bulk_update(engine: Engine, edits: list[RowEdit], actor: Actor | Operator, comment: str | None = None) -> BulkResult:
    """Save the edited cells of several actions.

    An invalid cell anywhere: nothing is saved and every invalid cell is listed. A row someone
    else saved since the table was drawn: its cells are merged with their change field by field
    (a cell they did not touch is saved on top of their version; a cell they changed too is not
    saved and comes back as a CellConflict)."""
    comment = _comment(comment)
    errors: list[str] = []
    prepared = []
    for edit in edits:
        changes = dict(edit.changes)
        if "progress" in changes:
            try:
                changes["progress"] = parse_progress(changes["progress"])
            except EditError as exc:
                errors.extend(f"Ligne {edit.code or edit.action_id} : {e}" for e in exc.errors)
                # The row's other cells are still checked: every invalid cell is named at once
                # (nothing is saved anyway while an error remains).
                del changes["progress"]
        if changes:
            prepared.append(RowEdit(edit.action_id, edit.expected_version, changes, edit.code))
    saved: list[SaveResult] = []
    conflicts: list[CellConflict] = []
    with write(engine, actor) as uow:
        # The plans first, then the versions: a concurrent save of the same plan has committed
        # by then, so its cells are merged with ours instead of the whole save being refused
        # (PostgreSQL reads what is committed at each statement; SQLite serialises anyway).
        for plan_id in uow.session.scalars(
                select(StrategicObjective.plan_id).distinct()
                .join(OperationalObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
                .join(Action, Action.operational_objective_id == OperationalObjective.id)
                .where(Action.id.in_([e.action_id for e in prepared])).order_by(StrategicObjective.plan_id)):
            uow.lock_plan(plan_id)
        for edit in prepared:
            try:
                action = _action(uow.session, edit.action_id)
            except EditError as exc:
                errors.extend(exc.errors)
                continue
            changes, version = edit.changes, edit.expected_version
            if action.version != edit.expected_version:
                theirs = _changed_since(uow.session, action.id, edit.expected_version)
                clashing = {f for f in changes
                            if f in theirs or (f in LINKED_FIELDS and LINKED_FIELDS & set(theirs))}
                current = action_values(action)
                conflicts.extend(CellConflict(action.id, action.code, f, changes[f], current.get(f),
                                              theirs.get(f) or next(iter(theirs.values()), None))
                                 for f in sorted(clashing))
                changes = {f: v for f, v in changes.items() if f not in clashing}
                version = action.version
            if not changes:
                continue
            try:
                saved.append(_update(uow, action, version, changes, comment))
            except EditError as exc:
                errors.extend(exc.errors)
        if errors:  # raising inside the unit of work rolls everything back
            raise EditError(errors + ["Aucune modification n'a été enregistrée."])
    return BulkResult([r for r in saved if r.changed], conflicts)


def _changed_since(session: Session, action_id: int, version: int) -> dict[str, str]:
    """field -> who changed it, for the changes made to an action after ``version``."""
    rows = session.execute(
        select(History.field, History.changed_by)
        .where(History.entity == "action", History.entity_id == action_id, History.version_after > version)
        .order_by(History.id)
    ).all()
    return {row.field: row.changed_by for row in rows}


# -- creating, moving and deleting actions ------------------------------------------------

def _code_taken(session: Session, plan_id: int, code: str) -> str | None:
    """The OO code under which ``code`` already names an action of the plan, if any."""
    return session.execute(
        select(OperationalObjective.code).join(Action).join(StrategicObjective)
        .where(StrategicObjective.plan_id == plan_id, Action.code == code)
    ).scalar()


def create_action(engine: Engine, oo_id: int, values: dict[str, Any], actor: Actor | Operator,
                  comment: str | None = None) -> SaveResult:
    comment = _comment(comment)
    with write(engine, actor) as uow:
        session = uow.session
        oo = session.get(OperationalObjective, oo_id)
        if oo is None:
            raise EditError(["Objectif opérationnel introuvable (supprimé entre-temps ?). Rechargez la page."])
        plan = oo.strategic_objective.plan
        merged = validate_action(values, list(plan.priority_scale or []))
        uow.lock_plan(plan.id)  # no other creation in this plan until commit: the check holds
        clash = _code_taken(session, plan.id, merged["code"])
        if clash is not None:
            raise EditError([f"Le code {merged['code']} existe déjà dans ce plan (sous l'objectif {clash}) : "
                             "choisissez un autre code."])
        position = session.scalar(select(func.coalesce(func.max(Action.position), -1) + 1)
                                  .where(Action.operational_objective_id == oo.id))
        action = Action(operational_objective=oo, code=merged["code"], title=merged["title"],
                        position=position, version=1, created_at=uow.now, updated_at=uow.now,
                        updated_by=uow.author, partners=[], risks=[], indicators=[])
        session.add(action)
        session.flush()
        apply_action_values(session, action, plan.id, {k: v for k, v in merged.items() if k != "code"}, uow.new_label)
        uow.record(plan.id, "create", "action", None, action.title, code=action.code, entity_id=action.id,
                   comment=comment, version_after=1)
        uow.record(plan.id, "create", "progress", None, action.progress, code=action.code,
                   entity_id=action.id, version_after=1)
        session.flush()
        return SaveResult(action.id, action.code, 1, ["action"], [], uow.change_id)


def move_action(engine: Engine, action_id: int, expected_version: int, target_oo_id: int,
                actor: Actor | Operator) -> SaveResult:
    with write(engine, actor) as uow:
        action = _action(uow.session, action_id)
        target = uow.session.get(OperationalObjective, target_oo_id)
        if target is None:
            raise EditError(["Objectif opérationnel introuvable (supprimé entre-temps ?). Rechargez la page."])
        return _move(uow, action, expected_version, target, "update")


def _move(uow: UnitOfWork, action: Action, expected_version: int, target: OperationalObjective,
          kind: str, comment: str | None = None) -> SaveResult:
    source = action.operational_objective
    plan_id = source.strategic_objective.plan_id
    if target.strategic_objective.plan_id != plan_id:
        raise EditError(["Une action ne peut être déplacée que vers un objectif du même plan."])
    if target.id == source.id:
        return SaveResult(action.id, action.code, action.version, [], [], uow.change_id)
    uow.lock_plan(plan_id)
    new_version = uow.claim(Action, action.id, expected_version, action.code)
    # The position is kept: the "as of" rebuild puts a moved action back where it was.
    action.operational_objective = target
    action.version = new_version
    action.updated_at, action.updated_by = uow.now, uow.author
    # The codes (what the journal and the "as of" rebuild read) and the ids (what undo needs).
    uow.record(plan_id, kind, "operational_objective", source.code, target.code, code=action.code,
               entity_id=action.id, comment=comment, version_after=new_version,
               payload={"from_oo_id": source.id, "to_oo_id": target.id})
    uow.session.flush()
    return SaveResult(action.id, action.code, new_version, ["operational_objective"], [], uow.change_id)


def delete_action(engine: Engine, action_id: int, expected_version: int, actor: Actor | Operator) -> None:
    with write(engine, actor) as uow:
        action = _action(uow.session, action_id)
        plan_id = _plan_of(action).id
        uow.lock_plan(plan_id)
        uow.claim(Action, action.id, expected_version, action.code)
        uow.record(plan_id, "delete", "action", action.title, None, code=action.code, entity_id=action.id,
                   version_after=expected_version + 1, payload=action_payload(uow.session, action))
        uow.session.flush()
        uow.session.delete(action)


# -- one change over many actions --------------------------------------------------------

def mark_with_commune(engine: Engine, actor: Actor | Operator, action_ids: list[int], value: bool,
                      comment: str | None = None) -> list[SaveResult]:
    """Mark many actions as Ville–CPAS synergies at once (or unmark them): one change in the
    journal, undone as one; an action already marked so is left alone."""
    comment = _comment(comment)
    with write(engine, actor) as uow:
        return _update_each(uow, action_ids,
                            lambda action: None if bool(action.with_commune) == value else {"with_commune": value},
                            comment)


def merge_leads(engine: Engine, actor: Actor | Operator, plan_id: int, replaced: str, kept: str,
                comment: str | None = None) -> list[SaveResult]:
    """One chef de projet spelt two ways by the documents (« CRECHE », « CRÈCHE »): every action of
    the plan naming ``replaced`` now names ``kept``. One change in the journal, undone as one.
    The link to an account is left as it is: refused when the two names are linked to two
    different accounts, since the merged name could not say whose actions they are."""
    comment = _comment(comment)
    replaced, kept = (replaced or "").strip(), (kept or "").strip()
    if not replaced or not kept:
        raise EditError(["Choisissez le nom à remplacer et le nom à garder."], ["project_lead"])
    if replaced == kept:
        raise EditError(["Le nom à remplacer et le nom à garder sont le même : rien à fusionner."], ["project_lead"])
    with write(engine, actor) as uow:
        uow.lock_plan(plan_id)
        actions = uow.session.scalars(
            select(Action).join(OperationalObjective).join(StrategicObjective)
            .where(StrategicObjective.plan_id == plan_id, Action.project_lead.in_([replaced, kept]))
            .order_by(Action.id)).all()
        moving = [a for a in actions if a.project_lead == replaced]
        if not moving:
            raise EditError([f"Aucune action de ce plan n'a plus « {replaced[:80]} » pour chef de projet "
                             "(fusionné entre-temps ?). Rechargez la page."], ["project_lead"])
        if not any(a.project_lead == kept for a in actions):
            raise EditError([f"Aucune action de ce plan n'a « {kept[:80]} » pour chef de projet. Rechargez la page."],
                            ["project_lead"])
        accounts = {a.project_lead: set() for a in actions}
        for action in actions:
            if action.lead_account_id is not None:
                accounts[action.project_lead].add(action.lead_account_id)
        if accounts[replaced] and accounts[kept] and accounts[replaced] != accounts[kept]:
            raise EditError([f"« {replaced[:80]} » et « {kept[:80]} » sont reliés à des comptes différents : "
                             "reliez-les d'abord au même compte (ou déliez l'un des deux)."], ["lead_account"])
        return _update_each(uow, [a.id for a in moving], lambda action: {"project_lead": kept}, comment)


