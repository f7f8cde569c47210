"""The schedule rules (pst_data.rules.schedule): expected taux, schedule status, roll-up, phase and
forecast, on dates given by the tests (never the machine's)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from pst_data import queries
from pst_data.rules import schedule
from pst_data.rules.progress import add_derived_columns
from pst_data.rules.schedule import (
    ABANDONED, BEHIND, DONE, FAR_BEHIND, NO_DATES, NO_TAUX, ON_TIME, OVERDUE, SUSPENDED, Thresholds,
    expected_progress, forecast, status_of, summarise,
)

D = dt.date
START, END = D(2026, 1, 1), D(2027, 12, 31)  # 730 days: the end of its last day is 730 days on
HALFWAY = D(2027, 1, 1)


# -- expected taux ------------------------------------------------------------------------------

def test_the_expected_taux_grows_linearly_from_the_start_to_the_end_of_the_echeance_day():
    assert expected_progress(START, END, D(2025, 6, 1)) == 0  # not started
    assert expected_progress(START, END, START) == 0
    assert expected_progress(START, END, HALFWAY) == pytest.approx(50.0)
    assert expected_progress(START, END, D(2026, 4, 2)) == pytest.approx(100 * 91 / 730)
    assert expected_progress(START, END, END) == pytest.approx(100 * 729 / 730)  # due tonight
    assert expected_progress(START, END, D(2028, 1, 1)) == 100
    assert expected_progress(None, END, HALFWAY) is None and expected_progress(START, None, HALFWAY) is None
    # A start after the échéance (a fallback met an older échéance): all is due on the échéance.
    assert expected_progress(D(2026, 6, 1), D(2026, 3, 31), D(2026, 3, 31)) == 0
    assert expected_progress(D(2026, 6, 1), D(2026, 3, 31), D(2026, 4, 1)) == 100


def test_missing_dates_fall_back_to_the_plan_s_period():
    plan_start, plan_end = schedule.plan_period(2025, 2030)
    assert (plan_start, plan_end) == (D(2025, 1, 1), D(2030, 12, 31))
    assert schedule.effective_dates(None, None, plan_start, plan_end) == (plan_start, plan_end)
    assert schedule.effective_dates(D(2026, 3, 1), None, plan_start, plan_end) == (D(2026, 3, 1), plan_end)
    assert schedule.effective_dates(None, D(2027, 6, 30), plan_start, plan_end) == (plan_start, D(2027, 6, 30))
    assert schedule.effective_dates(pd.NaT, float("nan"), plan_start, plan_end) == (plan_start, plan_end)
    assert schedule.effective_dates(None, None, *schedule.plan_period(None, None)) == (None, None)


# -- one action ---------------------------------------------------------------------------------

@pytest.mark.parametrize("taux, expected, status", [
    (50, 50.0, ON_TIME),
    (60, 50.0, ON_TIME),  # ahead
    (48, 50.0, ON_TIME),  # 96 % of the expected taux
    (44, 50.0, BEHIND),  # 88 %
    (43, 50.0, BEHIND),  # 86 %
    (42, 50.0, FAR_BEHIND),  # 84 %
    (20, 50.0, FAR_BEHIND),
    (0, 4.9, ON_TIME),  # one month into years: within the grace of 5 points
    (0, 5.1, FAR_BEHIND),
    (0, 0.0, ON_TIME),  # not started yet
])
def test_a_taux_is_judged_against_the_expected_one_by_the_plan_s_thresholds(taux, expected, status):
    assert status_of(taux, "En cours", expected, END, HALFWAY) == status


def test_the_thresholds_are_the_plan_s_own():
    strict = Thresholds(on_track=99, behind=90)
    assert status_of(96, "En cours", 100.0, None, HALFWAY, strict) == ON_TIME  # 96 % but within the grace
    assert status_of(40, "En cours", 50.0, END, HALFWAY, strict) == FAR_BEHIND  # 80 %
    assert status_of(73, "En cours", 80.0, END, HALFWAY, strict) == BEHIND  # 91 %
    assert status_of(73, "En cours", 80.0, END, HALFWAY) == BEHIND  # 91 %: behind by the default ones too
    assert status_of(77, "En cours", 80.0, END, HALFWAY, Thresholds(90, 80)) == ON_TIME
    assert Thresholds.of({"schedule_on_track": 90, "schedule_behind": 70}) == Thresholds(90, 70)
    assert Thresholds.of({}) == Thresholds(95, 85)


def test_declared_statuses_and_the_echeance_come_before_the_comparison():
    assert status_of(20, "Abandonné", 50.0, END, HALFWAY) == ABANDONED
    assert status_of(20, "Suspendu", 50.0, END, HALFWAY) == SUSPENDED
    assert status_of(20, "Suspendu", 100.0, D(2026, 12, 31), HALFWAY) == OVERDUE  # paused, yet its échéance passed
    assert status_of(None, "Finalisé", 50.0, END, HALFWAY) == DONE
    assert status_of(100, "En cours", 50.0, D(2020, 1, 1), HALFWAY) == DONE
    assert status_of(90, "En cours", 100.0, D(2026, 12, 31), HALFWAY) == OVERDUE  # the day after the échéance
    assert status_of(96, "En cours", 99.9, D(2026, 12, 31), D(2026, 12, 31)) == ON_TIME  # on the day: not yet
    assert status_of(None, None, 100.0, D(2026, 12, 31), HALFWAY) == OVERDUE
    assert status_of(None, "En cours", 40.0, END, HALFWAY) == NO_TAUX
    assert status_of(20, "En cours", None, None, HALFWAY) == NO_DATES


def test_the_schedule_says_itself_in_words():
    def words(*args):
        return schedule.phrase(*args).replace("\u00a0", " ")

    assert words(FAR_BEHIND, 20, 50.0, END, HALFWAY) == "très en retard : 20 % pour 50 % attendus"
    assert words(OVERDUE, 60, 100.0, D(2026, 12, 20), HALFWAY) == \
        "échéance dépassée depuis 12 jours (20/12/2026)"
    assert words(ON_TIME, 50, 50.0, END, HALFWAY) == "dans les temps (50 % attendus)"
    assert schedule.days_late(D(2026, 12, 31), HALFWAY) == 1 and schedule.days_late(END, HALFWAY) is None


# -- a group ------------------------------------------------------------------------------------

def test_a_group_compares_its_weighted_taux_with_its_weighted_expected_taux():
    # 60 % for 50 expected (weight 3) and 10 % for 50 expected (weight 1): 47,5 for 50, on time.
    group = summarise([60, 10], [50.0, 50.0], [ON_TIME, FAR_BEHIND], [3, 1])
    assert (group.actual, group.expected, group.status, group.compared) == (47.5, 50.0, ON_TIME, 2)
    unweighted = summarise([60, 10], [50.0, 50.0], [ON_TIME, FAR_BEHIND])
    assert (unweighted.actual, unweighted.status) == (35.0, FAR_BEHIND)
    assert group.counts[ON_TIME] == 1 and group.counts[FAR_BEHIND] == 1 and group.drifting == 1


def test_a_group_leaves_out_what_is_not_followed_or_cannot_be_compared():
    group = summarise([20, 0, None, 30, None], [50.0, 50.0, 50.0, None, 50.0],
                      [ABANDONED, SUSPENDED, NO_TAUX, NO_DATES, DONE], [1, 1, 1, 1, 2])
    # Only the finalised action without a taux compares (at 100 %); the group is not done while
    # an action it follows (without a taux, without dates) is not.
    assert (group.actual, group.expected, group.compared, group.status) == (100.0, 50.0, 1, ON_TIME)
    assert summarise([100, None], [50.0, None], [DONE, DONE], [1, 1]).status == DONE
    assert summarise([20], [None], [NO_DATES]).status == NO_DATES
    assert summarise([], [], []).status == NO_DATES
    assert summarise([100, 5], [None, 40.0], [DONE, ABANDONED]).status == DONE


def test_an_overdue_action_pulls_its_group_behind():
    group = summarise([50, 60], [50.0, 100.0], [ON_TIME, OVERDUE])
    assert (group.actual, group.expected, group.status) == (55.0, 75.0, FAR_BEHIND)


# -- the phase ------------------------------------------------------------------------------------

def test_a_plan_runs_until_the_last_day_of_its_period_then_is_evaluated():
    assert schedule.phase(2030, D(2030, 12, 31)) == schedule.RUNNING
    assert schedule.phase(2030, D(2031, 1, 1)) == schedule.ENDED
    assert schedule.phase(None, D(2031, 1, 1)) == schedule.RUNNING
    assert schedule.default_reading({"period_end": 2024}, D(2026, 11, 23)) == schedule.LEGEND
    assert schedule.default_reading({"period_end": 2030}, D(2026, 11, 23)) == schedule.CALENDAR


# -- an actions frame -----------------------------------------------------------------------------

def _frame(rows):
    return pd.DataFrame(rows, columns=["code", "progress", "status", "start_date", "end_date", "priority"])


RUNNING_PLAN = {"evaluation_bands": [], "priority_scale": [], "period_start": 2025, "period_end": 2030}


def test_the_actions_frame_carries_the_expected_taux_and_the_schedule():
    frame = add_derived_columns(_frame([
        ("on", 50, "En cours", START, END, None),
        ("behind", 20, "En cours", START, END, None),
        ("past", 80, "En cours", D(2026, 1, 1), D(2026, 6, 30), None),
        ("plan", 40, None, None, None, None),  # the plan's period: 2 years of 6 → 33,3 % expected
        ("dropped", 10, "Abandonné", START, END, None),
    ]), RUNNING_PLAN, HALFWAY)
    assert frame["schedule"].tolist() == [ON_TIME, FAR_BEHIND, OVERDUE, ON_TIME, ABANDONED]
    assert frame["expected_progress"].round(1).tolist() == [50.0, 50.0, 100.0, 33.3, 50.0]
    assert frame["schedule_gap"].round(1).tolist() == [0.0, 30.0, 20.0, -6.7, 40.0]


def test_every_binche_action_with_dates_has_an_expected_taux_and_a_status_on_a_set_clock(seeded_engine):
    with Session(seeded_engine) as s:
        binche = queries.find_plan(s, slug="binche")
        frame = queries.actions_frame(s, binche, D(2022, 6, 30))  # halfway through 2019-2024
    dated = frame[frame["start_date"].notna() | frame["end_date"].notna()]
    assert len(dated) == len(frame) == 47
    assert dated["expected_progress"].notna().all()
    assert set(frame["schedule"]) <= set(schedule.STATUSES)
    # 1.1.1.1.1 runs 2019-2024 and stands at 80 %: ahead of the 58,2 % expected mid-2022.
    first = frame.set_index("code").loc["1.1.1.1.1"]
    assert round(first["expected_progress"], 1) == 58.2 and first["schedule"] == ON_TIME


# -- the forecast ---------------------------------------------------------------------------------

TODAY = D(2027, 6, 1)


def test_at_its_pace_over_the_last_year_a_group_reaches_100_percent_on_a_day():
    points = [(D(2026, 6, 1), 30.0), (D(2026, 12, 1), 40.0), (D(2027, 6, 1), 50.0)]
    result = forecast(points, TODAY, "l'OS 2", 2030)
    # 20 points a year, 50 to go: two and a half years.
    assert result.enough_history and round(result.pace_per_year, 1) == 20.0
    assert result.finish == D(2029, 12, 1) or abs((result.finish - D(2029, 12, 1)).days) <= 2
    assert result.sentence == "À ce rythme, l'OS 2 atteindra 100 % vers novembre 2029 ; le plan se termine en 2030."


def test_no_projection_without_enough_history():
    young = forecast([(D(2027, 4, 1), 30.0), (D(2027, 5, 1), 35.0)], TODAY, "le plan")
    assert not young.enough_history and young.finish is None
    assert young.sentence.startswith("Pas assez d'historique pour une projection (61 jours")
    imported_only = forecast([(D(2026, 1, 1), 30.0)], TODAY, "le plan")
    assert not imported_only.enough_history and imported_only.sentence.startswith("Pas assez d'historique")
    assert forecast([], TODAY, "le plan").sentence.startswith("Pas assez d'historique")


def test_a_group_that_does_not_move_gets_no_date_and_one_at_100_percent_is_done():
    still = forecast([(D(2026, 1, 1), 30.0), (D(2026, 3, 1), 40.0), (D(2026, 5, 1), 40.0)], TODAY, "l'OS 1", 2030)
    assert still.finish is None and "n'avance pas" in still.sentence and still.sentence.endswith("en 2030.")
    done = forecast([(D(2026, 1, 1), 30.0), (D(2027, 1, 1), 100.0)], TODAY, "l'OS 1")
    assert done.sentence == "L'OS 1 est à 100 %."
    slow = forecast([(D(2026, 1, 1), 10.0), (D(2027, 6, 1), 10.001)], TODAY, "le plan")
    assert slow.finish is None and "avant 2200" in slow.sentence


def test_the_expected_curve_is_the_weighted_mean_of_the_dated_actions():
    curve = schedule.expected_curve([START, START, None], [END, D(2026, 12, 31), END], [1, 3, 5],
                                    [START, HALFWAY, D(2028, 1, 1)])
    assert [round(v, 1) for _, v in curve] == [0.0, 87.5, 100.0]
    assert schedule.expected_curve([None], [None], [1], [START]) == [(START, None)]
    assert schedule.month_starts(D(2026, 11, 15), D(2027, 1, 10)) == [D(2026, 11, 1), D(2026, 12, 1), D(2027, 1, 1),
                                                                      D(2027, 1, 10)]


def test_a_reminder_names_the_drift_and_the_passed_echeance():
    from pst_data.rules.follow_up import action_lines

    text = action_lines([
        {"code": "1.1.2", "title": "Former", "progress": 20, "expected_progress": 50.0, "schedule": FAR_BEHIND,
         "days_since_update": 3},
        {"code": "1.1.3", "title": "Formulaires", "progress": 70, "expected_progress": 100.0, "schedule": OVERDUE,
         "due_date": D(2026, 3, 31), "days_since_update": None},
        {"code": "1.1.1", "title": "Guichet", "progress": 50, "expected_progress": 50.0, "schedule": ON_TIME,
         "days_since_update": 75},
    ], 60).replace("\u00a0", " ")
    assert text.splitlines() == [
        "- 1.1.2 · Former (très en retard : 20 % pour 50 % attendus ; mise à jour il y a 3 jours)",
        "- 1.1.3 · Formulaires (70 % ; échéance dépassée (31/03/2026) ; jamais mise à jour)",
        "- 1.1.1 · Guichet (50 % ; non mise à jour depuis 75 jours)",
    ]
