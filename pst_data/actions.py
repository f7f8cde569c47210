"""How an action's fields map between the plan-file shape and the database, in one place.

The importer, the exporter and the edit services all go through ``action_values`` (read) and
``apply_action_values`` (write), so a field means the same everywhere and every write reports
the (field, old, new) triples the history records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Action, History, Label, Service, SubAction, action_services
from pst_data.rules.dates import parse_source_date
from pst_data.rules.fields import FIELD_LABELS  # noqa: F401  (re-exported: services, aggregates)
from pst_data.rules.validation import ACTION_KEYS
from pst_data.rules.errors import EditError
from pst_data.rules.text import label_key, sorted_names

# Scalar fields stored as they are (plan-file key == column name).
SCALAR_FIELDS = (
    "title", "description", "priority", "project_lead", "department", "status", "progress",
    "health", "health_reason", "budget_text", "staff_text", "deliverables", "context", "evaluation", "comment",
)
NUMBER_FIELDS = ("budget", "staff_fte", "weight")
BOOL_FIELDS = ("with_commune",)
LIST_FIELDS = ("partners", "risks", "indicators")
EDITABLE_FIELDS = (
    SCALAR_FIELDS + NUMBER_FIELDS + BOOL_FIELDS + LIST_FIELDS + ("start", "end", "labels", "services", "sub_actions")
)



def plain_number(value: Any) -> int | float | None:
    """Decimal/float from the database -> the int or float a plan file holds."""
    if value is None:
        return None
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def sub_action_values(sub: SubAction) -> dict[str, Any]:
    return {"code": sub.code, "title": sub.title, "description": sub.description,
            "evaluation": sub.evaluation}


def action_values(action: Action) -> dict[str, Any]:
    """The action in plan-file shape (without its code's parents)."""
    values: dict[str, Any] = {"code": action.code}
    for name in SCALAR_FIELDS:
        values[name] = getattr(action, name)
    values["labels"] = sorted_names(label.name for label in action.labels)
    values["services"] = [service.name for service in action.services]
    values["partners"] = list(action.partners or [])
    values["start"] = action.start_text
    values["end"] = action.end_text
    values["indicators"] = [dict(i) for i in action.indicators or []]
    values["budget"] = plain_number(action.budget)
    values["staff_fte"] = plain_number(action.staff_fte)
    values["weight"] = plain_number(action.weight)
    values["with_commune"] = bool(action.with_commune)
    values["risks"] = list(action.risks or [])
    values["sub_actions"] = [sub_action_values(s) for s in action.sub_actions]
    return {key: values[key] for key in ACTION_KEYS}  # the file format fixes the key order


def action_payload(session: Session, action: Action) -> dict[str, Any]:
    """Everything needed to bring a deleted action back: its fields, place, and history rows."""
    history_ids = list(session.scalars(select(History.id).where(History.action_id == action.id)))
    return {"id": action.id, "oo_id": action.operational_objective_id, "position": action.position,
            "version": action.version, "created_at": action.created_at.isoformat() if action.created_at else None,
            "values": action_values(action), "history_ids": history_ids}


def history_text(value: Any) -> str | None:
    """How a value is written in a history row: text as is, lists as JSON, numbers as digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_history_text(field_name: str, text: str | None) -> Any:
    """The inverse of ``history_text`` for an action field."""
    if text is None:
        return None
    if isinstance(ACTION_KEYS.get(field_name), list):
        return json.loads(text)
    if field_name == "progress":
        return int(text)
    if field_name in BOOL_FIELDS:
        return text == "oui"
    if field_name in NUMBER_FIELDS:
        number = float(text)
        return int(number) if number.is_integer() else number
    return text


def canonical_labels(session: Session, names: list[str], new_label: Callable[[str], None] | None) -> list[str]:
    """Each name as the label it designates (« ppi » is « PPI »), once. A name no label has is a
    new label definition: ``new_label`` is asked first and raises when the actor may not create
    one (None: nobody may here)."""
    if not names:  # most actions of an import: no query at all
        return []
    keys = {label_key(name) for name in names}
    known = dict(session.execute(select(Label.name_key, Label.name).where(Label.name_key.in_(keys))).all())
    out: list[str] = []
    for name in names:
        key = label_key(name)
        if key not in known:
            if new_label is None:
                raise EditError([f"Le label « {name} » n'existe pas."], ["labels"])
            new_label(name)
            known[key] = name
        if known[key] not in out:
            out.append(known[key])
    return out


def _labels(session: Session, names: list[str]) -> list[Label]:
    """The labels of these (canonical) names, the missing ones created."""
    existing = {l.name: l for l in session.scalars(select(Label).where(Label.name.in_(names)))}
    out = []
    for name in names:
        label = existing.get(name)
        if label is None:
            label = Label(name=name, name_key=label_key(name))
            session.add(label)
            existing[name] = label
        out.append(label)
    return out


def _services(session: Session, plan_id: int, names: list[str]) -> list[Service]:
    existing = {
        s.name: s
        for s in session.scalars(
            select(Service).where(Service.plan_id == plan_id, Service.name.in_(names))
        )
    }
    out = []
    for name in names:
        service = existing.get(name)
        if service is None:
            service = Service(plan_id=plan_id, name=name)
            session.add(service)
            existing[name] = service
        out.append(service)
    return out


def apply_action_values(
    session: Session, action: Action, plan_id: int, values: dict[str, Any],
    new_label: Callable[[str], None] | None = None,
) -> list[tuple[str, Any, Any]]:
    """Set the given plan-file-shaped values on ``action``; return the (field, old, new) changed.

    Values must already be validated. Keys absent from ``values`` are left alone. Label names
    are taken as the labels they designate; ``new_label`` decides on a name no label has
    (``UnitOfWork.new_label``: only an admin defines a label).
    """
    if action.id is None:  # a new action, not written yet: one INSERT with all it has
        with session.no_autoflush:
            return _apply(session, action, plan_id, values, new_label, None)
    return _apply(session, action, plan_id, values, new_label, action_values(action))


# Set last on a new action, services the very last: they are written with the action's id,
# which its INSERT gives (a collection assigned after that INSERT would be read first).
_LAST = {"labels": 1, "sub_actions": 2, "services": 3}


def _apply(session: Session, action: Action, plan_id: int, values: dict[str, Any],
           new_label: Callable[[str], None] | None, current: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    if current is None:
        # Nothing to compare with and nothing to clear: the empty values are the defaults
        # already, and the relations come last (services are written with the action's id).
        values = {key: new for key, new in values.items() if not _empty(new) or key == "weight"}
        values = dict(sorted(values.items(), key=lambda item: _LAST.get(item[0], 0)))
    if "labels" in values:
        values = {**values, "labels": canonical_labels(session, list(values["labels"]), new_label)}
    changes: list[tuple[str, Any, Any]] = []
    for key, new in values.items():
        if key == "code":
            continue
        old = current[key] if current is not None else None
        if current is not None and _same(old, new):
            continue
        if key in SCALAR_FIELDS:
            setattr(action, key, new)
        elif key in BOOL_FIELDS:
            setattr(action, key, bool(new))
        elif key in NUMBER_FIELDS:
            setattr(action, key, 1.0 if key == "weight" and new is None else new)
        elif key in ("partners", "risks"):
            setattr(action, key, list(new))
        elif key == "indicators":
            action.indicators = [dict(i) for i in new]
        elif key == "start":
            action.start_text = new
            action.start_date = parse_source_date(new, "start")
        elif key == "end":
            action.end_text = new
            action.end_date = parse_source_date(new, "end")
        elif key == "labels":
            action.labels = _labels(session, list(new))
        elif key == "services":
            _set_services(session, action, plan_id, list(new))
        elif key == "sub_actions":
            # The old rows go first: a sub-action kept under the same code would otherwise be
            # inserted before its old row is deleted (unique code per action).
            if current is not None:
                action.sub_actions = []
                session.flush()
            action.sub_actions = [
                SubAction(position=i, **{k: s.get(k) for k in ("code", "title", "description", "evaluation")})
                for i, s in enumerate(new)
            ]
        else:
            raise KeyError(f"unknown action field {key!r}")
        if current is not None or not _empty(new):
            changes.append((key, old, new))
    return changes


def _set_services(session: Session, action: Action, plan_id: int, names: list[str]) -> None:
    # Position is kept in the association table, so the order printed in the plan survives.
    is_new = action.id is None
    services = _services(session, plan_id, names)
    session.add(action)
    session.flush()
    if not is_new:
        session.execute(action_services.delete().where(action_services.c.action_id == action.id))
    if services:
        session.execute(
            action_services.insert(),
            [{"action_id": action.id, "service_id": s.id, "position": i} for i, s in enumerate(services)],
        )
    session.expire(action, ["services"])


def _empty(value: Any) -> bool:
    return value is None or value is False or value == [] or value == ""


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, (int, float, Decimal)) and isinstance(new, (int, float, Decimal)):
        return Decimal(str(old)) == Decimal(str(new))
    return old == new
