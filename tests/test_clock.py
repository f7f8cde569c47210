"""One clock, in Brussels: the rules of pst_data.rules.clock, and the pages, snapshots, report and
journal agreeing on the day at 00:30 in Brussels (23:30 UTC the evening before)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import History
from pst_data import queries, services, snapshots
from pst_data.as_of import plan_as_of
from pst_data.exports.report import evaluation_report
from pst_data.rules import clock
from pst_data.rules.formatting import fmt_date, fmt_datetime
from pst_data.rules.schedule import is_late
from tests.conftest import TEST_NOW
from tests.pages_support import no_exception, open_page
from tests.test_services import action
from tests.people import CLAIRE_MARTIN

# 28 February 2029, 23:30 UTC: already 1 March in Brussels (UTC+1 in winter).
LATE_EVENING_UTC = dt.datetime(2029, 2, 28, 23, 30, tzinfo=dt.timezone.utc)
FIRST_OF_MARCH = dt.date(2029, 3, 1)


# -- the clock itself ---------------------------------------------------------------------

def test_tests_run_on_the_clock_they_set():
    assert clock.today() == TEST_NOW.date()
    assert clock.now().tzinfo is not None and clock.now().utcoffset() == dt.timedelta(hours=1)


def test_a_set_clock_keeps_ticking(set_now):
    set_now(dt.datetime(2030, 6, 1, 12, 0))
    first = clock.stored_now()
    second = clock.stored_now()
    assert dt.datetime(2030, 6, 1, 10, 0) <= first <= second < dt.datetime(2030, 6, 1, 10, 1)  # CEST


def test_today_is_the_brussels_day_not_the_server_s(set_now):
    set_now(LATE_EVENING_UTC)
    assert clock.today() == FIRST_OF_MARCH
    assert clock.now().hour == 0 and clock.now().minute == 30
    assert clock.stored_now().date() == dt.date(2029, 2, 28)  # stored in UTC, unambiguous
    assert clock.local_day(clock.stored_now()) == FIRST_OF_MARCH


@pytest.mark.parametrize(("day", "start", "end"), [
    (dt.date(2024, 1, 31), dt.datetime(2024, 1, 30, 23), dt.datetime(2024, 1, 31, 23)),  # CET
    (dt.date(2024, 7, 31), dt.datetime(2024, 7, 30, 22), dt.datetime(2024, 7, 31, 22)),  # CEST
    # the day clocks go forward (31/03/2024) has 23 hours, the day they go back 25
    (dt.date(2024, 3, 31), dt.datetime(2024, 3, 30, 23), dt.datetime(2024, 3, 31, 22)),
    (dt.date(2024, 10, 27), dt.datetime(2024, 10, 26, 22), dt.datetime(2024, 10, 27, 23)),
])
def test_a_brussels_day_in_stored_utc(day, start, end):
    assert clock.day_start_utc(day) == start
    assert clock.day_end_utc(day) == end
    assert clock.local_day(start) == day and clock.local_day(end - dt.timedelta(microseconds=1)) == day


def test_stored_timestamps_are_shown_in_brussels_time():
    stored = dt.datetime(2029, 2, 28, 23, 30)
    assert fmt_datetime(stored) == "01/03/2029 00:30"
    assert fmt_date(stored) == "01/03/2029"
    assert fmt_datetime(dt.datetime(2024, 7, 1, 22, 15)) == "02/07/2024 00:15"


def test_lateness_counts_from_the_day_it_is_given():
    end = dt.date(2029, 2, 28)
    assert not is_late(end, 50, "En cours", end)
    assert is_late(end, 50, "En cours", end + dt.timedelta(days=1))
    assert not is_late(end, 100, "En cours", end + dt.timedelta(days=1))
    assert not is_late(end, 50, "Finalisé", end + dt.timedelta(days=1))
    assert not is_late(end, 50, "Abandonné", end + dt.timedelta(days=1))
    assert is_late(end, None, None, end + dt.timedelta(days=1))


# -- the app on a clock set around an action's deadline -------------------------------------

def test_an_action_is_late_from_the_day_after_its_deadline(seeded_engine, set_now):
    """Binche 1.1.1.1.2 ends 31/12/2024: on time that day, late the next morning, in the
    pages' frame (Python rule) and in the comparison (SQL rule) alike; so do the actions without
    an échéance, due at the end of the plan's period (2019-2024)."""
    with Session(seeded_engine) as s:
        binche = queries.find_plan(s, slug="binche")

        def late_codes() -> tuple[set[str], int]:
            frame = queries.actions_frame(s, binche)
            compared = queries.comparison_frame(s).set_index("slug").loc["binche", "late"]
            return set(frame.loc[frame["is_late"], "code"]), int(compared)

        set_now(dt.datetime(2024, 12, 31, 23, 59))
        before, compared_before = late_codes()
        set_now(dt.datetime(2025, 1, 1, 0, 1))
        after, compared_after = late_codes()
    with Session(seeded_engine) as s:
        frame = queries.actions_frame(s, binche, dt.date(2025, 1, 1))
    due_that_day = frame[frame["due_date"] == dt.date(2024, 12, 31)]
    assert due_that_day["end_date"].isna().any()  # some have no échéance of their own
    assert "1.1.1.1.2" in set(due_that_day["code"])
    assert "1.1.1.1.2" not in before and "1.1.1.1.2" in after
    assert after - before == set(due_that_day.loc[due_that_day["is_late"], "code"])
    assert (compared_before, compared_after) == (len(before), len(after))


