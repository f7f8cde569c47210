"""The README's progress rules, in plain cases: the one weighted mean (a weight of 2 counts
twice; an action without a taux is not a 0), the evaluation bands (the plan's own, else
Binche's legend) and lateness. The eComptes writer rolls objectives up with the same mean."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from pst_data.exchange.ecomptes import _rolled_up_taux
from pst_data.rules.means import weighted_mean
from pst_data.rules.progress import NO_BAND, band_for, summarise
from pst_data.rules.schedule import is_late

TODAY = dt.date(2027, 6, 15)


def test_a_weight_of_two_counts_twice():
    assert weighted_mean([20, 80], [2, 1]) == 40
    assert weighted_mean([20, 20, 80]) == weighted_mean([20, 80], [2, 1])
    assert weighted_mean([50, 100], [1.5, 0.5]) == 62.5


def test_an_action_without_a_taux_is_counted_apart_not_as_zero():
    assert weighted_mean([None, 60, math.nan], [5, 1, 5]) == 60
    assert weighted_mean([None, None]) is None and weighted_mean([]) is None
    summary = summarise([None, 60, 90])
    assert (summary.actions, summary.assessed, summary.unassessed, summary.mean_progress) == (3, 2, 1, 75)
    assert summary.band_counts[NO_BAND] == 1


def test_a_missing_weight_is_one():
    assert weighted_mean([20, 80], [None, 3]) == 65


@pytest.mark.parametrize(("taux", "band"), [(100, "Réalisé"), (80, "Réalisé"), (79, "En cours"), (50, "En cours"),
                                            (49, "À réorienter"), (30, "À réorienter"), (29, "Abandonné"),
                                            (0, "Abandonné"), (None, NO_BAND)])
def test_binche_s_legend_is_the_default_band(taux, band):
    assert band_for(taux) == band


def test_a_plan_s_own_bands_are_used():
    own = [{"label": "Atteint", "min": 60, "max": 100}, {"label": "Pas atteint", "min": 0, "max": 59}]
    assert (band_for(60, own), band_for(59, own)) == ("Atteint", "Pas atteint")


@pytest.mark.parametrize(("due", "taux", "status", "late"), [
    (dt.date(2027, 6, 14), 40, "En cours", True),    # échéance yesterday, not done
    (dt.date(2027, 6, 15), 40, "En cours", False),   # due today: not yet late
    (dt.date(2027, 6, 14), None, None, True),        # no taux is not « done »
    (dt.date(2027, 6, 14), 100, "En cours", False),  # done, whatever the status says
    (dt.date(2027, 6, 14), 40, "Finalisé", False),   # closed
    (dt.date(2027, 6, 14), 40, "Abandonné", False),
    (None, 40, "En cours", False),                   # no échéance and no plan period
])
def test_lateness(due, taux, status, late):
    assert is_late(due, taux, status, TODAY) is late


def test_the_ecomptes_writer_rolls_up_with_the_same_mean_rounded_half_up():
    actions = [{"progress": 20, "weight": 2}, {"progress": 81, "weight": 1}, {"progress": None, "weight": 9}]
    assert weighted_mean([20, 81, None], [2, 1, 9]) == pytest.approx(40.333, abs=1e-3)
    assert _rolled_up_taux(actions) == Decimal(40)
    assert _rolled_up_taux([{"progress": 45, "weight": 1}, {"progress": 46}]) == Decimal(46)  # 45.5: half up
    assert _rolled_up_taux([{"progress": None}]) == Decimal(0)


def test_pandas_missing_values_are_missing_too():
    import pandas as pd

    assert weighted_mean(pd.Series([40, None, 60], dtype="Int64"), pd.Series([1, 1, None], dtype="Float64")) == 50


def test_one_rule_says_what_a_missing_value_is_for_the_mean_and_the_display():
    import numpy as np
    import pandas as pd

    from pst_data.rules import formatting
    from pst_data.rules.means import missing

    assert [missing(v) for v in (None, math.nan, pd.NA, pd.NaT)] == [True] * 4
    assert [missing(v) for v in (0, "", "x", dt.date(2027, 1, 1), [1, 2], np.array([1, 2]))] == [False] * 6
    assert formatting.missing is missing  # the display reads the same rule
