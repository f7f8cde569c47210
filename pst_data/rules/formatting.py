"""French/Belgian formatting for everything the server writes (captions, tables, charts, files).

Babel's fr_BE data gives the decimal comma and the narrow no-break space between thousands:
58,9 % ; 1 234,5 € ; 31/12/2024. Printf-style formats would print a dot.

One rounding rule for every percentage (pages, slides, Excel, PowerPoint, PDF): a mean taux has
one decimal (58,9 %), an action's own taux is whole (75 %, as it is entered); halves round away
from zero (58,25 → 58,3), as Excel and a calculator do, not to the even neighbour.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from pst_data.rules.clock import local_day, to_local
from pst_data.rules.means import missing

LOCALE = "fr_BE"
EMPTY = "—"


def round_half_up(value: Any, decimals: int = 1) -> Decimal:
    """58.25 -> 58.3 (Python's round() and Babel would give 58.2)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fmt_number(value: Any, decimals: int = 1) -> str:
    if missing(value):
        return EMPTY
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round_half_up(value, decimals), format=pattern, locale=LOCALE)


def fmt_percent(value: Any, decimals: int = 1) -> str:
    """42.5 -> "42,5 %" (value already in percent, as a taux is)."""
    if missing(value):
        return EMPTY
    return f"{fmt_number(value, decimals)}\u00a0%"


def fmt_euro(value: Any) -> str:
    if missing(value):
        return EMPTY
    return f"{format_decimal(value, format='#,##0.##', locale=LOCALE)}\u00a0€"


def fmt_date(value: Any) -> str:
    if missing(value):
        return EMPTY
    if isinstance(value, dt.datetime):  # a stored timestamp: the Brussels day it falls on
        value = local_day(value)
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def fmt_datetime(value: Any) -> str:
    """A stored timestamp (naive UTC, as the database keeps them) in Belgian local time."""
    if missing(value):
        return EMPTY
    return format_datetime(to_local(value), format="dd/MM/yyyy HH:mm", locale=LOCALE)


IMPORT_AUTHOR = "Import d'un fichier"


def author(name: object) -> str:
    """Who made a change, as the journal shows it: the imports recorded before they had a name
    of their own (« import ») read as the later ones do, not as a person called « import »."""
    return IMPORT_AUTHOR if name == "import" else str(name)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """2 -> "2 actions"; French uses the singular for 0 and 1."""
    word = singular if abs(count) < 2 else (plural_form or singular + "s")
    return f"{fmt_number(count, 0)} {word}"
