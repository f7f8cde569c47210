"""The write services: every change a page or the CLI makes to a plan goes through here.

Each service validates first (French messages, nothing written on error), checks the version the
user started from (no lost update), records who changed what in the history and bumps the plan's
revision, all in one transaction (``unit_of_work``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from db.limits import AUTHOR_MAX, LABEL_DESCRIPTION_MAX, LABEL_NAME_MAX
from db.models import (
    STATUSES,
    Action,
    History,
    Label,
    OperationalObjective,
    Plan,
    StrategicObjective,
)
from pst_data import clock
from pst_data.actions import (
    EDITABLE_FIELDS,
    FIELD_LABELS,
    action_values,
    apply_action_values,
    history_text,
    parse_history_text,
)
from pst_data.formatting import fmt_datetime
from pst_data.errors import EditError
from pst_data.plan_file import PlanChecker
from pst_data.uow import bump_revision, unit_of_work

FINALISED = "Finalisé"
COMMENT_MAX = 500


@dataclass
class Conflict:
    code: str
    expected_version: int
    current_version: int
    # What the others changed since the user's version: (when, who, field label, old, new).
    their_changes: list[tuple[str, str, str, str | None, str | None]]

    def message(self) -> str:
        lines = [f"L'action {self.code} a été modifiée par quelqu'un d'autre pendant votre saisie ; "
                 "votre modification n'a pas été enregistrée."]
        for when, who, label, old, new in self.their_changes:
            lines.append(f"{when} — {who} : {label} « {old or '—'} » → « {new or '—'} »")
        return "\n".join(lines)


class ConflictError(EditError):
    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        super().__init__([c.message() for c in conflicts])


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

def check_author(author: str | None) -> str:
    name = (author or "").strip()
    if not name:
        raise EditError(["Indiquez votre nom avant d'enregistrer : il est inscrit dans l'historique."])
    if len(name) > AUTHOR_MAX:
        raise EditError([f"Nom trop long ({len(name)} caractères, maximum {AUTHOR_MAX})."])
    return _checked_text(name, "Nom", AUTHOR_MAX)


def _checked_text(value: str, label: str, limit: int) -> str:
    """The plan-file text rules (length, no NUL byte, no lone surrogate) for one value."""
    checker = PlanChecker()
    value = checker.text(value, "", label, limit=limit)
    if checker.errors:
        raise EditError(checker.errors)
    return value


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
        raise EditError([e[0].upper() + e[1:] for e in checker.errors])
    return taux


def validate_action(values: dict[str, Any], scale: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Validate a whole action (plan-file shape) with the plan-file rules; French errors."""
    checker = PlanChecker()
    normalised = checker.action(values, "", set(scale))
    errors = [e.removeprefix(" › action ").split(" : ", 1)[-1] if " : " in e else e
              for e in checker.errors]
    return normalised, errors


# -- updates ------------------------------------------------------------------------------

def _plan_scale(session: Session, action: Action) -> tuple[int, list[str]]:
    plan = action.operational_objective.strategic_objective.plan
    return plan.id, list(plan.priority_scale or [])


def _their_changes(session: Session, action_id: int, since_version: int, code: str,
                   current_version: int) -> Conflict:
    rows = session.execute(
        select(History.changed_at, History.changed_by, History.field, History.old_value,
               History.new_value)
        .where(History.action_id == action_id, History.kind.in_(("update", "undo")),
               History.version_after > since_version)
        .order_by(History.id)
    ).all()
    return Conflict(
        code=code, expected_version=since_version, current_version=current_version,
        their_changes=[(fmt_datetime(r.changed_at), r.changed_by, FIELD_LABELS.get(r.field, r.field),
                        r.old_value, r.new_value) for r in rows],
    )


