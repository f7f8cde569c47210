"""The write services: one short function per use case, each over one unit of work.

Every change a page, the bulk table or the CLI makes goes through here: the service validates
first (French messages naming the field; nothing is written on error), then the unit of work
(``pst_data.uow.write``) checks versions atomically, records the history, bumps the plan's
revision and commits once. Structure changes (OS, OO) and deletions are recorded like field
changes and can be undone: a deleted element is kept whole in its history row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

# LABEL_NAME_MAX and LABEL_DESCRIPTION_MAX are read by the forms through this module (max_chars).
from db.limits import LABEL_DESCRIPTION_MAX, LABEL_NAME_MAX, TITLE_MAX  # noqa: F401
from db.models import (
    STATUSES,
    Action,
    History,
    Label,
    OperationalObjective,
    Plan,
    StrategicObjective,
)
from pst_data.actions import (
    EDITABLE_FIELDS,
    FIELD_LABELS,
    action_payload,
    action_values,
    apply_action_values,
    history_text,
    parse_history_text,
)
from pst_data.errors import Conflict, ConflictError, EditError
from pst_data.plan_file import PlanChecker
from pst_data.access import Actor, Change
from pst_data.uow import Operator, UnitOfWork, write
from pst_data.text import label_key

FINALISED = "Finalisé"
COMMENT_MAX = 500
LEVELS = {"os": StrategicObjective, "oo": OperationalObjective}
LEVEL_NAMES = {"os": "objectif stratégique", "oo": "objectif opérationnel"}


@dataclass
class SaveResult:
    action_id: int
    code: str
    version: int
    changed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    change_id: str | None = None
    status: str | None = None
    progress: int | None = None

    @property
    def suggests_finalising(self) -> bool:
        return suggests_finalising(self.status, self.progress)


# -- rules --------------------------------------------------------------------------------

def coherent_status_and_progress(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The rule tying status and taux, in one place.

    - Setting "Finalisé" sets the taux to 100 % (and says so).
    - A taux below 100 % on a finalised action takes it back to "En cours" (and says so).
    A taux of 100 % does not finalise by itself: ``suggests_finalising`` lets the page propose it.
    """
    changes = dict(changes)
    notices = []
    status = changes.get("status", current.get("status"))
    progress = changes.get("progress", current.get("progress"))
    if "status" in changes and status == FINALISED and progress != 100:
        changes["progress"] = 100
        notices.append("Statut « Finalisé » : le taux d'avancement passe à 100 %.")
    elif "progress" in changes and status == FINALISED and progress is not None and progress < 100:
        changes["status"] = "En cours"
        notices.append(f"Taux de {progress} % : le statut repasse de « Finalisé » à « En cours ».")
    return changes, notices


def suggests_finalising(status: str | None, progress: int | None) -> bool:
    return progress == 100 and status != FINALISED


def parse_progress(value: Any) -> int | None:
    """A taux as typed ("45", 45, "45 %", "" for none) -> int, or EditError in French. The
    plan-file rule, so a page, the bulk table, a file and the CLI give the same answer."""
    checker = PlanChecker()
    taux = checker.progress(value, "")
    if checker.errors:
        raise EditError([e[0].upper() + e[1:] for e in checker.errors], checker.fields)
    return taux


def validate_action(values: dict[str, Any], scale: list[str], prefix: str = "") -> dict[str, Any]:
    """Validate a whole action (plan-file shape) with the plan-file rules: the normalised
    action, or EditError with every French message and the fields they are about."""
    checker = PlanChecker()
    normalised = checker.action(values, "", set(scale))
    if checker.errors:
        raise EditError([prefix + (e.removeprefix(" › action ").split(" : ", 1)[-1] if " : " in e else e)
                         for e in checker.errors], checker.fields)
    return normalised


def _checked_text(value: str, label: str, limit: int) -> str:
    """The plan-file text rules (length, no NUL byte, no lone surrogate) for one value."""
    checker = PlanChecker()
    value = checker.text(value, "", label, limit=limit)
    if checker.errors:
        raise EditError(checker.errors)
    return value


