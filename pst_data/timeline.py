"""Progress over time, rebuilt from the history: the plan's and each OS's mean taux after every
change. Incremental sums keep it linear in the number of history rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

PLAN_SCOPE = "Plan"


def progress_timeline(events: pd.DataFrame, os_of: dict[int, str],
                      weights: dict[int, float] | None = None) -> pd.DataFrame:
    """``events``: rows (changed_at, action_id, field, new_value, kind) ordered by time, where
    field is "progress" (a new taux, or empty) or "action" (the action was removed: deleted, or
    its creation undone).

    Returns (changed_at, scope, mean_progress, assessed) with one row per scope and instant:
    scope "Plan" and "OS <code>". Actions are placed in their current OS; weights are the
    current ones (the history does not keep older weights).
    """
    weights = weights or {}
    state: dict[int, float] = {}
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])  # sum, weight, count
    rows: list[dict[str, Any]] = []

    def scopes(action_id: int) -> list[str]:
        os_code = os_of.get(action_id)
        return [PLAN_SCOPE] + ([f"OS {os_code}"] if os_code is not None else [])

    def remove(action_id: int) -> None:
        if action_id in state:
            w = weights.get(action_id, 1.0)
            for scope in scopes(action_id):
                sums[scope][0] -= state[action_id] * w
                sums[scope][1] -= w
                sums[scope][2] -= 1
            del state[action_id]

    def add(action_id: int, value: float) -> None:
        w = weights.get(action_id, 1.0)
        state[action_id] = value
        for scope in scopes(action_id):
            sums[scope][0] += value * w
            sums[scope][1] += w
            sums[scope][2] += 1

    if events.empty:
        return pd.DataFrame(columns=["changed_at", "scope", "mean_progress", "assessed"])
    for instant, group in events.groupby("changed_at", sort=True):
        touched = set()
        for event in group.itertuples():
            if event.action_id is None or pd.isna(event.action_id):
                continue
            action_id = int(event.action_id)
            touched.update(scopes(action_id))
            remove(action_id)
            if event.field == "progress" and event.new_value not in (None, "") and not pd.isna(event.new_value):
                add(action_id, float(event.new_value))
        for scope in sorted(touched):
            total, weight, count = sums[scope]
            rows.append({"changed_at": instant, "scope": scope,
                         "mean_progress": total / weight if weight else None, "assessed": count})
    return pd.DataFrame(rows)