def _apply_update(session: Session, action_id: int, expected_version: int,
                  changes: dict[str, Any], author: str, comment: str | None,
                  change_id: str, kind: str = "update") -> SaveResult:
    action = session.get(Action, action_id)
    if action is None:
        raise EditError([f"L'action n° {action_id} n'existe plus (supprimée entre-temps ?)."])
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise EditError([f"Champ(s) non modifiable(s) : {', '.join(unknown)}."])
    if action.version != expected_version:
        raise ConflictError([_their_changes(session, action.id, expected_version, action.code, action.version)])
    plan_id, scale = _plan_scale(session, action)
    current = action_values(action)
    changes, notices = coherent_status_and_progress(current, changes)
    merged, errors = validate_action({**current, **changes}, scale)
    if errors:
        raise EditError([f"Action {action.code} : {e}" for e in errors])
    # The version check and bump in one statement: the row (SQLite: the database) is locked
    # from here to commit, and a concurrent save from the same version finds no row.
    bumped = session.execute(
        update(Action).where(Action.id == action.id, Action.version == expected_version)
        .values(version=Action.version + 1).execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        session.refresh(action)
        raise ConflictError([_their_changes(session, action.id, expected_version, action.code, action.version)])
    session.refresh(action, ["version"])
    applied = apply_action_values(session, action, plan_id, {k: merged[k] for k in changes})
    now = clock.stored_now()
    action.updated_at = now
    action.updated_by = author
    for name, old, new in applied:
        session.add(History(
            plan_id=plan_id, action_id=action.id, action_code=action.code, changed_at=now,
            changed_by=author, kind=kind, field=name, old_value=history_text(old),
            new_value=history_text(new), comment=comment, change_id=change_id,
            version_after=action.version,
        ))
    if not applied:
        # Nothing differs: give the version back so nobody else gets a needless conflict.
        action.version = expected_version
    else:
        bump_revision(session, plan_id)
    session.flush()
    return SaveResult(action.id, action.code, action.version, [n for n, _, _ in applied], notices,
                      change_id, action.status, action.progress)


def update_action(engine: Engine, action_id: int, expected_version: int, changes: dict[str, Any],
                  author: str, comment: str | None = None) -> SaveResult:
    """Change some fields of one action, from the version the user saw."""
    author = check_author(author)
    comment = _comment(comment)
    if "progress" in changes:
        changes = {**changes, "progress": parse_progress(changes["progress"])}
    with unit_of_work(engine) as session:
        return _apply_update(session, action_id, expected_version, changes, author, comment,
                             str(uuid.uuid4()))


def set_progress(engine: Engine, action_id: int, expected_version: int, progress: Any,
                 author: str, comment: str | None = None) -> SaveResult:
    """The quick edit: a new taux (and an optional one-line comment)."""
    return update_action(engine, action_id, expected_version, {"progress": progress}, author, comment)


@dataclass
class RowEdit:
    action_id: int
    expected_version: int
    changes: dict[str, Any]


def bulk_update(engine: Engine, edits: list[RowEdit], author: str,
                comment: str | None = None) -> list[SaveResult]:
    """Save several actions all-or-nothing: every invalid cell is reported, nothing is written
    unless every row is valid and up to date."""
    author = check_author(author)
    comment = _comment(comment)
    errors: list[str] = []
    prepared = []
    for edit in edits:
        changes = dict(edit.changes)
        if "progress" in changes:
            try:
                changes["progress"] = parse_progress(changes["progress"])
            except EditError as exc:
                errors.extend(f"Ligne {edit.action_id} : {e}" for e in exc.errors)
                continue
        prepared.append(RowEdit(edit.action_id, edit.expected_version, changes))
    change_id = str(uuid.uuid4())
    results: list[SaveResult] = []
    conflicts: list[Conflict] = []
    with unit_of_work(engine) as session:
        for edit in prepared:
            try:  # _apply_update checks everything before it writes anything
                results.append(_apply_update(session, edit.action_id, edit.expected_version,
                                             edit.changes, author, comment, change_id))
            except ConflictError as exc:
                conflicts.extend(exc.conflicts)
            except EditError as exc:
                errors.extend(exc.errors)
        if errors or conflicts:  # raising inside the unit of work rolls everything back
            if conflicts and not errors:
                raise ConflictError(conflicts)
            raise EditError(errors + [c.message() for c in conflicts]
                            + ["Aucune modification n'a été enregistrée."])
    return results


def undo_change(engine: Engine, change_id: str, author: str) -> list[SaveResult]:
    """Revert one save (all its history rows), recorded as a new change of kind "undo".

    Refused when a field has changed again since: undoing would silently drop that later edit.
    """
    author = check_author(author)
    with unit_of_work(engine) as session:
        rows = session.scalars(
            select(History).where(History.change_id == change_id, History.kind.in_(("update", "undo")))
            .order_by(History.id)
        ).all()
        if not rows:
            raise EditError(["Cette modification est introuvable ou ne peut pas être annulée "
                             "(import, création ou suppression)."])
        by_action: dict[int, dict[str, Any]] = {}
        errors = []
        for row in rows:
            if row.action_id is None:
                errors.append(f"L'action {row.action_code} a été supprimée : rien à annuler.")
                continue
            action = session.get(Action, row.action_id)
            current = action_values(action)
            if history_text(current[row.field]) != row.new_value:
                errors.append(
                    f"Action {row.action_code} : « {FIELD_LABELS.get(row.field, row.field)} » a été "
                    f"modifié depuis (valeur actuelle « {history_text(current[row.field]) or '—'} ») ; "
                    "annulation refusée."
                )
                continue
            by_action.setdefault(row.action_id, {})[row.field] = parse_history_text(row.field, row.old_value)
        if errors:
            raise EditError(errors)
        undo_id = str(uuid.uuid4())
        results = []
        for action_id, changes in by_action.items():
            action = session.get(Action, action_id)
            results.append(_apply_update(session, action_id, action.version, changes, author,
                                         f"Annulation de la modification {change_id[:8]}", undo_id,
                                         kind="undo"))
        return results


def _comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise EditError([f"Commentaire trop long ({len(comment)} caractères, maximum {COMMENT_MAX})."])
    return _checked_text(comment, "Commentaire", COMMENT_MAX) if comment else None


# -- creating, moving and deleting --------------------------------------------------------

def create_action(engine: Engine, oo_id: int, values: dict[str, Any], author: str,
                  comment: str | None = None) -> SaveResult:
    author = check_author(author)
    with unit_of_work(engine) as session:
        oo = session.get(OperationalObjective, oo_id)
        if oo is None:
            raise EditError(["Objectif opérationnel introuvable."])
        plan = oo.strategic_objective.plan
        merged, errors = validate_action(values, list(plan.priority_scale or []))
        if errors:
            raise EditError(errors)
        # Bumped first: the plan's row lock serialises concurrent creations (PostgreSQL), so the
        # uniqueness check below cannot race with another one.
        bump_revision(session, plan.id)
        clash = session.execute(
            select(OperationalObjective.code).join(Action).join(StrategicObjective)
            .where(StrategicObjective.plan_id == plan.id, Action.code == merged["code"])
        ).scalar()
        if clash is not None:
            raise EditError([f"Le code {merged['code']} existe déjà dans ce plan (sous l'objectif {clash}) : "
                             "choisissez un autre code."])
        position = session.scalar(select(func.coalesce(func.max(Action.position), -1) + 1)
                                  .where(Action.operational_objective_id == oo.id))
        now = clock.stored_now()
        action = Action(operational_objective=oo, code=merged["code"], title=merged["title"],
                        position=position, version=1, created_at=now, updated_at=now,
                        updated_by=author, partners=[], risks=[], indicators=[])
        session.add(action)
        session.flush()
        apply_action_values(session, action, plan.id, {k: v for k, v in merged.items() if k != "code"})
        change_id = str(uuid.uuid4())
        session.add(History(plan_id=plan.id, action_id=action.id, action_code=action.code,
                            changed_at=now, changed_by=author, kind="create", field="action",
                            new_value=action.title, comment=_comment(comment), change_id=change_id,
                            version_after=1))
        session.add(History(plan_id=plan.id, action_id=action.id, action_code=action.code,
                            changed_at=now, changed_by=author, kind="create", field="progress",
                            new_value=history_text(action.progress), change_id=change_id,
                            version_after=1))
        session.flush()
        return SaveResult(action.id, action.code, 1, ["action"], [], change_id)


def move_action(engine: Engine, action_id: int, expected_version: int, target_oo_id: int,
                author: str) -> SaveResult:
    author = check_author(author)
    with unit_of_work(engine) as session:
        action = session.get(Action, action_id)
        target = session.get(OperationalObjective, target_oo_id)
        if action is None or target is None:
            raise EditError(["Action ou objectif opérationnel introuvable."])
        source = action.operational_objective
        if target.strategic_objective.plan_id != source.strategic_objective.plan_id:
            raise EditError(["Une action ne peut être déplacée que vers un objectif du même plan."])
        if session.scalar(select(Action.id).where(Action.operational_objective_id == target.id,
                                                  Action.code == action.code)):
            raise EditError([f"L'objectif {target.code} a déjà une action {action.code}."])
        bumped = session.execute(
            update(Action).where(Action.id == action.id, Action.version == expected_version)
            .values(version=Action.version + 1, operational_objective_id=target.id,
                    updated_at=clock.stored_now(), updated_by=author)
            .execution_options(synchronize_session=False)
        ).rowcount
        if bumped != 1:
            session.refresh(action)
            raise ConflictError([_their_changes(session, action.id, expected_version, action.code, action.version)])
        plan_id = source.strategic_objective.plan_id
        change_id = str(uuid.uuid4())
        session.add(History(plan_id=plan_id, action_id=action.id, action_code=action.code,
                            changed_at=clock.stored_now(), changed_by=author, kind="update",
                            field="operational_objective", old_value=source.code, new_value=target.code,
                            change_id=change_id, version_after=expected_version + 1))
        bump_revision(session, plan_id)
        return SaveResult(action.id, action.code, expected_version + 1, ["operational_objective"], [], change_id)


def delete_action(engine: Engine, action_id: int, expected_version: int, author: str) -> None:
    author = check_author(author)
    with unit_of_work(engine) as session:
        action = session.get(Action, action_id)
        if action is None:
            raise EditError(["Cette action n'existe plus."])
        if action.version != expected_version:
            raise ConflictError([_their_changes(session, action.id, expected_version, action.code, action.version)])
        plan_id = action.operational_objective.strategic_objective.plan_id
        session.add(History(plan_id=plan_id, action_id=action.id, action_code=action.code,
                            changed_at=clock.stored_now(), changed_by=author, kind="delete", field="action",
                            old_value=action.title, change_id=str(uuid.uuid4()),
                            version_after=action.version))
        session.flush()
        session.delete(action)
        bump_revision(session, plan_id)


# -- objectives ---------------------------------------------------------------------------

def save_objective(engine: Engine, level: str, author: str, *, objective_id: int | None = None,
                   parent_id: int | None = None, code: str, title: str) -> int:
    """Create (objective_id None) or rename an OS (level "os", parent = plan) or an OO
    (level "oo", parent = OS). Returns the objective's id."""
    check_author(author)
    model = StrategicObjective if level == "os" else OperationalObjective
    parent_col = StrategicObjective.plan_id if level == "os" else OperationalObjective.strategic_objective_id
    checker = PlanChecker()
    code = checker.code(code, "")
    title = checker.text(title, "", "title", required=True, limit=500)
    if checker.errors:
        raise EditError([e.removeprefix(" : ") for e in checker.errors])
    with unit_of_work(engine) as session:
        if objective_id is not None:
            obj = session.get(model, objective_id)
            if obj is None:
                raise EditError(["Objectif introuvable."])
            parent_id = obj.plan_id if level == "os" else obj.strategic_objective_id
        clash = session.scalar(select(model.id).where(parent_col == parent_id, model.code == code,
                                                      model.id != (objective_id or -1)))
        if clash:
            kind = "objectif stratégique" if level == "os" else "objectif opérationnel"
            raise EditError([f"Un {kind} porte déjà le code {code}."])
        if objective_id is None:
            position = session.scalar(select(func.coalesce(func.max(model.position), -1) + 1)
                                      .where(parent_col == parent_id))
            obj = (StrategicObjective(plan_id=parent_id, code=code, title=title, position=position)
                   if level == "os" else
                   OperationalObjective(strategic_objective_id=parent_id, code=code, title=title,
                                        position=position))
            session.add(obj)
        else:
            obj.code, obj.title = code, title
        session.flush()
        plan_id = obj.plan_id if level == "os" else session.get(StrategicObjective, obj.strategic_objective_id).plan_id
        bump_revision(session, plan_id)
        return obj.id


def reorder_objectives(engine: Engine, level: str, ordered_ids: list[int], author: str) -> None:
    check_author(author)
    model = StrategicObjective if level == "os" else OperationalObjective
    with unit_of_work(engine) as session:
        objects = {o.id: o for o in session.scalars(select(model).where(model.id.in_(ordered_ids)))}
        if len(objects) != len(ordered_ids):
            raise EditError(["Certains objectifs n'existent plus ; rechargez la page."])
        for position, oid in enumerate(ordered_ids):
            objects[oid].position = position
        first = objects[ordered_ids[0]]
        plan_id = first.plan_id if level == "os" else first.strategic_objective.plan_id
        bump_revision(session, plan_id)


def delete_objective(engine: Engine, level: str, objective_id: int, author: str) -> int:
    """Delete an OS or OO and everything under it; returns the number of actions deleted.
    Each deleted action gets a "delete" history row (the journal keeps it)."""
    author = check_author(author)
    model = StrategicObjective if level == "os" else OperationalObjective
    with unit_of_work(engine) as session:
        obj = session.get(model, objective_id)
        if obj is None:
            raise EditError(["Objectif introuvable."])
        oos = obj.operational_objectives if level == "os" else [obj]
        plan_id = obj.plan_id if level == "os" else obj.strategic_objective.plan_id
        change_id = str(uuid.uuid4())
        count = 0
        for oo in oos:
            for action in oo.actions:
                session.add(History(plan_id=plan_id, action_id=action.id, action_code=action.code,
                                    changed_at=clock.stored_now(), changed_by=author, kind="delete",
                                    field="action", old_value=action.title, change_id=change_id,
                                    version_after=action.version))
                count += 1
        session.flush()
        session.delete(obj)
        bump_revision(session, plan_id)
        return count


__all__ = [
    "STATUSES", "Conflict", "ConflictError", "EditError", "RowEdit", "SaveResult", "bulk_update",
    "check_author", "coherent_status_and_progress", "create_action", "delete_action",
    "delete_objective", "move_action", "parse_progress", "reorder_objectives", "save_objective",
    "set_progress", "suggests_finalising", "undo_change", "update_action",
]


# -- labels (shared by every plan) --------------------------------------------------------

COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def save_label(engine: Engine, author: str, name: str, colour: str, description: str | None = None,
               label_id: int | None = None) -> int:
    """Create a label, or rename / recolour / describe one. Labels are shared by every plan, so
    every plan's revision is bumped (their pages show the new name and colour)."""
    check_author(author)
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
    with unit_of_work(engine) as session:
        same_name = session.scalar(select(Label).where(func.lower(Label.name) == name.lower()))
        if same_name is not None and same_name.id != label_id:
            raise EditError([f"Un label s'appelle déjà « {same_name.name} »."])
        if label_id is None:
            label = Label(name=name)
            session.add(label)
        else:
            label = session.get(Label, label_id)
            if label is None:
                raise EditError(["Ce label n'existe plus (quelqu'un l'a peut-être supprimé)."])
        label.name, label.colour, label.description = name, colour.lower(), description
        session.flush()
        for plan_id in session.scalars(select(Plan.id)):
            bump_revision(session, plan_id)
        return label.id
