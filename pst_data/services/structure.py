"""Structure writes: create, rename, reorder and delete the objectives (OS, OO); a deleted
objective is kept whole, with its actions, in its history row (``undo`` brings it back)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.limits import TITLE_MAX
from db.models import OperationalObjective, Plan, StrategicObjective
from pst_data.actions import action_payload
from pst_data.rules.validation import PlanChecker
from pst_data.rules.access import Actor
from pst_data.rules.errors import EditError
from pst_data.services._common import LEVEL_NAMES, LEVELS
from pst_data.uow import Operator, write


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
