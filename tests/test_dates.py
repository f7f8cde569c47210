"""The date a plan's wording of a start or an end stands for (pst_data/rules/dates.py), and the days
the calendar does not have, which no field takes."""

from __future__ import annotations

import datetime as dt

import pytest

from pst_data.rules.dates import impossible_day, parse_source_date

D = dt.date


@pytest.mark.parametrize("text, start, end", [
    ("31/12/2024", D(2024, 12, 31), D(2024, 12, 31)),
    ("1/9/2020", D(2020, 9, 1), D(2020, 9, 1)),
    ("2024-12-31", D(2024, 12, 31), D(2024, 12, 31)),
    ("1er novembre 2019", D(2019, 11, 1), D(2019, 11, 1)),
    ("09/2020", D(2020, 9, 1), D(2020, 9, 30)),
    ("février 2024", D(2024, 2, 1), D(2024, 2, 29)),
    ("1er trimestre 2020", D(2020, 1, 1), D(2020, 3, 31)),
    ("dernier quadrimestre 2019", D(2019, 9, 1), D(2019, 12, 31)),
    ("2019-2020", D(2019, 1, 1), D(2020, 12, 31)),
    ("En continu", None, None),
    # a day the calendar does not have is neither that month nor a neighbouring day: the year
    ("31/02/2026", D(2026, 1, 1), D(2026, 12, 31)),
    ("31 février 2026", D(2026, 1, 1), D(2026, 12, 31)),
    ("2026-13-01", D(2026, 1, 1), D(2026, 12, 31)),
])
def test_a_wording_stands_for_a_date(text, start, end):
    assert (parse_source_date(text, "start"), parse_source_date(text, "end")) == (start, end)


@pytest.mark.parametrize("text, impossible", [
    ("31/02/2026", True), ("29/02/2025", True), ("29/02/2024", False), ("31/04/2026", True),
    ("31 février 2026", True), ("00/01/2026", True), ("2026-02-30", True),
    ("28/02/2026", False), ("02/2026", False), ("Fin 2026", False), ("", False), (None, False),
])
def test_days_the_calendar_does_not_have(text, impossible):
    assert impossible_day(text) is impossible
