"""Any plan file, whatever its format: YAML or JSON, the Excel template, or eComptes XML. The
format is told by the content (a renamed or extension-less file is read all the same); every
reader returns the same validated plan, or PlanFileError with every problem in French."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pst_data.plan_file import SLUG_PATTERN, PlanFileError, parse_plan_bytes
from pst_data.plan_yaml import size_problem

FORMAT_NAMES = {"yaml": "YAML/JSON", "xlsx": "classeur Excel (modèle PST Pilot)", "ecomptes": "XML eComptes"}
# What the upload field and the CLI's help offer (the content decides in the end).
ACCEPTED_EXTENSIONS = ("yaml", "yml", "json", "xlsx", "xml")


def kind_of(data: bytes) -> str:
    """« xlsx », « ecomptes » or « yaml » (JSON is YAML), from the first bytes."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"<"):
        return "ecomptes"
    return "yaml"


def read_plan_data(data: bytes, source: str | None = None, *, slug: str | None = None,
                   existing: Callable[[str], dict[str, Any] | None] | None = None) -> dict[str, Any]:
    """The validated plan a file's bytes hold.

    ``slug``: import under this identifier instead of the file's (« --slug »).
    ``existing``: slug -> the plan already in the database (export shape) or None; eComptes
    carries only part of a plan, so what it does not carry is kept from there.
    """
    if slug is not None and (not SLUG_PATTERN.match(slug) or len(slug) > 60):
        raise PlanFileError([f"identifiant (slug) « {slug[:80]} » invalide : minuscules, chiffres et tirets "
                             "(ex. cpas-de-namur), 60 caractères au plus."], source)
    problem = size_problem(len(data), exact=False)
    if problem:  # before anything looks inside
        raise PlanFileError([problem], source)
    kind = kind_of(data)
    if kind == "xls":
        raise PlanFileError(["ancien format Excel (.xls) : ouvrez le fichier et enregistrez-le au format "
                             "« Classeur Excel (.xlsx) »."], source)
    if kind == "xlsx":
        from pst_data.exchange.workbook import read_workbook

        return read_workbook(data, source, slug=slug)
    if kind == "ecomptes":
        from pst_data.exchange.ecomptes import read_ecomptes

        plan = read_ecomptes(data, source, slug=slug)
        base = existing(plan["slug"]) if existing else None
        return read_ecomptes(data, source, slug=plan["slug"], base=base) if base else plan
    return parse_plan_bytes(data, source, slug)
