"""Snapshot writes: take one (the plan frozen under a name, as it is today or as it was on a past
day, rebuilt from the history) and delete one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, delete, func, select

from db.models import Snapshot, SnapshotAction
from pst_data import queries
from pst_data.as_of import plan_as_of
from pst_data.rules.access import Actor
from pst_data.rules.errors import EditError
from pst_data.snapshots import NOTE_MAX, check_name
from pst_data.uow import Operator, write


def take_snapshot(engine: Engine, plan_id: int, name: str, actor: Actor | Operator, today: dt.date,
                  as_of: dt.date | None = None, note: str | None = None) -> int:
    """Freeze every action of the plan as it is today, or as it was at the end of ``as_of``."""
    errors = []
    try:
        name = check_name(name)
    except EditError as error:
        errors += error.errors
    as_of = as_of or today
    if as_of > today:
        errors.append(f"La date de l'instantané ({as_of:%d/%m/%Y}) est dans le futur.")
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        errors.append(f"Note trop longue ({len(note)} caractères, maximum {NOTE_MAX}).")
    if errors:
        raise EditError(errors)
    with write(engine, actor) as uow:
        session = uow.session
        uow.lock_plan(plan_id)  # the name check below holds until commit
        plan = queries.find_plan(session, plan_id=plan_id)
        if plan is None:
            raise EditError(["Ce plan n'existe plus."])
        if session.scalar(select(func.count(Snapshot.id)).where(Snapshot.plan_id == plan_id, Snapshot.name == name)):
            raise EditError([f"Un instantané s'appelle déjà « {name} » pour ce plan : choisissez un autre nom."])
        actions = queries.actions_frame(session, plan, as_of)
        if as_of < today:
            actions = plan_as_of(session, plan, actions, as_of).actions
        snapshot = Snapshot(plan_id=plan_id, name=name, as_of=as_of, taken_at=uow.now,
                            taken_by=uow.author, note=note)
        session.add(snapshot)
        session.flush()
        session.add_all(
            SnapshotAction(
                snapshot_id=snapshot.id, action_id=int(row.id), position=position, os_code=row.os_code,
                os_title=row.os_title, oo_code=row.oo_code, oo_title=row.oo_title, code=row.code,
                title=row.title, status=row.status,
                progress=None if pd.isna(row.progress) else int(row.progress), weight=float(row.weight),
            )
            for position, row in enumerate(actions.itertuples(index=False))
        )
        # In the journal; the revision bump also refreshes the snapshot lists other sessions show.
        uow.record(plan_id, "create", "snapshot", None, name, code="instantané", entity="snapshot",
                   entity_id=snapshot.id)
        return snapshot.id


def delete_snapshot(engine: Engine, snapshot_id: int, actor: Actor | Operator) -> None:
    with write(engine, actor) as uow:
        session = uow.session
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None:
            raise EditError(["Cet instantané n'existe plus (quelqu'un l'a peut-être supprimé)."])
        uow.record(snapshot.plan_id, "delete", "snapshot", snapshot.name, None, code="instantané",
                   entity="snapshot", entity_id=snapshot.id)
        session.execute(delete(SnapshotAction).where(SnapshotAction.snapshot_id == snapshot_id))
        session.delete(snapshot)