def _comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise EditError([f"Commentaire trop long ({len(comment)} caractères, maximum {COMMENT_MAX})."])
    return _checked_text(comment, "Commentaire", COMMENT_MAX) if comment else None


def _plan_of(action: Action) -> Plan:
    return action.operational_objective.strategic_objective.plan


# -- action fields ------------------------------------------------------------------------

def _update(uow: UnitOfWork, action: Action, expected_version: int, changes: dict[str, Any],
            comment: str | None, kind: str = "update") -> SaveResult:
    """Validate ``changes`` on top of the action, check its version, apply, record."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise EditError([f"{'Champ non modifiable' if len(unknown) == 1 else 'Champs non modifiables'} : "
                         f"{', '.join(unknown)}."])
    if action.version != expected_version:
        raise ConflictError([uow.conflict("action", action.id, expected_version, action.code, action.version)])
    plan = _plan_of(action)
    for name in changes:  # refused before anything is compared: a lecteur gets no "nothing to save"
        uow.require(Change(plan.id, "action", kind, name, action.lead_account_id))
    current = action_values(action)
    changes, notices = coherent_status_and_progress(current, changes)
    merged = validate_action({**current, **changes}, list(plan.priority_scale or []), f"Action {action.code} : ")
    uow.lock_plan(plan.id)  # every write takes the plan first, then its rows: no deadlock
    new_version = uow.claim(Action, action.id, expected_version, action.code)
    uow.session.refresh(action, ["version"])
    applied = apply_action_values(uow.session, action, plan.id, {k: merged[k] for k in changes}, uow.new_label)
    if not applied:
        # Nothing differs: give the version back so nobody else gets a needless conflict.
        action.version = expected_version
    else:
        action.updated_at = uow.now
        action.updated_by = uow.author
        for name, old, new in applied:
            uow.record(plan.id, kind, name, old, new, code=action.code, entity_id=action.id,
                       comment=comment, version_after=new_version)
    uow.session.flush()
    return SaveResult(action.id, action.code, action.version, [n for n, _, _ in applied], notices,
                      uow.change_id, action.status, action.progress)


def _action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise EditError([f"L'action n° {action_id} n'existe plus (supprimée entre-temps ?). Rechargez la page."])
    return action


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


# -- objectives ---------------------------------------------------------------------------

def _objective(session: Session, level: str, objective_id: int):
    obj = session.get(LEVELS[level], objective_id)
    if obj is None:
        raise EditError(["Cet objectif n'existe plus (supprimé entre-temps ?). Rechargez la page."])
    return obj


def _plan_id_of(obj) -> int:
    return obj.plan_id if isinstance(obj, StrategicObjective) else obj.strategic_objective.plan_id


def _code_taken_by_sibling(session: Session, level: str, parent_id: int, code: str,
                           except_id: int | None = None) -> bool:
    """Does another OS of the plan (level "os", parent = plan) or OO of the OS have ``code``?"""
    model = LEVELS[level]
    parent_col = StrategicObjective.plan_id if level == "os" else OperationalObjective.strategic_objective_id
    return session.scalar(select(model.id).where(parent_col == parent_id, model.code == code,
                                                 model.id != (except_id or -1))) is not None


def _objective_code_label(level: str, code: str) -> str:
    return f"{'OS' if level == 'os' else 'OO'} {code}"


def save_objective(engine: Engine, level: str, actor: Actor | Operator, *, objective_id: int | None = None,
                   parent_id: int | None = None, code: str, title: str,
                   expected_version: int | None = None) -> int:
    """Create (objective_id None) or rename an OS (level "os", parent = plan) or an OO
    (level "oo", parent = OS). ``expected_version``: the version the form was drawn with (a
    rename from a stale form is refused). Returns the objective's id."""
    model = LEVELS[level]
    parent_col = StrategicObjective.plan_id if level == "os" else OperationalObjective.strategic_objective_id
    checker = PlanChecker()
    code = checker.code(code, "")
    title = checker.text(title, "", "title", required=True, limit=TITLE_MAX)
    if checker.errors:
        raise EditError([e.removeprefix(" : ") for e in checker.errors])
    with write(engine, actor) as uow:
        session = uow.session
        if objective_id is not None:
            obj = _objective(session, level, objective_id)
            parent_id = obj.plan_id if level == "os" else obj.strategic_objective_id
            plan_id = _plan_id_of(obj)
        else:
            parent = session.get(Plan if level == "os" else StrategicObjective, parent_id)
            if parent is None:
                raise EditError(["Le plan ou l'objectif parent n'existe plus. Rechargez la page."])
            plan_id = parent.id if level == "os" else parent.plan_id
        uow.lock_plan(plan_id)
        if _code_taken_by_sibling(session, level, parent_id, code, objective_id):
            raise EditError([f"Un {LEVEL_NAMES[level]} porte déjà le code {code}."])
        if objective_id is None:
            position = session.scalar(select(func.coalesce(func.max(model.position), -1) + 1)
                                      .where(parent_col == parent_id))
            obj = (StrategicObjective(plan_id=parent_id, code=code, title=title, position=position, version=1)
                   if level == "os" else
                   OperationalObjective(strategic_objective_id=parent_id, code=code, title=title,
                                        position=position, version=1))
            session.add(obj)
            session.flush()
            uow.record(plan_id, "create", "objective", None, title, code=code, entity=level,
                       entity_id=obj.id, version_after=1)
            return obj.id
        changes = [(name, getattr(obj, name), new) for name, new in (("code", code), ("title", title))
                   if getattr(obj, name) != new]
        if not changes:
            return obj.id
        version = uow.claim(model, obj.id, obj.version if expected_version is None else expected_version,
                            _objective_code_label(level, obj.code), entity=level)
        obj.version = version
        for name, old, new in changes:
            uow.record(plan_id, "update", name, old, new, code=code, entity=level, entity_id=obj.id,
                       version_after=version)
        obj.code, obj.title = code, title
        session.flush()
        return obj.id


