"""Where an action stands against its calendar, and when a group will reach 100 %: plain rules.

- **Expected taux.** From the action's start (0 %) to the end of its échéance day (100 %),
  linear: halfway through its days, 50 % is expected. Before its start nothing is expected; from
  the day after its échéance, everything is. The dates are the action's own (derived from the
  document's wording, ``pst_data.rules.dates``); a missing start or échéance falls back to the plan's
  period (1 January of its first year, 31 December of its last). OS and OO carry no dates in PST
  Pilot (none of the five documents gives any), so there is no level between the two.
- **Schedule status** of an action, in this order: « Abandonné » (as declared: not followed);
  « Terminé » (finalised, or 100 %); « Échéance dépassée » (its échéance, or without one the end
  of the plan's period, is past: the same rule as « en retard », ``is_late`` below, a
  suspended action included); « Suspendu » (not followed while its échéance is ahead); « Sans
  dates » (nothing to expect from: no dates and no plan period); « Sans taux » (dated, but no
  taux to compare); then the
  taux against the expected taux: « Dans les temps » at ``on_track`` % of it or more (95 by
  default), « En retard sur le calendrier » from ``behind`` % (85), « Très en retard » below.
  A gap of at most ``GRACE_POINTS`` is always « Dans les temps »: a taux is an estimate typed in
  steps of 5 or 10, and an action one month into five years must not turn red at 0 %.
- **Roll-up** (OO, OS, label, plan): the weighted mean taux against the weighted mean expected
  taux, over the same actions (the compared ones: dated, followed, with a taux; finished ones
  count at their taux), judged by the same thresholds; and how many actions are in each status.
- **Phase.** A plan runs until the end of its period: colours then describe the schedule. Once
  its period is over the plan is in its evaluation, and the evaluation legend applies (as on the
  Évaluation page and in the reports, whatever the phase).
- **Forecast.** The pace of a group is its mean taux's change over the last ``PACE_DAYS`` days of
  its history (or since its first recorded taux when younger); at that pace, the day it reaches
  100 %. Under ``MIN_HISTORY_DAYS`` of history, or without any change after the first taux, there
  is no projection: « pas assez d'historique pour une projection ».
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from db.limits import SCHEDULE_BEHIND_DEFAULT, SCHEDULE_ON_TRACK_DEFAULT
from pst_data.rules.formatting import fmt_date, fmt_percent, plural
from pst_data.rules.means import missing

DONE = "Terminé"
ON_TIME = "Dans les temps"
BEHIND = "En retard sur le calendrier"
FAR_BEHIND = "Très en retard"
OVERDUE = "Échéance dépassée"
NO_TAUX = "Sans taux"
NO_DATES = "Sans dates"
SUSPENDED = "Suspendu"
ABANDONED = "Abandonné"
# Best first: the order of legends, tables and stacked bars.
STATUSES = (DONE, ON_TIME, BEHIND, FAR_BEHIND, OVERDUE, NO_TAUX, NO_DATES, SUSPENDED, ABANDONED)
# Behind the calendar, échéance not passed yet: what a director can still act on.
DRIFTING = (BEHIND, FAR_BEHIND)
# The statuses whose taux is compared with the expected one (the roll-up's actions).
COMPARED = (DONE, ON_TIME, BEHIND, FAR_BEHIND, OVERDUE)
NOT_FOLLOWED = (SUSPENDED, ABANDONED)
# Every colour reads at least 3:1 on white; nothing on schedule is red, and an abandoned action
# is greyed, not red (it is no alarm: the Bureau decided it).
COLOURS = {
    DONE: "#2e7d32", ON_TIME: "#1976d2", BEHIND: "#b26a00", FAR_BEHIND: "#c62828", OVERDUE: "#7b1fa2",
    NO_TAUX: "#8a8a8a", NO_DATES: "#8a8a8a", SUSPENDED: "#607d8b", ABANDONED: "#6d6d6d",
}

ON_TRACK_DEFAULT = SCHEDULE_ON_TRACK_DEFAULT
BEHIND_DEFAULT = SCHEDULE_BEHIND_DEFAULT
GRACE_POINTS = 5.0
PACE_DAYS = 365
MIN_HISTORY_DAYS = 90

RUNNING = "en cours"
ENDED = "terminé"
# What colours describe: the calendar (a running plan) or the evaluation legend.
CALENDAR = "calendrier"
LEGEND = "évaluation"

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


@dataclass(frozen=True)
class Thresholds:
    """A plan's two thresholds, in % of the expected taux."""

    on_track: float = ON_TRACK_DEFAULT
    behind: float = BEHIND_DEFAULT

    @classmethod
    def of(cls, plan: dict[str, Any]) -> Thresholds:
        return cls(plan.get("schedule_on_track") or ON_TRACK_DEFAULT, plan.get("schedule_behind") or BEHIND_DEFAULT)


def plan_period(period_start: int | None, period_end: int | None) -> tuple[dt.date | None, dt.date | None]:
    """The plan's period as days: 1 January of its first year, 31 December of its last."""
    return (dt.date(int(period_start), 1, 1) if not missing(period_start) else None,
            dt.date(int(period_end), 12, 31) if not missing(period_end) else None)


