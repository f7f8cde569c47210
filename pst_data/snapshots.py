"""Snapshots: the plan's state frozen under a name, and any later state compared with it.

Taking a snapshot goes through the same rules as every write (French messages, one transaction);
it can describe today or a past day, rebuilt from the history (``as_of``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from db.limits import SNAPSHOT_NAME_MAX
from db.models import Snapshot, SnapshotAction
from pst_data import queries
from pst_data.as_of import plan_as_of
from pst_data.progress import rollup
from pst_data.errors import EditError
from pst_data.access import Actor
from pst_data.uow import Operator, write
from pst_data.text import refused_character

NAME_MAX = SNAPSHOT_NAME_MAX
NOTE_MAX = 1000
SNAPSHOT_COLUMNS = ["action_id", "os_code", "os_title", "oo_code", "oo_title", "code", "title",
                    "status", "progress", "weight"]


def check_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise EditError(["Donnez un nom à l'instantané (par exemple « Évaluation mi-législature 2021 »)."])
    if len(name) > NAME_MAX:
        raise EditError([f"Nom trop long ({len(name)} caractères, maximum {NAME_MAX})."])
    if refused_character(name):
        raise EditError([f"Le nom de l'instantané contient un caractère de contrôle ou invalide "
                         f"({refused_character(name)}), refusé."])
    return name


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


def list_snapshots(session: Session, plan_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(Snapshot.id, Snapshot.name, Snapshot.as_of, Snapshot.taken_at, Snapshot.taken_by,
               Snapshot.note, func.count(SnapshotAction.id).label("actions"))
        .outerjoin(SnapshotAction, SnapshotAction.snapshot_id == Snapshot.id)
        .where(Snapshot.plan_id == plan_id)
        .group_by(Snapshot.id)
        .order_by(Snapshot.as_of.desc(), Snapshot.taken_at.desc())
    ).mappings().all()
    return pd.DataFrame(rows, columns=["id", "name", "as_of", "taken_at", "taken_by", "note", "actions"])


def snapshot_actions(session: Session, snapshot_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(*(getattr(SnapshotAction, c) for c in SNAPSHOT_COLUMNS))
        .where(SnapshotAction.snapshot_id == snapshot_id).order_by(SnapshotAction.position)
    ).mappings().all()
    frame = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    frame["progress"] = frame["progress"].astype("Int64")
    return frame


def compare(then: pd.DataFrame, now: pd.DataFrame, bands: list[dict[str, Any]] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per OS and per action: taux then, taux now, difference (points).

    ``then``: snapshot_actions(); ``now``: an actions frame. Returns (per_os, per_action); an
    action only in one of them is marked "nouvelle" or "disparue"."""
    # Match by the action's id (its code may have changed), or by code once the id is gone.
    then = then.assign(key=[f"id:{int(i)}" if pd.notna(i) else f"code:{c}"
                            for i, c in zip(then["action_id"], then["code"], strict=True)])
    then_keys = set(then["key"])
    now = now.assign(key=[f"id:{int(i)}" if f"id:{int(i)}" in then_keys else f"code:{c}"
                          for i, c in zip(now["id"], now["code"], strict=True)])
    merged = then[["key", "code", "title", "os_code", "progress"]].merge(
        now[["key", "code", "title", "os_code", "os_title", "progress"]], on="key", how="outer",
        suffixes=("_then", "_now"), sort=False)
    per_action = pd.DataFrame({
        "code": merged["code_now"].fillna(merged["code_then"]),
        "title": merged["title_now"].fillna(merged["title_then"]),
        "os_code": merged["os_code_now"].fillna(merged["os_code_then"]),
        "progress_then": merged["progress_then"].astype("Int64"),
        "progress_now": merged["progress_now"].astype("Int64"),
    })
    per_action["difference"] = per_action["progress_now"] - per_action["progress_then"]
    per_action["note"] = [
        "nouvelle" if pd.isna(t) else "disparue" if pd.isna(n) else ""
        for t, n in zip(merged["code_then"], merged["code_now"], strict=True)]
    # Keep the plan's order: today's actions first in their order, then the disappeared ones.
    order = {k: i for i, k in enumerate(list(now["key"]) + list(then["key"]))}
    per_action = per_action.assign(_order=[order[k] for k in merged["key"]]).sort_values(
        "_order", kind="stable").drop(columns="_order").reset_index(drop=True)

    os_then = rollup(then, ["os_code", "os_title"], bands)[["os_code", "os_title", "actions", "mean_progress"]]
    os_now = rollup(now, ["os_code", "os_title"], bands)[["os_code", "os_title", "actions", "mean_progress"]]
    per_os = os_now.merge(os_then, on="os_code", how="outer", suffixes=("_now", "_then"), sort=False)
    per_os = pd.DataFrame({
        "os_code": per_os["os_code"],
        "os_title": per_os["os_title_now"].fillna(per_os["os_title_then"]),
        "actions_then": per_os["actions_then"].fillna(0).astype(int),
        "actions_now": per_os["actions_now"].fillna(0).astype(int),
        "mean_then": per_os["mean_progress_then"].astype(float),
        "mean_now": per_os["mean_progress_now"].astype(float),
    })
    per_os["difference"] = per_os["mean_now"] - per_os["mean_then"]
    return per_os, per_action
