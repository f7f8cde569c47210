"""Measured indicators in the database, read: every indicator of a plan with its values. Defining
one, deleting it and recording a value are written in ``pst_data.services.indicators`` (in the
history of the OO or the action it belongs to); the old names still work from here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Action, Indicator, OperationalObjective, StrategicObjective
from pst_data.moved import moved_names

NOTE_MAX = 500


def plan_indicators(session: Session, plan_id: int) -> list[dict[str, Any]]:
    """Every measured indicator of the plan with its values (oldest first), in plan order."""
    indicators = session.scalars(select(Indicator).where(Indicator.plan_id == plan_id)
                                 .order_by(Indicator.position, Indicator.id)).all()
    oo_codes = dict(session.execute(
        select(OperationalObjective.id, OperationalObjective.code).join(StrategicObjective)
        .where(StrategicObjective.plan_id == plan_id)).all())
    action_ids = [i.action_id for i in indicators if i.action_id]
    actions = {a.id: (a.code, a.operational_objective_id) for a in
               session.scalars(select(Action).where(Action.id.in_(action_ids)))} if action_ids else {}
    out = []
    for i in indicators:
        code, oo_id = actions.get(i.action_id, (None, i.operational_objective_id))
        out.append({
            "id": i.id, "version": i.version, "label": i.label, "unit": i.unit, "baseline": i.baseline,
            "baseline_year": i.baseline_year, "target": i.target, "target_year": i.target_year,
            "action_id": i.action_id, "action_code": code, "oo_id": oo_id, "oo_code": oo_codes.get(oo_id),
            "values": [{"measured_on": v.measured_on, "value": v.value, "note": v.note, "by": v.created_by}
                       for v in i.values],
        })
    return out


# -- the writes, moved to pst_data.services.indicators ------------------------------------

__getattr__ = moved_names(__name__, "pst_data.services.indicators",
                          {"delete_indicator", "record_value", "save_indicator"})
