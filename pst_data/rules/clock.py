"""The one clock of PST Pilot: today and now, in the CPAS's zone (Europe/Brussels).

Everything that needs the date or the time (services, history, snapshots, the "as of" rebuild,
pages, exports, CLI) asks here; nothing else reads the system clock. A server in UTC would
otherwise call 23:30 on 28 February "today" while it is already 1 March in Brussels.

Storage: the database columns hold naive timestamps, always in UTC (``stored_now``). Days
typed or shown by people are Brussels days: ``day_start_utc`` / ``day_end_utc`` turn a day into
the stored instants that bound it, ``local_day`` turns a stored instant back into its day.

Tests set the clock (``set_clock`` / ``frozen``); a set clock keeps ticking from the moment it
was given, so two saves in a row still get two instants. A server or a command started with
``PST_NOW=2026-07-01T10:00`` (Brussels time) starts from that moment: for the browser journeys
and demonstrations of a plan at another point of its life, never for production.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Brussels")

# (the instant the clock was set to, as aware UTC; time.monotonic() at that moment)
_set_at: tuple[dt.datetime, float] | None = None


def _utc() -> dt.datetime:
    if _set_at is None:
        return dt.datetime.now(dt.timezone.utc)
    moment, started = _set_at
    return moment + dt.timedelta(seconds=time.monotonic() - started)


def now() -> dt.datetime:
    """The current time in Brussels (aware)."""
    return _utc().astimezone(TIMEZONE)


def today() -> dt.date:
    """Today's date in Brussels."""
    return now().date()


def stored_now() -> dt.datetime:
    """The current instant as the database stores timestamps: naive UTC."""
    return _utc().replace(tzinfo=None)


def to_stored(moment: dt.datetime) -> dt.datetime:
    """An aware instant (or a naive one meaning Brussels time) -> naive UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def to_local(stored: dt.datetime) -> dt.datetime:
    """A stored timestamp (naive UTC) -> aware Brussels time."""
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.timezone.utc)
    return stored.astimezone(TIMEZONE)


def local_day(stored: dt.datetime) -> dt.date:
    """The Brussels day a stored timestamp falls on."""
    return to_local(stored).date()


def day_start_utc(day: dt.date) -> dt.datetime:
    """The first instant of a Brussels day, as a stored (naive UTC) timestamp."""
    return to_stored(dt.datetime.combine(day, dt.time.min, tzinfo=TIMEZONE))


def day_end_utc(day: dt.date) -> dt.datetime:
    """The end of a Brussels day (the first instant of the next one), as a stored timestamp:
    what happened on ``day`` is ``>= day_start_utc(day)`` and ``< day_end_utc(day)``."""
    return day_start_utc(day + dt.timedelta(days=1))


def set_clock(moment: dt.datetime | None) -> None:
    """Set the clock to ``moment`` (aware, or naive meaning Brussels time); None gives the
    system clock back. For tests and demonstrations only."""
    global _set_at
    if moment is None:
        _set_at = None
        return
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    _set_at = (moment.astimezone(dt.timezone.utc), time.monotonic())


@contextmanager
def kept() -> Iterator[None]:
    """Whatever the block does to the clock is undone after it: the clock goes on as if the
    block had not set it (no jump back in time for what follows)."""
    global _set_at
    previous = _set_at
    try:
        yield
    finally:
        _set_at = previous


@contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    """``with frozen(dt.datetime(2029, 3, 1, 0, 30)):`` the clock reads that Brussels time."""
    with kept():
        set_clock(moment)
        yield


def _from_environment() -> None:
    value = os.environ.get("PST_NOW", "").strip()
    if value:
        try:
            set_clock(dt.datetime.fromisoformat(value))
        except ValueError:
            raise SystemExit(f"PST_NOW illisible « {value[:40]} » : attendu AAAA-MM-JJTHH:MM (heure de Bruxelles).")


_from_environment()
