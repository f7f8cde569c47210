"""Deriving a calendar date from a plan's own wording of a start or an end.

The wording is always kept; the date is what lateness and charts need. Rules, written to never
invent precision the source does not give:

- "31/12/2024", "1/9/2020", "31.12.2024", "2024-12-31" -> that day;
- "1er novembre 2019", "15 mars 2021" -> that day;
- "09/2020", "novembre 2019" -> first day (start) or last day (end) of the month;
- "1er trimestre 2020", "2e semestre 2021", "dernier quadrimestre 2019" -> first or last day
  of that quarter / half-year / four-month period;
- "2019", "2019-2020", "2019 à 2024" and any other text that holds years -> 1 January of the
  first year (start) or 31 December of the last year (end);
- text without a year ("En continu", "Permanent") -> no date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from db.limits import YEAR_MAX, YEAR_MIN
from pst_data.rules.errors import EditError
from pst_data.rules.text import fold

MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_ORDINALS = {"1er": 1, "1e": 1, "premier": 1, "2e": 2, "2eme": 2, "second": 2, "deuxieme": 2,
             "3e": 3, "3eme": 3, "troisieme": 3, "4e": 4, "4eme": 4, "quatrieme": 4}
_PERIOD_MONTHS = {"trimestre": 3, "quadrimestre": 4, "semestre": 6}

_DAY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(r"\b(\d{1,2})/(\d{4})\b")
_NAMED_DAY = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b")
_NAMED_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{4})\b")
_PERIOD = re.compile(
    r"\b(" + "|".join(_ORDINALS) + r"|dernier)\s+(trimestre|quadrimestre|semestre)\s+(\d{4})\b"
)
_YEAR = re.compile(r"\b(19\d\d|20\d\d|21\d\d)\b")


def _bound(year: int, month: int, role: str) -> dt.date:
    if role == "start":
        return dt.date(year, month, 1)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


_DAY_PATTERNS = (
    (_ISO, lambda m: dt.date(int(m[1]), int(m[2]), int(m[3]))),
    (_DAY, lambda m: dt.date(int(m[3]), int(m[2]), int(m[1]))),
    (_NAMED_DAY, lambda m: dt.date(int(m[3]), MONTHS[m[2]], int(m[1]))),
)


def _days(folded: str) -> tuple[list[dt.date], list[tuple[int, int]]]:
    """The days written in full, and the spans of those the calendar does not have (31/02/2020)."""
    days, impossible = [], []
    for pattern, build in _DAY_PATTERNS:
        for match in pattern.finditer(folded):
            try:
                days.append(build(match))
            except ValueError:
                impossible.append(match.span())
    return days, impossible


def impossible_day(text: str | None) -> bool:
    """A day written in full that the calendar does not have (« 31/02/2026 », « 2026-13-01 »):
    the validators refuse it rather than read a month or a year out of it."""
    return bool(text) and bool(_days(fold(text))[1])


def parse_source_date(text: str | None, role: str) -> dt.date | None:
    """The date a start (role="start") or end (role="end") wording stands for, or None."""
    if role not in ("start", "end"):
        raise ValueError(f"role must be 'start' or 'end', not {role!r}")
    if not text:
        return None
    folded = fold(text)
    candidates, impossible = _days(folded)
    if not candidates:
        for match in _MONTH_YEAR.finditer(folded):
            if any(start <= match.start() < end for start, end in impossible):
                continue  # the « 02/2026 » of 31/02/2026 is not that month: fall through to the year
            if 1 <= int(match[1]) <= 12:
                candidates.append(_bound(int(match[2]), int(match[1]), role))
        for match in _NAMED_MONTH.finditer(folded):
            if any(start <= match.start() < end for start, end in impossible):
                continue
            candidates.append(_bound(int(match[2]), MONTHS[match[1]], role))
        for match in _PERIOD.finditer(folded):
            length = _PERIOD_MONTHS[match[2]]
            count = 12 // length
            index = count if match[1] == "dernier" else _ORDINALS[match[1]]
            if 1 <= index <= count:
                first_month = (index - 1) * length + 1
                month = first_month if role == "start" else first_month + length - 1
                candidates.append(_bound(int(match[3]), month, role))
    if not candidates:
        years = [int(y) for y in _YEAR.findall(folded)]
        if not years:
            return None
        return dt.date(min(years), 1, 1) if role == "start" else dt.date(max(years), 12, 31)
    return min(candidates) if role == "start" else max(candidates)


def typed_day(value: Any, label: str, field: str) -> dt.date:
    """A day a person gives (a date, « 15/12/2026 » or « 2026-12-15 »), within the years the
    app keeps; else EditError naming ``label``. Not a plan's wording: see parse_source_date."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        text = str(value or "").strip()
        for parse in (dt.date.fromisoformat, lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date()):
            try:
                value = parse(text)
                break
            except ValueError:
                continue
        else:
            raise EditError([f"{label} illisible « {text[:20]} » : attendu JJ/MM/AAAA."], [field])
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise EditError([f"{label} hors limites ({value.day:02d}/{value.month:02d}/{value.year:04d})."], [field])
    return value
