"""Reading plan files (the YAML format of pst_data/README.md, or its JSON twin); their values are
checked by pst_data/rules/validation.py, the same checker every edit goes through.

``load_plan_file`` returns a *normalised* plan: plain dicts and lists where every key of the
format is present (missing keys get their empty value). The same shape is what the exporter
produces, so export -> import is the identity. Every problem found is reported in French with
its place in the tree, and nothing is returned unless the whole file is valid.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from pst_data.exchange.plan_yaml import (
    MAX_PLAN_FILE_BYTES,
    PlanYamlError,
    decode_text,
    load_yaml,
    plain_numbers,
    size_problem,
)
from pst_data.rules.validation import PlanChecker

ERRORS_SHOWN = 50


def notice_lines(notices: list[str]) -> list[str]:
    """The values a file gave that are kept otherwise (rounded), as the import preview and the
    CLI show them: a heading, then the first ``ERRORS_SHOWN`` with the count of the rest."""
    if not notices:
        return []
    hidden = len(notices) - ERRORS_SHOWN
    return ([f"Repris autrement que dans le fichier ({len(notices)}) :"]
            + [f"  {line}" for line in notices[:ERRORS_SHOWN]]
            + ([f"  … et {hidden} autre{'s' if hidden > 1 else ''}."] if hidden > 0 else []))


class PlanFileError(ValueError):
    """A plan file that cannot be imported; ``errors`` lists every problem, in French."""

    def __init__(self, errors: list[str], source: str | None = None):
        # A sheet of a million rows gives as many errors: the first ones tell what to fix.
        self.total = len(errors)
        hidden = self.total - ERRORS_SHOWN
        self.errors = errors[:ERRORS_SHOWN] + (
            [f"… et {hidden} autre{'s' if hidden > 1 else ''} erreur{'s' if hidden > 1 else ''} : corrigez "
             "d'abord celles-ci, puis importez le fichier à nouveau."] if hidden > 0 else [])
        self.source = source
        head = f"Fichier de plan refusé ({source})" if source else "Fichier de plan refusé"
        count = f"{self.total} erreur{'s' if self.total > 1 else ''}"
        lines = "\n".join(f"- {e}" for e in self.errors)
        super().__init__(f"{head} : {count}. Rien n'a été importé.\n{lines}")


def load_plan_file(path: str | Path) -> dict[str, Any]:
    return parse_plan_bytes(read_plan_path(path), str(path))


def read_plan_path(path: str | Path) -> bytes:
    """A plan file's bytes, bounded: a huge file is refused before anything is read."""
    path = Path(path)
    try:
        problem = size_problem(path.stat().st_size)
        if problem:
            raise PlanFileError([problem], str(path))
        with path.open("rb") as handle:
            return handle.read(MAX_PLAN_FILE_BYTES + 1)  # bounded: stat says 0 for a pipe or /dev/zero
    except FileNotFoundError:
        raise PlanFileError([f"le fichier « {path} » n'existe pas."], str(path)) from None
    except IsADirectoryError:
        raise PlanFileError([f"« {path} » est un dossier, pas un fichier."], str(path)) from None
    except OSError as exc:
        raise PlanFileError([f"le fichier ne peut pas être lu ({exc.strerror})."], str(path)) from None


def parse_plan_bytes(data: bytes, source: str | None = None, slug: str | None = None) -> dict[str, Any]:
    """A plan file's content (a file read, or uploaded in the app), checked like a file."""
    problem = size_problem(len(data), exact=False)  # the file grew, or stat could not tell
    if problem:
        raise PlanFileError([problem], source)
    try:
        text = decode_text(data)  # UTF-8 only
    except PlanYamlError as exc:
        raise PlanFileError(exc.errors, source) from None
    return parse_plan_text(text, source, slug)


def parse_plan_text(text: str, source: str | None = None, slug: str | None = None) -> dict[str, Any]:
    try:
        # JSON is valid YAML: both formats load here; load_yaml first refuses a text larger than
        # MAX_PLAN_FILE_BYTES or holding a NUL
        data = load_yaml(text)
    except PlanYamlError as exc:
        raise PlanFileError(exc.errors, source) from None
    if slug and isinstance(data, dict):
        data["slug"] = slug  # « import --slug »: the same file under another identifier
    # the checker reads numbers with their source text (codes); the plan it returns holds plain
    # ints and floats only
    return plain_numbers(validate_plan(data, source))


def validate_plan(data: Any, source: str | None = None) -> dict[str, Any]:
    checker = PlanChecker()
    plan = checker.plan(data)
    if checker.errors:
        raise PlanFileError(checker.errors, source)
    return plan


def dump_plan_json(plan: dict[str, Any]) -> str:
    return json.dumps(plan, ensure_ascii=False, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def iter_actions(plan: dict[str, Any]):
    """Yield (os, oo, action) for every action of a normalised plan, in order."""
    for os_ in plan["strategic_objectives"]:
        for oo in os_["operational_objectives"]:
            for action in oo["actions"]:
                yield os_, oo, action