def reorder_objectives(engine: Engine, level: str, ordered_ids: list[int], actor: Actor | Operator) -> None:
    """Put the objectives of one parent in the given order (each move is in the history)."""
    model = LEVELS[level]
    with write(engine, actor) as uow:
        objects = {o.id: o for o in uow.session.scalars(select(model).where(model.id.in_(ordered_ids)))}
        if len(objects) != len(ordered_ids) or not objects:
            raise EditError(["Certains objectifs n'existent plus ; rechargez la page."])
        plan_id = _plan_id_of(objects[ordered_ids[0]])
        uow.lock_plan(plan_id)
        for position, oid in enumerate(ordered_ids):
            obj = objects[oid]
            if obj.position != position:
                version = uow.claim(model, obj.id, obj.version, obj.code, entity=level)
                uow.record(plan_id, "update", "position", obj.position, position, code=obj.code,
                           entity=level, entity_id=obj.id, version_after=version)
                obj.position, obj.version = position, version


def delete_objective(engine: Engine, level: str, objective_id: int, actor: Actor | Operator,
                     expected_version: int | None = None,
                     expected_actions: dict[int, int] | None = None) -> int:
    """Delete an OS or OO and everything under it; returns the number of actions deleted.

    ``expected_actions`` ({action id: version}, what the page showed): refused if an action
    under the objective was added, changed or removed since. The whole objective is kept in the
    history (undo brings it back with its actions and their history)."""
    model = LEVELS[level]
    with write(engine, actor) as uow:
        session = uow.session
        obj = _objective(session, level, objective_id)
        plan_id = _plan_id_of(obj)
        uow.lock_plan(plan_id)
        label = _objective_code_label(level, obj.code)
        version = uow.claim(model, obj.id, obj.version if expected_version is None else expected_version,
                            label, entity=level)
        oos = obj.operational_objectives if level == "os" else [obj]
        actions = [a for oo in oos for a in oo.actions]
        if expected_actions is not None and {a.id: a.version for a in actions} != dict(expected_actions):
            raise EditError([f"Les actions de l'{LEVEL_NAMES[level]} {obj.code} ont changé depuis l'affichage "
                             "de la page : rechargez-la et vérifiez avant de supprimer. Rien n'a été supprimé."])
        payload = _objective_payload(session, level, obj)
        uow.record(plan_id, "delete", "objective", obj.title, None, code=obj.code, entity=level,
                   entity_id=obj.id, version_after=version, payload=payload)
        for action in actions:  # the journal and the "as of" rebuild list each deleted action
            uow.record(plan_id, "delete", "action", action.title, None, code=action.code,
                       entity_id=action.id, version_after=action.version)
        session.flush()
        session.delete(obj)
        return len(actions)


