"""Any plan file, whatever its format: YAML or JSON, the Excel template, or eComptes XML. The
format is told by the content (a renamed or extension-less file is read all the same); every
reader returns the same validated plan, or PlanFileError with every problem in French."""

from __future__ import annotations

from typing import Any, Protocol

from db.limits import SLUG_MAX
from pst_data.exchange.plan_file import PlanFileError, parse_plan_bytes
from pst_data.rules.validation import SLUG_PATTERN
from pst_data.exchange.plan_yaml import size_problem

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


class KnownPlans(Protocol):
    """What a reader asks the database (pst_data.importer.DatabasePlans answers)."""

    def export(self, slug: str) -> dict[str, Any] | None: ...  # the plan in export shape, or None

    def slugs_for_ins(self, ins_code: str | None) -> list[str]: ...  # the plans of that CPAS


def read_plan_data(data: bytes, source: str | None = None, *, slug: str | None = None,
                   known: KnownPlans | None = None, notices: list[str] | None = None) -> dict[str, Any]:
    """The validated plan a file's bytes hold.

    ``notices`` receives, in French, what the file's values became otherwise than written
    (eComptes decimals rounded): shown before the import, never changed in silence.

    ``slug``: import under this identifier instead of the file's (« --slug »).
    ``known``: the plans already in the database. eComptes names a CPAS by its INS code, not by
    our slug: its file updates the plan of that CPAS, and keeps what eComptes does not carry.
    """
    if slug is not None and (not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX):
        raise PlanFileError([f"identifiant du plan « {slug[:80]} » invalide : minuscules, chiffres et tirets "
                             f"(ex. cpas-de-namur), {SLUG_MAX} caractères au plus."], source)
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

        first_notices: list[str] = []
        plan = read_ecomptes(data, source, slug=slug, notices=first_notices)
        if known is None:
            _extend(notices, first_notices)
            return plan
        target = slug
        if target is None:
            plans = known.slugs_for_ins(plan["ins_code"])
            if len(plans) > 1:  # two legislatures of one CPAS, say: the person chooses
                raise PlanFileError([f"{len(plans)} plans portent le code INS {plan['ins_code']} "
                                     f"({', '.join(plans)}) : choisissez celui que ce fichier met à jour "
                                     "(« Importer dans », ou --slug en ligne de commande)."], source)
            target = plans[0] if plans else plan["slug"]
        base = known.export(target)
        if base and base.get("ins_code") and plan["ins_code"] and base["ins_code"] != plan["ins_code"]:
            raise PlanFileError([f"ce fichier eComptes est celui du CPAS de code INS {plan['ins_code']} ; le plan "
                                 f"« {target} » est celui du code INS {base['ins_code']}. Choisissez le bon plan "
                                 "(ou corrigez son code INS)."], source)
        if base or target != plan["slug"]:
            return read_ecomptes(data, source, slug=target, base=base, notices=notices)
        _extend(notices, first_notices)
        return plan
    return parse_plan_bytes(data, source, slug)


def _extend(notices: list[str] | None, found: list[str]) -> None:
    if notices is not None:
        notices.extend(found)