def test_snapshot_report_and_journal_agree_on_the_day_at_half_past_midnight(seeded_engine, set_now):
    set_now(LATE_EVENING_UTC)
    today = clock.today()
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    saved = services.set_progress(seeded_engine, a.id, a.version, 37, CLAIRE_MARTIN, "Relu en séance")
    with Session(seeded_engine) as s:
        changed_at = s.scalar(select(History.changed_at).where(History.change_id == saved.change_id))
        binche = queries.find_plan(s, slug="binche")
    assert fmt_datetime(changed_at) == "01/03/2029 00:30"

    # The journal of 1 March holds the edit; the one of 28 February does not.
    with Session(seeded_engine) as s:
        first_of_march = queries.journal(s, binche["id"], FIRST_OF_MARCH, FIRST_OF_MARCH)
        last_of_february = queries.journal(s, binche["id"], dt.date(2029, 2, 28), dt.date(2029, 2, 28))
        since_today = queries.recent_changes(s, binche["id"], since=today)
    assert saved.change_id in set(first_of_march["change_id"])
    assert saved.change_id not in set(last_of_february["change_id"])
    assert since_today["action_code"].tolist() == ["1.1.1.1.1"]  # "since the last Bureau" = today

    # A snapshot of today is today's (not "in the future") and holds the edit.
    snapshot_id = snapshots.take_snapshot(seeded_engine, binche["id"], "Bureau du 1er mars", CLAIRE_MARTIN, today)
    with Session(seeded_engine) as s:
        listed = snapshots.list_snapshots(s, binche["id"])
        frozen = snapshots.snapshot_actions(s, snapshot_id).set_index("code")
        # As of the evening before, the edit had not happened yet.
        eve = plan_as_of(s, binche, queries.actions_frame(s, binche), dt.date(2029, 2, 28))
        report = evaluation_report(s, binche, "finale", today, today)
    assert listed["as_of"].iloc[0] == FIRST_OF_MARCH
    assert frozen.loc["1.1.1.1.1", "progress"] == 37
    assert eve.changes_undone == 1
    assert eve.actions.set_index("code").loc["1.1.1.1.1", "progress"] == a.progress

    # The report "situation au" today says 01/03/2029 and shows the new taux.
    pages = [re.sub(r"[\u00a0\u202f]", " ", p.extract_text()) for p in PdfReader(io.BytesIO(report)).pages]
    assert "Situation au 01/03/2029" in pages[0]
    fiche = next(p for p in pages if re.search(r"^1\.1\.1\.1\.1 → ", p, re.M))
    assert "37 % ·" in fiche


def test_journal_page_at_half_past_midnight(app_db_url, set_now):
    set_now(LATE_EVENING_UTC)
    engine = make_engine(app_db_url)
    a = action(engine, "binche", "1.1.1.1.1")
    services.set_progress(engine, a.id, a.version, 37, CLAIRE_MARTIN)
    engine.dispose()
    at = open_page("pages/6_Journal.py", app_db_url, plan="binche")
    no_exception(at)
    period = next(d for d in at.date_input if d.label == "Période")
    assert period.value == (dt.date(2028, 12, 1), FIRST_OF_MARCH)  # 90 days back from 1 March
    table = at.dataframe[0].value
    assert table.iloc[0].astype(str).str.contains("01/03/2029 00:30").any()
    assert table.iloc[0].astype(str).str.contains("Claire Martin").any()


def test_a_clock_set_inside_a_block_goes_on_afterwards_as_if_never_set():
    before = clock.stored_now()
    with clock.frozen(dt.datetime(2020, 1, 1, 12, 0)):
        assert clock.today() == dt.date(2020, 1, 1)
    after = clock.stored_now()
    assert before <= after < before + dt.timedelta(minutes=1)
