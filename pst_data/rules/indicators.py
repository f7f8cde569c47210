"""Indicators that measure, as plain rules: reading what people type, progress towards a target.

An indicator (of an OO or of an action) has a label, a unit, a baseline (and its year), a target
(and its year) and dated measured values. Its progress is how far the latest value has gone from
the baseline towards the target: (latest − baseline) / (target − baseline), so a target below
the baseline (« réduire le délai de 30 à 10 jours ») works as well. No baseline counts from 0.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from db.limits import INDICATOR_DECIMALS, INDICATOR_UNIT_MAX, INDICATOR_VALUE_MAX, TITLE_MAX, YEAR_MAX, YEAR_MIN
from pst_data.rules.dates import typed_day
from pst_data.rules.errors import EditError
from pst_data.rules.formatting import EMPTY, fmt_date, fmt_number, fmt_percent
from pst_data.rules.text import has_invalid_character, refused_character

# « 1 234,5 », « 1234.5 », « -3 », « 12 % »: digits, one decimal mark, spaces between thousands.
NUMBER = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,][0-9]+)?$")  # ASCII digits only


def parse_value(value: Any, label: str, field: str, required: bool = True) -> Decimal | None:
    """A number as a person types it, or EditError naming the field (in French)."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value or "").strip().removesuffix("%").strip()
    if not text:
        if required:
            raise EditError([f"« {label} » : indiquez une valeur."], [field])
        return None
    if not NUMBER.match(text):
        raise EditError([f"« {label} » : « {text[:40]} » n'est pas un nombre (ex. 1 234,5)."], [field])
    try:
        number = Decimal(re.sub(r"[ \u00a0\u202f]", "", text).replace(",", "."))
    except InvalidOperation:
        raise EditError([f"« {label} » : « {text[:40]} » n'est pas un nombre (ex. 1 234,5)."], [field]) from None
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))  # « 1,50000 » is 1.5, « 12,000 » is 12
    else:
        number = number.normalize()
    if abs(number) > INDICATOR_VALUE_MAX:
        raise EditError([f"« {label} » : valeur hors limites (au plus {fmt_number(INDICATOR_VALUE_MAX, 0)})."], [field])
    if -number.as_tuple().exponent > INDICATOR_DECIMALS:
        raise EditError([f"« {label} » : {INDICATOR_DECIMALS} décimales au plus."], [field])
    return number


def parse_year(value: Any, label: str, field: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4 and YEAR_MIN <= int(text) <= YEAR_MAX):
        raise EditError([f"« {label} » : une année est attendue (ex. 2024), pas « {text[:20]} »."], [field])
    return int(text)


def checked_text(value: Any, label: str, field: str, limit: int, required: bool = False) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise EditError([f"« {label} » est obligatoire."], [field])
        return None
    if len(text) > limit:
        raise EditError([f"« {label} » est trop long ({len(text)} caractères, maximum {limit})."], [field])
    if has_invalid_character(text):
        raise EditError([f"« {label} » contient un caractère de contrôle ou invalide ({refused_character(text)})."],
                        [field])
    return text


@dataclass(frozen=True)
class Definition:
    label: str
    unit: str | None
    baseline: Decimal | None
    baseline_year: int | None
    target: Decimal | None
    target_year: int | None


def definition(values: dict[str, Any]) -> Definition:
    """An indicator's definition from a form (every problem at once, each naming its field)."""
    errors: list[str] = []
    fields: list[str] = []
    out: dict[str, Any] = {}
    for name, read in (
        ("label", lambda v: checked_text(v, "Indicateur", "label", TITLE_MAX, required=True)),
        ("unit", lambda v: checked_text(v, "Unité", "unit", INDICATOR_UNIT_MAX)),
        ("baseline", lambda v: parse_value(v, "Valeur de départ", "baseline", required=False)),
        ("baseline_year", lambda v: parse_year(v, "Année de départ", "baseline_year")),
        ("target", lambda v: parse_value(v, "Cible", "target", required=False)),
        ("target_year", lambda v: parse_year(v, "Année de la cible", "target_year")),
    ):
        try:
            out[name] = read(values.get(name))
        except EditError as exc:
            errors += exc.errors
            fields += exc.fields
    if errors:
        raise EditError(errors, fields)
    return Definition(**out)


def progress_towards(baseline: Decimal | None, target: Decimal | None, latest: Decimal | None) -> float | None:
    """How far (in %) the latest value has gone from the baseline to the target; None when it
    cannot be said (no target, no value, or a target equal to the baseline)."""
    if target is None or latest is None:
        return None
    start = baseline if baseline is not None else Decimal(0)
    if target == start:
        return None
    return float((Decimal(latest) - start) / (Decimal(target) - start) * 100)


def fmt_value(value: Any, unit: str | None = None) -> str:
    if value is None:
        return EMPTY
    number = Decimal(str(value)).normalize()
    decimals = max(0, -number.as_tuple().exponent)
    text = fmt_number(float(number), decimals)
    return f"{text} {unit}" if unit else text


def with_year(text: str, year: int | None) -> str:
    return f"{text} ({year})" if year and text != EMPTY else text


def indicator_row(indicator: dict[str, Any]) -> dict[str, str]:
    """One indicator as the fiche, the OO and the report show it."""
    values = indicator["values"]
    latest = values[-1] if values else None
    progress = progress_towards(indicator["baseline"], indicator["target"], latest["value"] if latest else None)
    return {
        "Indicateur": indicator["label"],
        "Départ": with_year(fmt_value(indicator["baseline"], indicator["unit"]), indicator["baseline_year"]),
        "Cible": with_year(fmt_value(indicator["target"], indicator["unit"]), indicator["target_year"]),
        "Dernière mesure": (f"{fmt_value(latest['value'], indicator['unit'])} au {fmt_date(latest['measured_on'])}"
                            if latest else "aucune mesure"),
        "Vers la cible": fmt_percent(progress, 0) if progress is not None else EMPTY,
    }


def measured_on(value: Any) -> dt.date:
    return typed_day(value, "« Date de la mesure »", "measured_on")


def indicator_summary(indicator: dict[str, Any]) -> str:
    """One line: « Bénéficiaires : 120 personnes au 30/11/2026 → cible 150 personnes (2024) · 80 % »."""
    row = indicator_row(indicator)
    text = f"{row['Indicateur']} : {row['Dernière mesure']}"
    if row["Cible"] != EMPTY:
        text += f" → cible {row['Cible']}"
    if row["Vers la cible"] != EMPTY:
        text += f" · {row['Vers la cible']}"
    return text


def as_of(indicators: list[dict[str, Any]], day: dt.date) -> list[dict[str, Any]]:
    """The indicators with only the values measured on or before ``day`` (a report « au »)."""
    return [{**i, "values": [v for v in i["values"] if v["measured_on"] <= day]} for i in indicators]
