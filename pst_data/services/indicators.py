"""Indicator writes: define a measured indicator or change it, delete it (the directeur), record a
value (the directeur, or the chef de projet of the action); each in the history of the OO or the
action it belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from db.models import Action, Indicator, IndicatorValue, OperationalObjective
from pst_data.indicator_store import NOTE_MAX
from pst_data.rules.access import Actor, Change
from pst_data.rules.errors import EditError
from pst_data.rules.formatting import fmt_date
from pst_data.rules.indicators import checked_text, definition, fmt_value, measured_on, parse_value
from pst_data.uow import Operator, UnitOfWork, write

INDICATOR_FIELDS = {"label": "intitulé", "unit": "unité", "baseline": "départ", "baseline_year": "année de départ",
                    "target": "cible", "target_year": "année de la cible"}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return fmt_value(value) if not isinstance(value, (str, int)) or isinstance(value, bool) else str(value)


def _owner(uow: UnitOfWork, indicator: Indicator | None = None, *, oo_id: int | None = None,
           action_id: int | None = None) -> tuple[int, str, str, int]:
    """(plan id, entity, code, entity id) of the OO or action an indicator belongs to."""
    oo_id = indicator.operational_objective_id if indicator else oo_id
    action_id = indicator.action_id if indicator else action_id
    if action_id is not None:
        action = uow.session.get(Action, action_id)
        if action is None:
            raise EditError(["Cette action n'existe plus."])
        return action.operational_objective.strategic_objective.plan_id, "action", action.code, action.id
    oo = uow.session.get(OperationalObjective, oo_id) if oo_id is not None else None
    if oo is None:
        raise EditError(["Cet objectif opérationnel n'existe plus."])
    return oo.strategic_objective.plan_id, "oo", oo.code, oo.id


def _describe(d: Any) -> str:
    parts = [d.label]
    if d.target is not None:
        parts.append(f"cible {fmt_value(d.target, d.unit)}" + (f" en {d.target_year}" if d.target_year else ""))
    if d.baseline is not None:
        parts.append(f"départ {fmt_value(d.baseline, d.unit)}" + (f" en {d.baseline_year}" if d.baseline_year else ""))
    return " · ".join(parts)


def save_indicator(engine: Engine, actor: Actor | Operator, values: dict[str, Any], *, indicator_id: int | None = None,
                   expected_version: int | None = None, oo_id: int | None = None,
                   action_id: int | None = None) -> int:
    """Define a new indicator (of ``oo_id`` or ``action_id``) or change one (from the version the
    person saw). A directeur's write."""
    d = definition(values)
    with write(engine, actor) as uow:
        indicator = None
        if indicator_id is not None:
            indicator = uow.session.get(Indicator, indicator_id)
            if indicator is None:
                raise EditError(["Cet indicateur n'existe plus (supprimé entre-temps ?). Rechargez la page."])
        elif (oo_id is None) == (action_id is None):
            raise EditError(["Un indicateur appartient à un objectif opérationnel ou à une action."])
        plan_id, entity, code, entity_id = _owner(uow, indicator, oo_id=oo_id, action_id=action_id)
        uow.require(Change(plan_id, "indicator", "update" if indicator else "create", "indicator"))
        uow.lock_plan(plan_id)
        if indicator is None:
            position = len(uow.session.scalars(select(Indicator.id).where(Indicator.plan_id == plan_id)).all())
            indicator = Indicator(plan_id=plan_id, operational_objective_id=oo_id, action_id=action_id,
                                  position=position, created_at=uow.now, **d.__dict__)
            uow.session.add(indicator)
            uow.session.flush()
            uow.record(plan_id, "create", "indicator", None, _describe(d), code=code, entity=entity,
                       entity_id=entity_id)
            return indicator.id
        if expected_version is not None:
            uow.claim(Indicator, indicator.id, expected_version, d.label, entity="indicator")
        # Field by field: a unit or a year changed alone is a change too.
        changed = [(name, getattr(indicator, name), value) for name, value in d.__dict__.items()
                   if getattr(indicator, name) != value]
        for name, old, new in changed:
            uow.record(plan_id, "update", "indicator", f"{indicator.label} · {INDICATOR_FIELDS[name]} : {_shown(old)}",
                       f"{d.label} · {INDICATOR_FIELDS[name]} : {_shown(new)}", code=code, entity=entity,
                       entity_id=entity_id)
            setattr(indicator, name, new)
        return indicator.id


def delete_indicator(engine: Engine, actor: Actor | Operator, indicator_id: int) -> None:
    with write(engine, actor) as uow:
        indicator = uow.session.get(Indicator, indicator_id)
        if indicator is None:
            raise EditError(["Cet indicateur n'existe plus."])
        plan_id, entity, code, entity_id = _owner(uow, indicator)
        uow.require(Change(plan_id, "indicator", "delete", "indicator"))
        uow.lock_plan(plan_id)
        uow.record(plan_id, "delete", "indicator", _describe(indicator), None, code=code, entity=entity,
                   entity_id=entity_id)
        uow.session.delete(indicator)


def record_value(engine: Engine, actor: Actor | Operator, indicator_id: int, day: Any, value: Any,
                 note: str | None = None) -> None:
    """A measured value on a day (a second value on the same day replaces the first, and the
    history keeps both). The directeur, or the chef de projet of the indicator's action."""
    when = measured_on(day)
    number = parse_value(value, "Valeur mesurée", "value")
    note = checked_text(note, "Note", "note", NOTE_MAX)
    with write(engine, actor) as uow:
        indicator = uow.session.get(Indicator, indicator_id)
        if indicator is None:
            raise EditError(["Cet indicateur n'existe plus."])
        plan_id, entity, code, entity_id = _owner(uow, indicator)
        # Asked first, as every write does: a refused person learns it even when nothing would change.
        uow.require(Change(plan_id, entity, "update", "measure",
                           uow.lead_of(entity_id) if entity == "action" else None))
        uow.lock_plan(plan_id)
        existing = uow.session.scalar(select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator_id, IndicatorValue.measured_on == when))
        old = f"{indicator.label} : {fmt_value(existing.value, indicator.unit)} au {fmt_date(when)}" if existing else None
        new = f"{indicator.label} : {fmt_value(number, indicator.unit)} au {fmt_date(when)}"
        if existing is not None and existing.value == number and existing.note == note:
            return
        # Recorded on the OO or the action: a chef de projet measures the actions they lead.
        uow.record(plan_id, "update", "measure", old, new, code=code, entity=entity, entity_id=entity_id,
                   comment=note)
        if existing is None:
            uow.session.add(IndicatorValue(indicator_id=indicator_id, measured_on=when, value=number, note=note,
                                           created_at=uow.now, created_by=uow.author))
        else:
            existing.value, existing.note, existing.created_at, existing.created_by = number, note, uow.now, uow.author
