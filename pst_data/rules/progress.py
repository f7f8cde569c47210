"""The progress rules, in one place: roll-ups, evaluation bands, lateness, top priority.

- The progress of a group (OO, OS, plan, label...) is the mean taux of its actions that have
  one, weighted by the action weight (default 1). Actions without a taux are not counted as 0:
  they are counted apart ("sans taux") and always shown next to the mean.
- An action is late (pst_data.rules.schedule.is_late, the calendar's « échéance dépassée ») when its
  échéance is past (without one, the end of the plan's period), its taux is below 100 (or
  unknown) and it is neither finalised nor abandoned.
- Bands use the plan's own thresholds (default: Binche's legend).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pst_data.rules.validation import DEFAULT_BANDS
from pst_data.rules import schedule
from pst_data.rules.means import weighted_mean

CLOSED_STATUSES = ("Finalisé", "Abandonné")
NO_BAND = "Sans taux"


@dataclass(frozen=True)
class Summary:
    """What every level of the tree shows: mean taux and the counts behind it."""

    actions: int
    assessed: int
    mean_progress: float | None
    band_counts: dict[str, int] = field(default_factory=dict)

    @property
    def unassessed(self) -> int:
        return self.actions - self.assessed


def band_for(progress: int | float | None, bands: Sequence[dict[str, Any]] | None = None) -> str:
    """The band label of a taux (NO_BAND when the action has none)."""
    if progress is None or pd.isna(progress):
        return NO_BAND
    for band in bands or DEFAULT_BANDS:
        if band["min"] <= progress <= band["max"]:
            return band["label"]
    raise ValueError(f"no band covers {progress}")


def band_labels(bands: Sequence[dict[str, Any]] | None = None) -> list[str]:
    """Band labels, best first, then NO_BAND: the order charts and tables use."""
    return [b["label"] for b in (bands or DEFAULT_BANDS)] + [NO_BAND]


def summarise(
    progresses: Sequence[Any],
    weights: Sequence[Any] | None = None,
    bands: Sequence[dict[str, Any]] | None = None,
) -> Summary:
    progresses = list(progresses)
    counts = dict.fromkeys(band_labels(bands), 0)
    for value in progresses:
        counts[band_for(value, bands)] += 1
    assessed = sum(1 for v in progresses if v is not None and not pd.isna(v))
    return Summary(
        actions=len(progresses),
        assessed=assessed,
        mean_progress=weighted_mean(progresses, weights),
        band_counts=counts,
    )


def add_derived_columns(frame: pd.DataFrame, plan: dict[str, Any], today: dt.date) -> pd.DataFrame:
    """The columns an actions frame derives from its stored ones and the plan's rules, as at
    ``today``: is_top_priority, band; due_date (its échéance, else the end of the plan's period)
    and is_late against it; and against the calendar (pst_data.rules.schedule) expected_progress,
    schedule and schedule_gap (points behind). Progress as nullable integers."""
    bands = plan["evaluation_bands"]
    top = top_priority(plan["priority_scale"])
    plan_start, plan_end = schedule.plan_period(plan.get("period_start"), plan.get("period_end"))
    thresholds = schedule.Thresholds.of(plan)
    frame["progress"] = frame["progress"].astype("Int64")
    frame["is_top_priority"] = frame["priority"].eq(top) if top else False
    frame["band"] = [band_for(None if pd.isna(p) else p, bands) for p in frame["progress"]]
    due, late, expected, statuses, gaps = [], [], [], [], []
    for start, end, progress, status in zip(frame["start_date"], frame["end_date"], frame["progress"],
                                            frame["status"], strict=True):
        start, end = schedule.effective_dates(start, end, plan_start, plan_end)
        progress = None if pd.isna(progress) else int(progress)
        value = schedule.expected_progress(start, end, today)
        due.append(end)
        statuses.append(schedule.status_of(progress, status, value, end, today, thresholds))
        late.append(statuses[-1] == schedule.OVERDUE)  # the same rule as schedule.is_late
        expected.append(value)
        gaps.append(schedule.gap_points(progress, value))
    frame["due_date"] = due
    frame["is_late"] = late
    frame["expected_progress"] = pd.array(expected, dtype="Float64")
    frame["schedule"] = statuses
    frame["schedule_gap"] = pd.array(gaps, dtype="Float64")
    return frame


def top_priority(priority_scale: Sequence[str] | None) -> str | None:
    """The plan's highest priority level (Charleroi: "Niveau 1", Binche: "Très haute")."""
    return priority_scale[0] if priority_scale else None


def rollup(
    actions: pd.DataFrame, by: list[str], bands: Sequence[dict[str, Any]] | None = None
) -> pd.DataFrame:
    """One row per group of ``by`` with: actions, assessed, unassessed, mean_progress, one column
    per band (counts). ``actions`` needs the columns ``progress`` and ``weight``.

    Groups keep their first-seen order (the plan's order when the frame is sorted by code).
    """
    labels = band_labels(bands)
    columns = by + ["actions", "assessed", "unassessed", "mean_progress"] + labels
    if actions.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, group in actions.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        summary = summarise(group["progress"].tolist(), group["weight"].tolist(), bands)
        rows.append(
            list(key)
            + [summary.actions, summary.assessed, summary.unassessed, summary.mean_progress]
            + [summary.band_counts[label] for label in labels]
        )
    return pd.DataFrame(rows, columns=columns)


def schedule_rollup(actions: pd.DataFrame, by: list[str], thresholds: schedule.Thresholds | None = None
                    ) -> pd.DataFrame:
    """One row per group of ``by`` against the calendar (pst_data.rules.schedule.summarise): actions,
    actual and expected (weighted, over the same compared actions), compared, schedule (the
    group's status), drifting, and one column per schedule status (counts). ``actions`` needs
    progress, expected_progress, schedule and weight. Groups keep their first-seen order."""
    thresholds = thresholds or schedule.Thresholds()
    columns = by + ["actions", "actual", "expected", "compared", "schedule", "drifting"] + list(schedule.STATUSES)
    if actions.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, group in actions.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        result = schedule.summarise(group["progress"].tolist(), group["expected_progress"].tolist(),
                                    group["schedule"].tolist(), group["weight"].tolist(), thresholds)
        rows.append(list(key) + [len(group), result.actual, result.expected, result.compared, result.status,
                                 result.drifting] + [result.counts[s] for s in schedule.STATUSES])
    return pd.DataFrame(rows, columns=columns)


def schedule_of(actions: pd.DataFrame, thresholds: schedule.Thresholds | None = None) -> schedule.GroupSchedule:
    """The schedule of all these actions together (a plan, a filtered view)."""
    return schedule.summarise(actions["progress"].tolist(), actions["expected_progress"].tolist(),
                              actions["schedule"].tolist(), actions["weight"].tolist(),
                              thresholds or schedule.Thresholds())