def _objective_payload(session: Session, level: str, obj) -> dict[str, Any]:
    def oo_payload(oo: OperationalObjective) -> dict[str, Any]:
        return {"id": oo.id, "os_id": oo.strategic_objective_id, "code": oo.code, "title": oo.title,
                "description": oo.description, "indicators": list(oo.indicators or []),
                "position": oo.position, "version": oo.version,
                "actions": [action_payload(session, a) for a in oo.actions]}

    if level == "oo":
        return oo_payload(obj)
    return {"id": obj.id, "plan_id": obj.plan_id, "code": obj.code, "title": obj.title, "axis": obj.axis,
            "description": obj.description, "stated_totals": dict(obj.stated_totals or {}),
            "position": obj.position, "version": obj.version,
            "operational_objectives": [oo_payload(oo) for oo in obj.operational_objectives]}


# -- undo ---------------------------------------------------------------------------------

# Changes made on their own page, undone there (the journal does not offer them).
NOT_UNDONE_HERE = frozenset({"lead_account"})


def undo_change(engine: Engine, change_id: str, actor: Actor | Operator) -> list[SaveResult]:
    """Revert one change (all its history rows), recorded as a new change of kind "undo".

    Field edits, moves, renames, reorders, creations and deletions (an OS comes back with its
    OO, actions and their history). Refused when something has changed again since: undoing
    would silently drop that later edit."""
    with write(engine, actor) as uow:
        rows = list(uow.session.scalars(select(History).where(History.change_id == change_id).order_by(History.id)))
        if not rows:
            raise EditError(["Cette modification est introuvable."])
        # The plan first, like every write: what is checked below cannot change until commit.
        uow.lock_plan(rows[0].plan_id)
        if any(r.kind == "import" or (r.payload or {}).get("origin") == "import" for r in rows):
            raise EditError(["Un import ne s'annule pas ici : réimportez le fichier précédent."])
        if any(r.entity in ("label", "snapshot", "calendar") for r in rows):
            raise EditError(["Les labels, les instantanés et le calendrier des Bureaux ne s'annulent pas depuis "
                             "le journal : modifiez-les depuis leur page."])
        if any(r.field in ("indicator", "measure") for r in rows):
            raise EditError(["Les indicateurs et leurs mesures ne s'annulent pas depuis le journal : corrigez-les "
                             "sur la page « Indicateurs »."])
        if any(r.field in NOT_UNDONE_HERE for r in rows):
            raise EditError(["Le lien entre un chef de projet et un compte ne s'annule pas depuis le journal : "
                             "changez-le dans Mise à jour → « Chefs de projet »."])
        if any(r.kind == "undo" and r.field in ("action", "objective") for r in rows):
            raise EditError(["Cette annulation a rétabli ou retiré un élément entier : elle ne s'annule pas "
                             "elle-même. Supprimez ou recréez l'élément si nécessaire."])
        comment = f"Annulation de la modification {change_id[:8]}"
        results: list[SaveResult] = []
        # An objective deleted with its actions: restoring it restores them.
        restored_with_objective = {a["id"] for r in rows if r.kind == "delete" and r.entity in LEVELS and r.payload
                                   for a in _payload_actions(r)}
        for row in rows:
            if row.kind == "delete" and row.entity in LEVELS:
                _restore_objective(uow, row, comment)
            elif row.kind == "delete" and row.entity == "action":
                if row.entity_id not in restored_with_objective:
                    results.append(_restore_action(uow, row, row.payload, comment))
            elif row.kind == "create" and row.entity in LEVELS:
                _undo_objective_creation(uow, row, comment)
            elif row.kind == "create" and row.entity == "action" and row.field == "action":
                _undo_action_creation(uow, row, comment)
            elif row.entity in LEVELS:
                _undo_objective_update(uow, row, comment)
        field_rows = [r for r in rows if r.entity == "action" and r.kind in ("update", "undo")]
        results += _undo_action_fields(uow, field_rows, comment)
        return results


