"""Label writes: define a label (shared by every plan), and give one label to many actions or
take it away."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, select

# LABEL_NAME_MAX and LABEL_DESCRIPTION_MAX are read by the forms through pst_data.services (max_chars).
from db.limits import LABEL_DESCRIPTION_MAX, LABEL_NAME_MAX
from db.models import Action, Label, Plan
from pst_data.actions import action_values
from pst_data.rules.access import Actor
from pst_data.rules.errors import EditError
from pst_data.rules.text import label_key
from pst_data.services._common import SaveResult, _checked_text, _comment, _update_each
from pst_data.uow import Operator, write


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