def phase(period_end: int | None, today: dt.date) -> str:
    """RUNNING until the last day of the plan's period (or without one), ENDED after."""
    return ENDED if not missing(period_end) and today.year > int(period_end) else RUNNING


def default_reading(plan: dict[str, Any], today: dt.date) -> str:
    """What colours describe by default: the calendar while the plan runs, the legend after."""
    return LEGEND if phase(plan.get("period_end"), today) == ENDED else CALENDAR


def effective_dates(start: dt.date | None, end: dt.date | None, plan_start: dt.date | None,
                    plan_end: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """The action's own start and échéance, each falling back to the plan's period."""
    start = plan_start if missing(start) else start
    end = plan_end if missing(end) else end
    return (None if missing(start) else start), (None if missing(end) else end)


def expected_progress(start: dt.date | None, end: dt.date | None, today: dt.date) -> float | None:
    """The taux expected on ``today`` (0-100), linear over the days from ``start`` to the end of
    ``end``; None without both dates."""
    if start is None or end is None:
        return None
    if start > end:  # a start later than the échéance (a fallback met the plan's period): a point
        start = end
    if today <= start:
        return 0.0
    finish = end + dt.timedelta(days=1)  # 100 % at the end of the échéance day
    if today >= finish:
        return 100.0
    return 100.0 * (today - start).days / (finish - start).days


def judge(actual: float, expected: float, thresholds: Thresholds) -> str:
    """ON_TIME, BEHIND or FAR_BEHIND: a taux against the one expected."""
    if expected <= 0 or expected - actual <= GRACE_POINTS:
        return ON_TIME
    ratio = 100.0 * actual / expected
    if ratio >= thresholds.on_track:
        return ON_TIME
    return BEHIND if ratio >= thresholds.behind else FAR_BEHIND


def is_late(due: dt.date | None, progress: Any, declared: str | None, today: dt.date) -> bool:
    """« En retard »: ``due`` (its échéance, else the end of the plan's period) is past, its taux
    below 100 (or unknown), and it is neither finalised nor abandoned."""
    if missing(due) or declared in ("Finalisé", "Abandonné"):
        return False
    if not missing(progress) and float(progress) >= 100:
        return False
    return due < today


def status_of(progress: Any, declared: str | None, expected: float | None, due: dt.date | None,
              today: dt.date, thresholds: Thresholds = Thresholds()) -> str:
    """One action's schedule status (see the module's docstring for the order); ``due``: its
    échéance, else the end of the plan's period."""
    if declared == "Abandonné":
        return ABANDONED
    has_taux = not missing(progress)
    if declared == "Finalisé" or (has_taux and float(progress) >= 100):
        return DONE
    if is_late(due, progress, declared, today):
        return OVERDUE
    if declared == "Suspendu":
        return SUSPENDED
    if expected is None or missing(expected):
        return NO_DATES
    if not has_taux:
        return NO_TAUX
    return judge(float(progress), float(expected), thresholds)


def gap_points(progress: Any, expected: Any) -> float | None:
    """How many points of taux an action is behind (positive) or ahead (negative)."""
    if missing(progress) or missing(expected):
        return None
    return float(expected) - float(progress)


def days_late(due: Any, today: dt.date) -> int | None:
    """Days since the échéance passed (None when it has not, or there is none)."""
    return None if missing(due) or due >= today else (today - due).days


def phrase(status: str, progress: Any, expected: Any, due: Any, today: dt.date) -> str:
    """An action's schedule in words: « très en retard : 20 % pour 50 % attendus »,
    « échéance dépassée depuis 12 jours (31/12/2026) », « dans les temps (50 % attendus) »."""
    taux = "sans taux" if missing(progress) else fmt_percent(progress, 0)
    wanted = "" if missing(expected) else fmt_percent(expected, 0)
    if status == OVERDUE:
        return f"échéance dépassée depuis {plural(days_late(due, today), 'jour')} ({fmt_date(due)})"
    if status in DRIFTING:
        return f"{status.lower()} : {taux} pour {wanted} attendus"
    if status in (ON_TIME, NO_TAUX) and wanted:
        return f"{status.lower()} ({wanted} attendus)"
    return status.lower()


# The order of « Mes actions »: what needs acting on first.
URGENCY = (OVERDUE, FAR_BEHIND, BEHIND, NO_TAUX, ON_TIME, NO_DATES, SUSPENDED, DONE, ABANDONED)


def urgency(status: str, gap: Any, due: Any, today: dt.date) -> tuple[int, float]:
    """A sort key, most urgent first: the status's rank, then the longest overdue or the
    furthest behind."""
    if status == OVERDUE:
        return 0, -float(days_late(due, today) or 0)
    return URGENCY.index(status), -(0.0 if missing(gap) else float(gap))


@dataclass(frozen=True)
class GroupSchedule:
    """A group's actual and expected taux (same actions) and its status, with the counts."""

    actual: float | None
    expected: float | None
    status: str
    compared: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def drifting(self) -> int:
        return sum(self.counts.get(s, 0) for s in DRIFTING)


def summarise(progresses: Sequence[Any], expecteds: Sequence[Any], statuses: Sequence[str],
              weights: Sequence[Any] | None = None, thresholds: Thresholds = Thresholds()) -> GroupSchedule:
    """The roll-up of a group's actions (their taux, expected taux, statuses and weights)."""
    weights = list(weights) if weights is not None else [1.0] * len(statuses)
    counts = dict.fromkeys(STATUSES, 0)
    total = expected_total = weight_sum = 0.0
    compared = 0
    for progress, expected, status, weight in zip(progresses, expecteds, statuses, weights, strict=True):
        counts[status] += 1
        if status not in COMPARED or missing(expected):
            continue
        actual = 100.0 if missing(progress) and status == DONE else progress
        if missing(actual):
            continue  # overdue without a taux: counted, but nothing to compare
        w = 1.0 if missing(weight) else float(weight)
        total += float(actual) * w
        expected_total += float(expected) * w
        weight_sum += w
        compared += 1
    if weight_sum == 0:
        followed = [s for s in statuses if s not in NOT_FOLLOWED]
        status = DONE if followed and all(s == DONE for s in followed) else NO_DATES
        return GroupSchedule(None, None, status, 0, counts)
    actual, expected = total / weight_sum, expected_total / weight_sum
    followed = [s for s in statuses if s not in NOT_FOLLOWED]
    status = DONE if all(s == DONE for s in followed) else judge(actual, expected, thresholds)
    return GroupSchedule(actual, expected, status, compared, counts)


# -- over time ----------------------------------------------------------------------------------

def expected_curve(starts: Sequence[dt.date | None], ends: Sequence[dt.date | None], weights: Sequence[Any],
                   days: Iterable[dt.date]) -> list[tuple[dt.date, float | None]]:
    """The weighted mean expected taux of dated actions on each of ``days``."""
    dated = [(s, e, 1.0 if missing(w) else float(w)) for s, e, w in zip(starts, ends, weights, strict=True)
             if s is not None and e is not None and not missing(s) and not missing(e)]
    weight_sum = sum(w for _, _, w in dated)
    out = []
    for day in days:
        if not weight_sum:
            out.append((day, None))
            continue
        out.append((day, sum(expected_progress(s, e, day) * w for s, e, w in dated) / weight_sum))
    return out


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from ``first``'s month to ``last``'s, and ``last``."""
    days, day = [], dt.date(first.year, first.month, 1)
    while day <= last:
        days.append(day)
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return days + ([last] if not days or days[-1] != last else [])


@dataclass(frozen=True)
class Forecast:
    """When a group reaches 100 % at its recent pace, and the sentence that says it."""

    sentence: str
    finish: dt.date | None = None
    pace_per_year: float | None = None  # points of taux per year
    enough_history: bool = False


def fmt_month(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def forecast(points: Sequence[tuple[dt.date, float]], today: dt.date, name: str,
             plan_end_year: int | None = None) -> Forecast:
    """``points``: the group's mean taux after each change, oldest first (the Brussels day of
    the change, the mean then), up to ``today``. ``name``: « l'OS 2 », « le plan »."""
    points = [(d, float(v)) for d, v in points if d <= today and not missing(v)]
    end_text = "" if not plan_end_year else f" ; le plan s'est terminé en {plan_end_year}" \
        if int(plan_end_year) < today.year else f" ; le plan se termine en {plan_end_year}"
    if not points:
        return Forecast(f"Pas assez d'historique pour une projection : {name} n'a encore aucun taux.")
    current = points[-1][1]
    if current >= 100:
        return Forecast(f"{name[0].upper()}{name[1:]} est à 100 %.", today, None, True)
    first_day = points[0][0]
    span = (today - first_day).days
    changed_after_first = any(d > first_day for d, _ in points)
    if span < MIN_HISTORY_DAYS or not changed_after_first:
        return Forecast(f"Pas assez d'historique pour une projection ({span} jour{'s' if span > 1 else ''} "
                        f"d'historique des taux, il en faut {MIN_HISTORY_DAYS} avec au moins une mise à jour).")
    window_start = max(first_day, today - dt.timedelta(days=PACE_DAYS))
    before = [v for d, v in points if d <= window_start]
    baseline = before[-1] if before else points[0][1]
    days = (today - window_start).days
    pace = (current - baseline) / days * 365.25
    period = "des 12 derniers mois" if days >= PACE_DAYS else f"des {days} derniers jours"
    if pace <= 0:
        return Forecast(f"Au rythme {period}, {name} n'avance pas : aucune date d'achèvement ne peut être "
                        f"projetée{end_text}.", None, pace, True)
    remaining_days = (100 - current) / pace * 365.25
    if remaining_days > (dt.date.max - today).days or today.year + remaining_days / 365.25 > 2200:
        return Forecast(f"Au rythme {period}, {name} n'atteindrait pas 100 % avant 2200{end_text}.", None, pace, True)
    finish = today + dt.timedelta(days=math.ceil(remaining_days))
    return Forecast(f"À ce rythme, {name} atteindra 100 % vers {fmt_month(finish)}{end_text}.", finish, pace, True)