def _payload_actions(row: History) -> list[dict[str, Any]]:
    payload = row.payload or {}
    oos = payload.get("operational_objectives", [payload] if "actions" in payload else [])
    return [a for oo in oos for a in oo.get("actions", [])]


def _changed_again(label: str, current: Any) -> EditError:
    return EditError([f"{label} a été modifié depuis (valeur actuelle « {history_text(current) or '—'} ») ; "
                      "annulation refusée."])


def _undo_action_fields(uow: UnitOfWork, rows: list[History], comment: str) -> list[SaveResult]:
    by_action: dict[int, dict[str, Any]] = {}
    moves: dict[int, History] = {}
    errors = []
    for row in rows:
        action = uow.session.get(Action, row.action_id) if row.action_id is not None else None
        if action is None:
            errors.append(f"L'action {row.action_code} a été supprimée : rien à annuler.")
            continue
        if row.field == "operational_objective":
            if action.operational_objective.code != row.new_value:
                errors.append(f"Action {row.action_code} : elle a été déplacée de nouveau depuis ; annulation refusée.")
            moves[action.id] = row
            continue
        current = action_values(action)
        if history_text(current[row.field]) != row.new_value:
            errors.append(
                f"Action {row.action_code} : « {FIELD_LABELS.get(row.field, row.field)} » a été "
                f"modifié depuis (valeur actuelle « {history_text(current[row.field]) or '—'} ») ; "
                "annulation refusée."
            )
            continue
        by_action.setdefault(action.id, {})[row.field] = parse_history_text(row.field, row.old_value)
    if errors:
        raise EditError(errors)
    results = []
    for action_id, row in moves.items():
        action = uow.session.get(Action, action_id)
        source_id = (row.payload or {}).get("from_oo_id")
        source = uow.session.get(OperationalObjective, source_id) if source_id else _oo_by_code(
            uow.session, _plan_of(action).id, row.old_value)
        if source is None:
            raise EditError([f"L'objectif {row.old_value} d'où venait l'action {row.action_code} n'existe plus ; "
                             "annulation refusée."])
        results.append(_move(uow, action, action.version, source, "undo", comment))
    for action_id, changes in by_action.items():
        action = uow.session.get(Action, action_id)
        results.append(_update(uow, action, action.version, changes, comment, kind="undo"))
    return results


def _oo_by_code(session: Session, plan_id: int, code: str | None) -> OperationalObjective | None:
    found = session.scalars(select(OperationalObjective).join(StrategicObjective)
                            .where(StrategicObjective.plan_id == plan_id, OperationalObjective.code == code)).all()
    return found[0] if len(found) == 1 else None


def _undo_action_creation(uow: UnitOfWork, row: History, comment: str) -> None:
    action = uow.session.get(Action, row.action_id) if row.action_id is not None else None
    if action is None or action.code != row.action_code:
        raise EditError([f"L'action {row.action_code} n'existe plus : rien à annuler."])
    if action.version != row.version_after:
        raise EditError([f"L'action {row.action_code} a été modifiée depuis sa création ; annulation refusée "
                         "(supprimez-la si elle n'a plus lieu d'être)."])
    plan_id = _plan_of(action).id
    uow.claim(Action, action.id, action.version, action.code)
    uow.record(plan_id, "undo", "action", action.title, None, code=action.code, entity_id=action.id,
               comment=comment, version_after=action.version + 1,
               payload=action_payload(uow.session, action))
    uow.session.flush()
    uow.session.delete(action)


