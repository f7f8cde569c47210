"""Undo: revert one change of the journal (all its history rows), recorded as a new change of
kind « undo »: field edits, moves, renames, reorders, creations and deletions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.models import Action, History, OperationalObjective, StrategicObjective
from pst_data.actions import (
    FIELD_LABELS,
    action_payload,
    action_values,
    apply_action_values,
    history_text,
    parse_history_text,
)
from pst_data.rules.access import Actor
from pst_data.rules.errors import EditError
from pst_data.services._common import LEVEL_NAMES, LEVELS, SaveResult, _plan_of, _update
from pst_data.services.actions import _code_taken, _move
from pst_data.services.structure import _code_taken_by_sibling, _objective_payload, _plan_id_of
from pst_data.uow import Operator, UnitOfWork, write


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
