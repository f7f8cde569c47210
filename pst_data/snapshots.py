"""Snapshots, read: the plan's state frozen under a name, listed, and any later state compared with
it; the rule for a snapshot's name. Taking and deleting one are written in
``pst_data.services.snapshots`` (a snapshot can describe today or a past day, rebuilt from the
history); the old names still work from here."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.limits import SNAPSHOT_NAME_MAX
from db.models import Snapshot, SnapshotAction
from pst_data.rules.errors import EditError
from pst_data.rules.progress import rollup
from pst_data.rules.text import refused_character
from pst_data.moved import moved_names

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


# -- the writes, moved to pst_data.services.snapshots -------------------------------------

__getattr__ = moved_names(__name__, "pst_data.services.snapshots", {"delete_snapshot", "take_snapshot"})