def _restore_action(uow: UnitOfWork, row: History, payload: dict[str, Any] | None, comment: str,
                    oo: OperationalObjective | None = None) -> SaveResult:
    """Bring a deleted action back from its payload: same id when it is free, same fields and
    place, and its history rows linked to it again."""
    session = uow.session
    if not payload:
        raise EditError([f"L'action {row.action_code} a été supprimée avant que PST Pilot garde les éléments "
                         "supprimés : elle ne peut pas être rétablie."])
    oo = oo or session.get(OperationalObjective, payload["oo_id"])
    if oo is None:
        raise EditError([f"L'objectif de l'action {row.action_code} n'existe plus : rétablissez-le d'abord."])
    plan = oo.strategic_objective.plan
    uow.lock_plan(plan.id)
    values = payload["values"]
    clash = _code_taken(session, plan.id, values["code"])
    if clash is not None:
        raise EditError([f"Le code {values['code']} a été redonné depuis à une autre action (sous {clash}) ; "
                         "rétablissement refusé."])
    same_id_free = session.get(Action, payload["id"]) is None
    version = int(payload.get("version") or 1) + 1
    action = Action(id=payload["id"] if same_id_free else None, operational_objective=oo, code=values["code"],
                    title=values["title"], position=payload.get("position", 0), version=version,
                    created_at=_parse_instant(payload.get("created_at")) or uow.now, updated_at=uow.now,
                    updated_by=uow.author,
                    partners=[], risks=[], indicators=[])
    session.add(action)
    session.flush()
    apply_action_values(session, action, plan.id, {k: v for k, v in values.items() if k != "code"}, uow.new_label)
    # Its history comes back with it, and so does the delete row (the "as of" rebuild pairs a
    # delete with its restore through it).
    relinked = History.id.in_(payload.get("history_ids") or []) | (
        (History.change_id == row.change_id) & (History.entity == "action") & (History.kind == "delete")
        & (History.entity_id == payload["id"]))
    session.execute(update(History).where(relinked).values(action_id=action.id, entity_id=action.id)
                    .execution_options(synchronize_session=False))
    uow.record(plan.id, "undo", "action", None, action.title, code=action.code, entity_id=action.id,
               comment=comment, version_after=version)
    uow.record(plan.id, "undo", "progress", None, action.progress, code=action.code, entity_id=action.id,
               comment=comment, version_after=version)
    session.flush()
    return SaveResult(action.id, action.code, version, ["action"], [], uow.change_id, action.status, action.progress)


def _parse_instant(text: str | None):
    import datetime as dt

    return dt.datetime.fromisoformat(text) if text else None


def _restore_objective(uow: UnitOfWork, row: History, comment: str) -> None:
    session, payload, level = uow.session, row.payload, row.entity
    if not payload:
        raise EditError([f"L'objectif {row.action_code} a été supprimé avant que PST Pilot garde les éléments "
                         "supprimés : il ne peut pas être rétabli."])
    if level == "os":
        plan_id = parent_id = payload["plan_id"]
    else:
        parent = session.get(StrategicObjective, payload["os_id"])
        if parent is None:
            raise EditError([f"L'objectif stratégique de l'OO {row.action_code} n'existe plus : rétablissez-le d'abord."])
        plan_id, parent_id = parent.plan_id, parent.id
    uow.lock_plan(plan_id)
    if _code_taken_by_sibling(session, level, parent_id, payload["code"]):
        raise EditError([f"Le code {payload['code']} a été redonné depuis à un autre {LEVEL_NAMES[level]} ; "
                         "rétablissement refusé."])

    def restore_oo(data: dict[str, Any], os_id: int) -> None:
        oo = OperationalObjective(id=data["id"] if session.get(OperationalObjective, data["id"]) is None else None,
                                  strategic_objective_id=os_id, code=data["code"], title=data["title"],
                                  description=data.get("description"), indicators=data.get("indicators") or [],
                                  position=data.get("position", 0), version=int(data.get("version") or 1) + 1)
        session.add(oo)
        session.flush()
        for action_data in data.get("actions", []):
            _restore_action(uow, row, action_data, comment, oo=oo)

    if level == "os":
        os_ = StrategicObjective(id=payload["id"] if session.get(StrategicObjective, payload["id"]) is None else None,
                                 plan_id=plan_id, code=payload["code"], title=payload["title"], axis=payload.get("axis"),
                                 description=payload.get("description"), stated_totals=payload.get("stated_totals") or {},
                                 position=payload.get("position", 0), version=int(payload.get("version") or 1) + 1)
        session.add(os_)
        session.flush()
        for oo_data in payload.get("operational_objectives", []):
            restore_oo(oo_data, os_.id)
        new_id = os_.id
    else:
        restore_oo(payload, parent_id)
        new_id = session.scalar(select(OperationalObjective.id).where(
            OperationalObjective.strategic_objective_id == parent_id, OperationalObjective.code == payload["code"]))
    uow.record(plan_id, "undo", "objective", None, payload["title"], code=payload["code"], entity=level,
               entity_id=new_id, comment=comment, version_after=int(payload.get("version") or 1) + 1)


