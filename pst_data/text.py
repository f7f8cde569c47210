"""Text helpers shared by search and date parsing."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Évaluation" -> "evaluation"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def sorted_names(names) -> list[str]:
    """The one order of a set of names (labels...): accent- and case-blind, so that SQLite and
    PostgreSQL, whose collations differ, give the same lists."""
    return sorted(names, key=lambda n: (fold(n), n))


def shorten(text: str, limit: int = 48) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (chart axes, slide tables)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
