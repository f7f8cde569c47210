"""Progress over time, rebuilt from the history: the plan's and each OS's mean taux after every
change (incremental sums keep it linear in the number of history rows), and its trajectory
against the taux the actions' dates expect, with the forecast (pst_data.rules.schedule)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pst_data.rules import schedule
from pst_data.rules.clock import local_day

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


@dataclass(frozen=True)
class Trajectory:
    """One scope's taux over time against the taux its actions' dates expect, and the forecast."""

    scope: str  # "Plan" or "OS <code>"
    actual: pd.DataFrame  # day, mean_progress: after each day's changes
    expected: list[tuple[dt.date, float | None]]
    forecast: schedule.Forecast
    current: float | None  # the mean taux today (the last point)
    expected_today: float | None
    chart_rows: pd.DataFrame  # both lines for charts.trajectory: day, value, line ("taux" or "attendu")


def trajectories(events: pd.DataFrame, actions: pd.DataFrame, plan: dict[str, Any], today: dt.date
                 ) -> dict[str, Trajectory]:
    """The plan's and each OS's trajectory for the followed actions of ``actions`` (filters applied):
    the mean taux rebuilt from ``events`` (queries.progress_events), one point per day (the
    day's last value), against the expected curve from the plan's first year (or the first
    recorded taux) to its last, one point a month; and at the recent pace, the day 100 % is
    reached (pst_data.rules.schedule.forecast)."""
    # The followed actions (neither abandoned nor suspended), both for the taux and for what is
    # expected: the two lines speak of the same actions; the expected line, like the roll-up, of
    # those that have a taux.
    actions = actions[~actions["schedule"].isin(schedule.NOT_FOLLOWED)]
    assessed = actions["progress"].notna().tolist()
    ids = set(int(i) for i in actions["id"])
    mine = events[events["action_id"].isin(ids)] if not events.empty else events
    os_of = dict(zip(actions["id"].astype(int), actions["os_code"].astype(str), strict=True))
    weights = {int(i): (1.0 if pd.isna(w) else float(w)) for i, w in zip(actions["id"], actions["weight"], strict=True)}
    timeline = progress_timeline(mine, os_of, weights)
    plan_start, plan_end = schedule.plan_period(plan.get("period_start"), plan.get("period_end"))
    starts_ends = [schedule.effective_dates(s, e, plan_start, plan_end)
                   for s, e in zip(actions["start_date"], actions["end_date"], strict=True)]
    out: dict[str, Trajectory] = {}
    scopes = [PLAN_SCOPE] + [f"OS {c}" for c in dict.fromkeys(actions["os_code"].astype(str))]
    for scope in scopes:
        in_scope = [scope == PLAN_SCOPE or f"OS {os_code}" == scope for os_code in actions["os_code"].astype(str)]
        expected_of = [keep and taux for keep, taux in zip(in_scope, assessed, strict=True)]
        part = timeline[timeline["scope"] == scope].dropna(subset=["mean_progress"]) if not timeline.empty else timeline
        if part.empty:
            actual = pd.DataFrame(columns=["day", "mean_progress"])
        else:
            days = [local_day(t) for t in part["changed_at"]]
            actual = (pd.DataFrame({"day": days, "mean_progress": part["mean_progress"].astype(float).tolist()})
                      .groupby("day", sort=True).tail(1).reset_index(drop=True))
        first = min([d for d in [plan_start, actual["day"].min() if len(actual) else None] if d is not None],
                    default=today)
        last = max([d for d in [plan_end, today] if d is not None])
        chosen = [se for se, keep in zip(starts_ends, expected_of, strict=True) if keep]
        curve = schedule.expected_curve([s for s, _ in chosen], [e for _, e in chosen],
                                        [w for w, keep in zip(actions["weight"], expected_of, strict=True) if keep],
                                        [*schedule.month_starts(first, last), today])
        expected, today_expected = curve[:-1], curve[-1][1]
        name = "le plan" if scope == PLAN_SCOPE else f"l'{scope}"
        points = list(zip(actual["day"], actual["mean_progress"], strict=True))
        chart_rows = pd.DataFrame({
            "day": [d for d, _ in expected] + list(actual["day"]),
            "value": [v for _, v in expected] + [float(v) for v in actual["mean_progress"]],
            "line": ["attendu"] * len(expected) + ["taux"] * len(actual)})
        out[scope] = Trajectory(scope, actual, expected, schedule.forecast(points, today, name, plan.get("period_end")),
                                points[-1][1] if points else None, today_expected, chart_rows)
    return out