def _undo_objective_creation(uow: UnitOfWork, row: History, comment: str) -> None:
    obj = uow.session.get(LEVELS[row.entity], row.entity_id) if row.entity_id else None
    if obj is None or obj.code != row.action_code:
        raise EditError([f"L'objectif {row.action_code} n'existe plus : rien à annuler."])
    uow.session.refresh(obj)  # read after the plan's lock: nobody adds to it until commit
    children = obj.operational_objectives if row.entity == "os" else obj.actions
    if children:
        raise EditError([f"L'objectif {row.action_code} contient déjà des éléments ; annulation refusée "
                         "(supprimez-le si nécessaire)."])
    version = uow.claim(LEVELS[row.entity], obj.id, obj.version, obj.code, entity=row.entity)
    uow.record(_plan_id_of(obj), "undo", "objective", obj.title, None, code=obj.code, entity=row.entity,
               entity_id=obj.id, comment=comment, version_after=version,
               payload=_objective_payload(uow.session, row.entity, obj))
    uow.session.delete(obj)


def _undo_objective_update(uow: UnitOfWork, row: History, comment: str) -> None:
    obj = uow.session.get(LEVELS[row.entity], row.entity_id) if row.entity_id else None
    if obj is None:
        raise EditError([f"L'objectif {row.action_code} n'existe plus : rien à annuler."])
    if row.field not in ("code", "title", "position"):
        raise EditError([f"L'objectif {obj.code} : ce changement ne s'annule pas depuis le journal."])
    current = getattr(obj, row.field)
    if history_text(current) != row.new_value:
        raise _changed_again(f"L'objectif {obj.code} : « {FIELD_LABELS.get(row.field, row.field)} »", current)
    old = int(row.old_value) if row.field == "position" else row.old_value
    model = LEVELS[row.entity]
    parent_id = obj.plan_id if row.entity == "os" else obj.strategic_objective_id
    if row.field == "code" and _code_taken_by_sibling(uow.session, row.entity, parent_id, old, obj.id):
        raise EditError([f"Le code {old} a été redonné depuis ; annulation refusée."])
    version = uow.claim(model, obj.id, obj.version, obj.code, entity=row.entity)
    obj.version = version  # a second row of the same change claims from here
    uow.record(_plan_id_of(obj), "undo", row.field, current, old, code=obj.code if row.field != "code" else old,
               entity=row.entity, entity_id=obj.id, comment=comment, version_after=version)
    setattr(obj, row.field, old)


# -- labels (shared by every plan) --------------------------------------------------------

COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def save_label(engine: Engine, actor: Actor | Operator, name: str, colour: str, description: str | None = None,
               label_id: int | None = None) -> int:
    """Create a label, or rename / recolour / describe one. Labels are shared by every plan:
    the change is in every plan's journal and every plan's revision is bumped."""
    name = " ".join((name or "").split())
    description = (description or "").strip() or None
    errors = []
    if not name:
        errors.append("Donnez un nom au label.")
    elif len(name) > LABEL_NAME_MAX:
        errors.append(f"Nom de label trop long ({len(name)} caractères, maximum {LABEL_NAME_MAX}).")
    if not COLOUR_PATTERN.match(colour or ""):
        errors.append(f"Couleur « {colour} » invalide : attendu #RRVVBB, par exemple #1f77b4.")
    if description and len(description) > LABEL_DESCRIPTION_MAX:
        errors.append(f"Description trop longue ({len(description)} caractères, maximum {LABEL_DESCRIPTION_MAX}).")
    if errors:
        raise EditError(errors)
    name = _checked_text(name, "Nom du label", LABEL_NAME_MAX)
    description = _checked_text(description, "Description", LABEL_DESCRIPTION_MAX) if description else None
    with write(engine, actor) as uow:
        session = uow.session
        plan_ids = list(session.scalars(select(Plan.id).order_by(Plan.id)))
        for plan_id in plan_ids:  # every plan shows labels: take them all first, in one order
            uow.lock_plan(plan_id)
        same_name = session.scalar(select(Label).where(Label.name_key == label_key(name)))
        if same_name is not None and same_name.id != label_id:
            raise EditError([f"Un label s'appelle déjà « {same_name.name} »."])
        if label_id is None:
            label = Label(name=name)
            session.add(label)
            before = {"name": None, "colour": None, "description": None}
        else:
            label = session.get(Label, label_id)
            if label is None:
                raise EditError(["Ce label n'existe plus (quelqu'un l'a peut-être supprimé)."])
            before = {"name": label.name, "colour": label.colour, "description": label.description}
        label.name, label.name_key, label.colour, label.description = name, label_key(name), colour.lower(), description
        session.flush()
        after = {"name": label.name, "colour": label.colour, "description": label.description}
        changed = [(f"label_{k}", before[k], after[k]) for k in after if before[k] != after[k]]
        for plan_id in plan_ids:
            for name_, old, new in changed:
                uow.record(plan_id, "create" if label_id is None else "update", name_, old, new,
                           code="label", entity="label", entity_id=label.id)
        return label.id


def label_actions(engine: Engine, actor: Actor | Operator, label_id: int, action_ids: list[int], give: bool,
                  comment: str | None = None) -> list[SaveResult]:
    """Give one label to many actions at once, or take it away. Each action's labels are read
    inside the write, so a label someone gave it meanwhile is kept; an action that already has
    the label (or lacks it) is left alone. One change in the journal, undone as one."""
    comment = _comment(comment)
    with write(engine, actor) as uow:
        label = uow.session.get(Label, label_id)
        if label is None:
            raise EditError(["Ce label n'existe plus (quelqu'un l'a peut-être supprimé) : rechargez la page."])
        def labels_change(action: Action) -> dict[str, Any] | None:
            names = list(action_values(action)["labels"])
            if (label.name in names) == give:
                return None
            return {"labels": [*names, label.name] if give else [n for n in names if n != label.name]}

        return _update_each(uow, action_ids, labels_change, comment)


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


def _update_each(uow: UnitOfWork, action_ids: list[int], change_of, comment: str | None) -> list[SaveResult]:
    """One change over many actions: ``change_of(action)`` gives each its fields (read inside
    the write, so what someone changed meanwhile is kept), or None to leave it alone."""
    results = []
    for action_id in dict.fromkeys(action_ids):
        action = _action(uow.session, action_id)
        changes = change_of(action)
        if changes is not None:
            results.append(_update(uow, action, action.version, changes, comment))
    return [r for r in results if r.changed]


__all__ = [
    "STATUSES", "BulkResult", "CellConflict", "Conflict", "ConflictError", "EditError", "RowEdit",
    "SaveResult", "bulk_update", "coherent_status_and_progress", "create_action",
    "delete_action", "delete_objective", "label_actions", "mark_with_commune", "merge_leads", "move_action", "parse_progress", "reorder_objectives",
    "save_label", "save_objective", "set_progress", "suggests_finalising", "undo_change", "update_action",
]
