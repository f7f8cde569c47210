"""The Walloon Region's eComptes PST XML (SPW, version 201805V1), to and from our plan format.

eComptes (SPW Intérieur) is where communes and CPAS file their PST. Two schemas describe the
exchange (../shared/formats/ecomptes/): ``PST_eComptes_Export_201805V1.xsd``, a PST as eComptes
hands it out, is what ``read_ecomptes`` reads; ``schema_import_ecomptes_201805V1.xsd``, a PST as
eComptes takes it in, is what ``write_ecomptes`` writes. The tree is
``dataroot / Identifiants + PST / DescriptionPST + Volets / Volet / ObjectifStrategiques /
ObjectifStrategique / ObjectifsOperationnels / ObjectifOperationnel / Actions / Action``.

How our plan maps onto it:

- a Volet is an axis: consecutive OS with the same ``axis`` share one Volet; OS without axis go
  to a Volet "Volet sans axe" whose ElementId ``PSTPILOT-SANS-AXE`` tells the reader to give
  them no axis again;
- codes travel in the Libelle: ``OS.1 - Titre``, ``OO.1.2 - Titre``, ``A.1.2.3 - Titre``; a
  sub-action is an Action right after its action: ``A.1.2.3 - SA.a - Titre`` (eComptes has no
  sub-actions). A Libelle without such a prefix gets its position as code;
- an action's fields: Description, Statut (``STATUS_FROM_ECOMPTES`` / ``STATUS_TO_ECOMPTES``),
  TauxAvancement, DateDebut/DateFin, Responsable, Departement, ETP, Plans (our labels),
  Partenaires, RemarqueStatut (our comment) and, from eComptes only, budget Articles.

What does not survive a round trip plan -> eComptes -> plan (without ``base``): a title longer
than the 255 characters of a Libelle (cut, with "…"); start/end wordings ("1er trimestre 2020"
becomes "01/01/2020": xs:date only holds a day; a wording without a date is dropped); no status
comes back as "À programmer", no taux as 0, no ETP as 0; the project lead (see ``_element``);
and everything eComptes has no place for: priorities, services, indicators, risks, deliverables,
context, evaluation, weight, staff and budget wordings, OO indicators, the plan's organisation,
source, document, notes, stated totals, priority scale and bands. Objectives have no status or
taux of their own: the XML gets their actions' roll-up (``_rolled_up_status``,
``_rolled_up_taux``) and the reader ignores it. With
``base`` (the plan already in the database) all of these are kept, matched by code, and a value
that says the same as the base's (the cut title, the date its wording stands for, 0 for no taux,
NON_COMMENCE for no status) keeps the base's form: re-importing our own export changes nothing.

Pure Python (stdlib and defusedxml): no database, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any
from xml.parsers.expat import errors as expat_errors

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from db.limits import BUDGET_MAX, STAFF_FTE_MAX, YEAR_MAX, YEAR_MIN
from pst_data.rules.dates import parse_source_date
from pst_data.rules.means import weighted_mean
from pst_data.exchange.plan_file import PlanFileError, validate_plan
from pst_data.rules.validation import FORMAT_VERSION, INS_PATTERN
from pst_data.exchange.plan_yaml import plain_numbers, size_problem

VERSION = "201805V1"
GENERATOR = "PST Pilot"
NO_AXIS_ID = "PSTPILOT-SANS-AXE"
NO_AXIS_LABEL = "Volet sans axe"
LIBELLE_MAX = 255  # every Libelle of the schemas
ID_PST_MAX = 40  # DescriptionPST/IdPST
ROOT = "/dataroot"

# eComptes' six statuses -> ours. PROBLEME ("momentanément suspendu") and EN_ATTENTE (waiting
# for an event) are both our "Suspendu".
STATUS_FROM_ECOMPTES: dict[str, str] = {
    "NON_COMMENCE": "À programmer",
    "EN_COURS": "En cours",
    "TERMINE": "Finalisé",
    "EN_ATTENTE": "Suspendu",
    "PROBLEME": "Suspendu",
    "ANNULE_ABANDONNE": "Abandonné",
}
# Ours -> eComptes; an action without status has not started for eComptes.
STATUS_TO_ECOMPTES: dict[str | None, str] = {
    None: "NON_COMMENCE",
    "À programmer": "NON_COMMENCE",
    "En cours": "EN_COURS",
    "Finalisé": "TERMINE",
    "Suspendu": "EN_ATTENTE",
    "Abandonné": "ANNULE_ABANDONNE",
}

SERVICES = {"O": "ordinaire", "E": "extraordinaire"}
ARTICLE_TYPES = {"D": "dépense", "R": "recette"}

UNSAFE_XML = "le fichier XML déclare un DTD ou des entités : refusé par sécurité"
# xs:decimal as written (no exponent, no NaN: Decimal would take "1e2" or "NaN").
DECIMAL_PATTERN = re.compile(r"^\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*$")
# xs:date, with the optional time zone eComptes never uses
DATE_PATTERN = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?\s*$")
# What XML 1.0 cannot hold: C0 controls but tab, newline (and carriage return, which a parser
# turns into a newline anyway), lone surrogates, U+FFFE and U+FFFF.
NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CENTS = Decimal("0.01")

# expat's messages, in French (the frequent ones; the others say "XML mal formé").
EXPAT_MESSAGES = {
    expat_errors.XML_ERROR_SYNTAX: "erreur de syntaxe",
    expat_errors.XML_ERROR_NO_ELEMENTS: "fichier vide ou incomplet (aucun élément, ou élément non refermé)",
    expat_errors.XML_ERROR_INVALID_TOKEN: "caractère ou balise invalide",
    expat_errors.XML_ERROR_UNCLOSED_TOKEN: "balise non refermée",
    expat_errors.XML_ERROR_PARTIAL_CHAR: "caractère incomplet (encodage du fichier erroné ?)",
    expat_errors.XML_ERROR_TAG_MISMATCH: "la balise fermante ne correspond pas à la balise ouverte",
    expat_errors.XML_ERROR_DUPLICATE_ATTRIBUTE: "attribut en double",
    expat_errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "contenu après la fin de l'élément racine",
    expat_errors.XML_ERROR_UNDEFINED_ENTITY: "entité non définie (le XML ne connaît que &amp; &lt; &gt; "
                                             "&quot; &apos; et les références numériques)",
    expat_errors.XML_ERROR_BAD_CHAR_REF: "référence à un caractère interdit en XML",
    expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION: "section CDATA non refermée",
    expat_errors.XML_ERROR_MISPLACED_XML_PI: "déclaration XML ailleurs qu'au tout début du fichier",
    expat_errors.XML_ERROR_XML_DECL: "déclaration XML mal formée",
    expat_errors.XML_ERROR_INCORRECT_ENCODING: "l'encodage déclaré ne correspond pas au contenu",
    expat_errors.XML_ERROR_UNKNOWN_ENCODING: "encodage inconnu",
    expat_errors.XML_ERROR_UNBOUND_PREFIX: "préfixe d'espace de noms non déclaré",
}


class EcomptesExportError(ValueError):
    """A plan that cannot be written for eComptes (the message is French, for users)."""


# == reading ===============================================================================

def read_ecomptes(
    data: bytes,
    source: str | None = None,
    *,
    slug: str | None = None,
    base: dict | None = None,
    notices: list[str] | None = None,
) -> dict:
    """The validated, normalised plan of an eComptes PST export, or PlanFileError listing every
    problem in French with the path of its XML element. ``base``: the plan already in the
    database, whose fields eComptes does not carry are kept (see the module's docstring).
    ``notices`` receives, in French, each value kept otherwise than the file writes it (a taux of
    33.5 kept as 34 %): never changed in silence."""
    problem = size_problem(len(data), exact=True)  # before any parsing
    if problem:
        raise PlanFileError([problem], source)
    root = _parse(bytes(data) if isinstance(data, (bytearray, memoryview)) else data, source)
    reader = _Reader(base)
    raw = reader.plan(root, slug)
    if reader.errors:
        raise PlanFileError(reader.errors, source)
    plan = plain_numbers(validate_plan(raw, source))
    if notices is not None:
        notices.extend(reader.notices)
    return plan


def _parse(data: bytes | str, source: str | None) -> ET.Element:
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:  # a DOCTYPE, an entity declaration, an external reference
        raise PlanFileError([f"{UNSAFE_XML}."], source) from None
    except ET.ParseError as exc:
        line, column = exc.position or (1, 0)
        reason = EXPAT_MESSAGES.get(expat_errors.messages.get(exc.code, ""), "XML mal formé")
        raise PlanFileError([
            f"le fichier n'est pas un XML bien formé (ligne {line}, colonne {column + 1}) : {reason}."
        ], source) from None
    except LookupError as exc:  # an encoding Python does not know, declared in <?xml … ?>
        raise PlanFileError([f"le fichier XML déclare un encodage inconnu ({_shown(str(exc))})."],
                            source) from None
    except (ValueError, UnicodeError):
        raise PlanFileError(["le fichier n'est pas un XML lisible."], source) from None


def _child(element: ET.Element | None, tag: str) -> ET.Element | None:
    return None if element is None else element.find(tag)


def _items(element: ET.Element, container: str, tag: str, path: str) -> Iterator[tuple[str, ET.Element]]:
    """(path, element) of each ``container/tag`` below ``element``, numbered like XPath."""
    holder = element.find(container)
    if holder is None:
        return
    for index, item in enumerate(holder.findall(tag), 1):
        yield f"{path}/{container}/{tag}[{index}]", item


def _raw_text(element: ET.Element | None) -> str | None:
    return None if element is None else "".join(element.itertext())


def _text(element: ET.Element | None) -> str | None:
    """The element's text without surrounding blanks; None when absent or empty."""
    text = _raw_text(element)
    text = _clean(text)
    return text or None


def _clean(text: str | None) -> str:
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub("[\x00-\x08\x0b-\x1f\x7f]", "", text).strip()


def _shown(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_code(libelle: str, prefix: str) -> tuple[str | None, str]:
    """("1.2", "Titre") for ``prefix`` "OO." and "OO.1.2 - Titre": the code is what lies between
    the prefix and the first " - "; (None, libelle) when the Libelle has no such prefix."""
    if libelle.startswith(prefix):
        code, separator, rest = libelle[len(prefix):].partition(" - ")
        if separator and code and not any(c.isspace() for c in code):
            return code, rest.strip()
    return None, libelle


class _Reader:
    """Builds the raw plan (the shape ``validate_plan`` takes) from the XML tree, collecting
    every problem with the path of its element."""

    def __init__(self, base: dict | None) -> None:
        self.errors: list[str] = []
        self.notices: list[str] = []  # values kept otherwise than written (rounded)
        self.base = base
        self.base_os: dict[str, dict] = {}
        self.base_oo: dict[tuple[str, str], dict] = {}
        self.base_actions: dict[str, dict] = {}
        for os_ in (base or {}).get("strategic_objectives") or []:
            self.base_os.setdefault(os_.get("code"), os_)
            for oo in os_.get("operational_objectives") or []:
                self.base_oo.setdefault((os_.get("code"), oo.get("code")), oo)
                for action in oo.get("actions") or []:
                    self.base_actions.setdefault(action.get("code"), action)
        self.os_count = 0

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"élément {path} : {message}")

    def rounded(self, element: ET.Element, path: str, what: str, value: Decimal, kept: Decimal, shown: str) -> None:
        if kept != value:
            self.notices.append(f"élément {path} : {what} {_shown(_text(element) or '', 30)} arrondi à {shown}.")

    # -- the document ------------------------------------------------------------------
    def plan(self, root: ET.Element, slug: str | None) -> dict:
        if root.tag != "dataroot":
            self.errors.append(f"l'élément racine est <{_shown(root.tag, 40)}> ; un export PST eComptes "
                               "commence par <dataroot>.")
            return {}
        ids = root.find("Identifiants")
        if ids is None:
            self.error(ROOT, "l'élément Identifiants manque : ce n'est pas un export eComptes.")
            return {}
        ids_path = f"{ROOT}/Identifiants"
        kind = _text(ids.find("Type"))
        if kind != "PST":
            self.error(f"{ids_path}/Type", f"type « {_shown(kind or '')} » : seul un export de type PST "
                                           "peut être importé.")
        version = _text(ids.find("Version"))
        if version != VERSION:
            self.error(f"{ids_path}/Version", f"version « {_shown(version or '')} » non prise en charge : "
                                              f"seule la version {VERSION} du format eComptes est lue.")
        if self.errors:
            return {}
        admin = _text(ids.find("TypeAdmin"))
        if admin is not None and admin not in ("CPAS", "AC"):
            self.error(f"{ids_path}/TypeAdmin", f"type d'administration « {_shown(admin)} » inconnu "
                                                "(attendu : CPAS ou AC).")
        ins = _text(ids.find("INS"))
        if ins is None:
            self.error(f"{ids_path}/INS", "le code INS manque.")
        elif not INS_PATTERN.match(ins):
            self.error(f"{ids_path}/INS", f"code INS « {_shown(ins, 20)} » invalide : cinq chiffres sont "
                                          "attendus (ex. 52011).")
            ins = None
        exercice = self.year(ids.find("Exercice"), f"{ids_path}/Exercice")

        pst = root.find("PST")
        if pst is None:
            self.error(ROOT, "l'élément PST manque.")
            return {}
        description = pst.find("DescriptionPST")
        desc_path = f"{ROOT}/PST/DescriptionPST"
        title = _text(_child(description, "Libelle"))
        if title is None:
            self.error(f"{desc_path}/Libelle", "le libellé du PST manque.")
        start = self.year(_child(description, "ExerciceDebut"), f"{desc_path}/ExerciceDebut")
        end = self.year(_child(description, "ExerciceFin"), f"{desc_path}/ExerciceFin")
        period = None
        if start is not None or end is not None or exercice is not None:
            period = {"start": start if start is not None else exercice,
                      "end": end if end is not None else exercice}

        base = self.base or {}
        plan: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "slug": slug or base.get("slug") or f"ecomptes-{ins}",
            "organisation": base.get("organisation") or f"CPAS (code INS {ins})",
            "ins_code": ins,
            "title": title,
            "period": period,
            "source": base.get("source"),
            "document": base.get("document"),
            "priority_scale": list(base.get("priority_scale") or []),
            "evaluation_bands": base.get("evaluation_bands"),
            "stated_totals": dict(base.get("stated_totals") or {}),
            "notes": list(base.get("notes") or []),
            "strategic_objectives": [],
        }
        volets = list(_items(pst, "Volets", "Volet", f"{ROOT}/PST"))
        for path, volet in volets:
            axis = None if volet.get("ElementId") == NO_AXIS_ID else _text(volet.find("Libelle"))
            for os_path, os_element in _items(volet, "ObjectifStrategiques", "ObjectifStrategique", path):
                plan["strategic_objectives"].append(self.strategic(os_element, os_path, axis))
        return plan

    # -- the tree ----------------------------------------------------------------------
    def strategic(self, element: ET.Element, path: str, axis: str | None) -> dict:
        # Statut, taux, dates, people, budget of a Volet, OS or OO are not read: our objectives
        # have none (their progress is their actions'); their Plans go to the actions below.
        self.os_count += 1
        code, title = split_code(self.libelle(element, path), "OS.")
        code = code or str(self.os_count)
        base = self.base_os.get(code) or {}
        labels = self.plans(element)
        os_ = {
            "code": code,
            "title": self.keep_title(title, base),
            "axis": axis,
            "description": self.description(element.find("Description")),
            "stated_totals": dict(base.get("stated_totals") or {}),
            "operational_objectives": [],
        }
        items = _items(element, "ObjectifsOperationnels", "ObjectifOperationnel", path)
        for position, (oo_path, oo_element) in enumerate(items, 1):
            os_["operational_objectives"].append(
                self.operational(oo_element, oo_path, code, position, labels)
            )
        return os_

    def operational(self, element: ET.Element, path: str, os_code: str, position: int,
                    inherited: list[str]) -> dict:
        code, title = split_code(self.libelle(element, path), "OO.")
        code = code or f"{os_code}.{position}"
        base = self.base_oo.get((os_code, code)) or {}
        labels = inherited + self.plans(element)
        oo = {
            "code": code,
            "title": self.keep_title(title, base),
            "description": self.description(element.find("Description")),
            "indicators": list(base.get("indicators") or []),
            "actions": [],
        }
        subs = []
        count = 0
        for action_path, action_element in _items(element, "Actions", "Action", path):
            libelle = self.libelle(action_element, action_path)
            action_code, rest = split_code(libelle, "A.")
            if action_code is not None:
                sub_code, sub_title = split_code(rest, "SA.")
                if sub_code is not None:
                    subs.append((action_path, action_element, action_code, sub_code, sub_title))
                    continue
            count += 1
            if action_code is None:
                action_code = f"{code}.{count}"
            oo["actions"].append(self.action(action_element, action_path, action_code, rest, labels))
        # sub-actions are attached once every action of the OO is known: eComptes keeps them
        # after their action, but nothing in the format says it must
        by_code: dict[str, dict] = {}
        for action in oo["actions"]:
            by_code.setdefault(action["code"], action)
        for sub_path, sub_element, action_code, sub_code, sub_title in subs:
            parent = by_code.get(action_code)
            if parent is None:
                known = ", ".join(f"A.{c}" for c in by_code) or "aucune"
                self.error(f"{sub_path}/Libelle",
                           f"la sous-action SA.{sub_code} se rattache à l'action A.{action_code}, qui "
                           f"n'existe pas dans cet objectif opérationnel (OO.{code} ; actions : {known}).")
                continue
            parent["sub_actions"].append(self.sub_action(sub_element, sub_path, parent, sub_code, sub_title))
        for action in oo["actions"]:
            self.finish_action(action)
        return oo

    def action(self, element: ET.Element, path: str, code: str, title: str, inherited: list[str]) -> dict:
        base = self.base_actions.get(code) or {}
        start = self.date(element.find("DateDebut"), f"{path}/DateDebut")
        end = self.date(element.find("DateFin"), f"{path}/DateFin")
        statut = self.status(element.find("Statut"), f"{path}/Statut")
        progress = self.progress(element.find("TauxAvancement"), f"{path}/TauxAvancement")
        staff_fte = self.staff(element.find("ETP"), f"{path}/ETP")
        lead = self.person(element.find("Responsable"))
        action: dict[str, Any] = {
            "code": code,
            "title": self.keep_title(title, base),
            "description": self.description(element.find("Description")),
            # what eComptes does not carry, from base
            "priority": base.get("priority"),
            "services": list(base.get("services") or []),
            "indicators": [dict(i) for i in base.get("indicators") or []],
            "staff_text": base.get("staff_text"),
            "risks": list(base.get("risks") or []),
            "deliverables": base.get("deliverables"),
            "context": base.get("context"),
            "evaluation": base.get("evaluation"),
            "weight": base.get("weight", 1),
            # what it carries
            "labels": [],
            "partners": self.strings(element, "Partenaires", "Partenaire"),
            "project_lead": lead if lead is not None else base.get("project_lead"),
            "department": _text(element.find("Departement")),
            "start": self.keep_date(start, base.get("start"), "start"),
            "end": self.keep_date(end, base.get("end"), "end"),
            "status": self.keep_status(statut, base),
            "progress": self.keep_zero(progress, base, "progress"),
            "budget": None,
            "budget_text": None,
            "staff_fte": self.keep_zero(staff_fte, base, "staff_fte"),
            "comment": self.description(element.find("RemarqueStatut")),
            "sub_actions": [],
            # gathered from the action and its sub-actions, turned into fields by finish_action
            "_labels": inherited + self.plans(element),
            "_articles": self.articles(element, path),
            "_base": base,
        }
        return action

    def sub_action(self, element: ET.Element, path: str, parent: dict, code: str, title: str) -> dict:
        # a sub-action row's Statut, taux, dates, people and ETP are its action's (that is how
        # we write them) and are not read; its Plans, Partenaires and Articles go to its action
        # so that nothing eComptes holds about money is lost.
        base = next((s for s in parent["_base"].get("sub_actions") or [] if s.get("code") == code), {})
        parent["_labels"] += self.plans(element)
        parent["partners"] += self.strings(element, "Partenaires", "Partenaire")
        parent["_articles"] += self.articles(element, path)
        description = self.description(element.find("Description"))
        evaluation = self.description(element.find("RemarqueStatut"))
        return {
            "code": code,
            "title": self.keep_title(title, base),
            "description": description if description is not None else base.get("description"),
            "evaluation": evaluation if evaluation is not None else base.get("evaluation"),
        }

    def finish_action(self, action: dict) -> None:
        base = action.pop("_base")
        action["labels"] = list(dict.fromkeys(action.pop("_labels")))  # deduplicated, in order
        articles = action.pop("_articles")
        if articles:
            total = sum((amount for amount, _ in articles), Decimal(0))
            action["budget"] = total.quantize(CENTS, rounding=ROUND_HALF_UP)
            action["budget_text"] = "\n".join(line for _, line in articles)
        else:  # no Article: the budget is not eComptes' to say
            action["budget"] = base.get("budget")
            action["budget_text"] = base.get("budget_text")

    # -- values ------------------------------------------------------------------------
    def libelle(self, element: ET.Element, path: str) -> str:
        text = _text(element.find("Libelle"))
        if text is None:
            self.error(f"{path}/Libelle", "libellé manquant ou vide.")
            return ""
        return text

    @staticmethod
    def keep_title(title: str, base: dict) -> str:
        """The base's title when the XML's is that title cut at the Libelle's length."""
        known = base.get("title")
        if known and title.endswith("…") and len(known) >= len(title) and \
                known.startswith(title[:-1].rstrip()):
            return known
        return title

    def description(self, element: ET.Element | None) -> str | None:
        """Description or RemarqueStatut (Mode + Valeur) as plain text; None when empty."""
        if element is None:
            return None
        mode = (_text(element.find("Mode")) or "TEXTE").upper()
        value = _raw_text(element.find("Valeur")) or ""
        if mode == "HTML":
            value = html_to_text(value)
        elif mode == "RTF":
            value = rtf_to_text(value)
        return _clean(value) or None

    def plans(self, element: ET.Element) -> list[str]:
        return self.strings(element, "Plans", "Plan")

    @staticmethod
    def strings(element: ET.Element, container: str, tag: str) -> list[str]:
        holder = element.find(container)
        if holder is None:
            return []
        return [text for item in holder.findall(tag) if (text := _text(item)) is not None]

    def person(self, element: ET.Element | None) -> str | None:
        # the civilité, phone and e-mail have no place in our plan
        if element is None:
            return None
        name = " ".join(t for t in (_text(element.find("Prenom")), _text(element.find("Nom"))) if t)
        return name or None

    def decimal(self, element: ET.Element | None, path: str, what: str) -> Decimal | None:
        text = _text(element)
        if text is None:
            return None
        match = DECIMAL_PATTERN.match(text)
        if not match:
            self.error(path, f"{what} « {_shown(text, 30)} » n'est pas un nombre (ex. 12.5).")
            return None
        return Decimal(match[1])

    def year(self, element: ET.Element | None, path: str) -> int | None:
        text = _text(element)
        if text is None:
            return None
        if not re.fullmatch(r"[0-9]{4}", text) or not YEAR_MIN <= int(text) <= YEAR_MAX:
            self.error(path, f"exercice « {_shown(text, 20)} » invalide : une année est attendue (ex. 2025).")
            return None
        return int(text)

    def date(self, element: ET.Element | None, path: str) -> dt.date | None:
        text = _text(element)
        if text is None:
            return None
        match = DATE_PATTERN.match(text)
        try:
            if not match:
                raise ValueError
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.error(path, f"date « {_shown(text, 30)} » invalide (format attendu : AAAA-MM-JJ).")
            return None
        if not YEAR_MIN <= day.year <= YEAR_MAX:
            self.error(path, f"date « {_shown(text, 30)} » hors de la période permise ({YEAR_MIN}–{YEAR_MAX}).")
            return None
        return day

    @staticmethod
    def keep_date(day: dt.date | None, known: str | None, role: str) -> str | None:
        """The date as "dd/mm/yyyy", or the base's wording when it stands for that same date
        (or stands for no date and the XML has none)."""
        if known:
            known_day = parse_source_date(known, role)
            if known_day == day:
                return known
        return None if day is None else f"{day.day:02d}/{day.month:02d}/{day.year:04d}"

    def status(self, element: ET.Element | None, path: str) -> str | None:
        text = _text(element)
        if text is None:
            return None
        if text not in STATUS_FROM_ECOMPTES:
            self.error(path, f"statut « {_shown(text, 30)} » inconnu ; valeurs eComptes permises : "
                             f"{', '.join(STATUS_FROM_ECOMPTES)}.")
            return None
        return text

    @staticmethod
    def keep_zero(value: Any, base: dict, key: str) -> Any:
        """None when the XML says 0 and the base has no value: 0 is what we write for none."""
        if base and value == 0 and base.get(key) is None:
            return None
        return value

    @staticmethod
    def keep_status(statut: str | None, base: dict) -> str | None:
        if statut is None:
            return base.get("status")
        known = base.get("status")
        if base and (STATUS_FROM_ECOMPTES[statut] == known or STATUS_TO_ECOMPTES.get(known) == statut):
            return known  # the same status for eComptes: ours is the finer word (or none)
        return STATUS_FROM_ECOMPTES[statut]

    def progress(self, element: ET.Element | None, path: str) -> int | None:
        value = self.decimal(element, path, "taux d'avancement")
        if value is None:
            return None
        if not 0 <= value <= 100:
            self.error(path, f"taux d'avancement {_shown(_text(element) or '', 30)} hors limites : il doit "
                             "être entre 0 et 100.")
            return None
        kept = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        self.rounded(element, path, "taux d'avancement", value, kept, f"{kept} % (les taux sont entiers)")
        return int(kept)

    def staff(self, element: ET.Element | None, path: str) -> Decimal | None:
        value = self.decimal(element, path, "ETP")
        if value is None:
            return None
        if value < 0:
            self.error(path, f"ETP {_text(element)} négatif : un nombre positif est attendu.")
            return None
        if value > STAFF_FTE_MAX:
            self.error(path, f"ETP {_shown(_text(element) or '', 30)} trop grand (maximum "
                             f"{format_number(STAFF_FTE_MAX)}).")
            return None
        # our column holds two decimals: 0.333 ETP is kept as 0.33
        kept = value.quantize(CENTS, rounding=ROUND_HALF_UP)
        self.rounded(element, path, "ETP", value, kept, f"{format_number(kept)} (deux décimales)")
        return kept

    def articles(self, element: ET.Element, path: str) -> list[tuple[Decimal, str]]:
        """(amount, line of budget_text) for each budget Article. Projections (multi-year
        estimates by economic group) and the Mandataire are not read: our plan has no place
        for them."""
        out = []
        for article_path, article in _items(element, "Articles", "Article", path):
            amount = self.decimal(article.find("Montant"), f"{article_path}/Montant", "montant")
            if amount is None:
                if _text(article.find("Montant")) is None:
                    self.error(f"{article_path}/Montant", "montant manquant.")
                continue
            if abs(amount) > BUDGET_MAX:
                self.error(f"{article_path}/Montant", f"montant {_shown(_text(article.find('Montant')) or '', 30)} "
                                                      f"trop grand (maximum {format_number(BUDGET_MAX)}).")
                continue
            self.rounded(article.find("Montant"), f"{article_path}/Montant", "montant", amount,
                         amount.quantize(CENTS, rounding=ROUND_HALF_UP), f"{format_euros(amount)} (au cent)")
            parts = []
            year = _text(article.find("Exercice"))
            if year:
                parts.append(year)
            service = _text(article.find("Service"))
            if service not in SERVICES:
                self.error(f"{article_path}/Service", f"service « {_shown(service or '')} » inconnu "
                                                      "(attendu : O ordinaire ou E extraordinaire).")
                continue
            kind = _text(article.find("Type"))
            if kind not in ARTICLE_TYPES:
                self.error(f"{article_path}/Type", f"type « {_shown(kind or '')} » inconnu "
                                                   "(attendu : D dépense ou R recette).")
                continue
            parts += [f"service {SERVICES[service]}", ARTICLE_TYPES[kind]]
            number = _text(article.find("CodeArticle"))
            if number:
                parts.append(f"article {number}")
            label = _text(article.find("Libelle"))
            if label:
                parts.append(label)
            out.append((amount, f"{' · '.join(parts)} : {format_euros(amount)}"))
        return out


def format_number(amount: Decimal) -> str:
    """Decimal("1234.5") -> "1 234,50" (a narrow no-break space between thousands, as Babel's
    fr_BE writes them in the app; always two decimals)."""
    amount = amount.quantize(CENTS, rounding=ROUND_HALF_UP)
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    return f"{'-' if amount < 0 else ''}{grouped},{cents}"


def format_euros(amount: Decimal) -> str:
    """Decimal("1234.5") -> "1 234,50 €" (and a no-break space before €)."""
    return f"{format_number(amount)}\u00a0€"


# -- rich text to plain text ---------------------------------------------------------------

class _HtmlText(HTMLParser):
    """HTML -> text: block elements and <br> become line breaks (a paragraph: a blank line),
    list items start with "- ", entities are decoded, every tag and script/style is dropped."""

    BLOCKS = frozenset({"div", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "pre", "section", "article", "header", "footer", "dl", "dt", "dd"})
    PARAGRAPHS = frozenset({"p"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag not in self.HIDDEN:  # <script/> hides nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in self.BLOCKS:  # not </li>: the next <li> or the list's end breaks the line
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))  # HTML's blank collapsing


def html_to_text(value: str) -> str:
    parser = _HtmlText()
    parser.feed(value)
    parser.close()
    lines = [re.sub(" +", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# RTF: a crude reading, enough for the short texts of a PST: the text is kept, control words are
# dropped, \par and \line become line breaks, \'xx (Windows-1252) and \uN are decoded, and the
# groups that hold no text (font and colour tables, styles, document info, pictures, \* groups)
# are skipped. Tables, fields and formatting are lost. A value that does not start with "{\rtf"
# is kept as it is.
_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?"  # control word (RTF bounds both)
    r"|\\'([0-9a-fA-F]{2})"  # byte in the document's code page
    r"|\\(.)"  # control symbol
    r"|([{}])"
    r"|\r\n|\r|\n"  # line breaks of the RTF source: not text
    r"|([^\\{}\r\n]+)",
    re.S,
)
_RTF_SKIPPED = frozenset({"fonttbl", "colortbl", "stylesheet", "info", "pict", "header", "footer",
                          "headerl", "headerr", "headerf", "footerl", "footerr", "footerf",
                          "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl",
                          "themedata", "colorschememapping", "latentstyles", "datastore",
                          "object", "fldinst", "filetbl", "revtbl", "pgdsctbl"})
_RTF_WORDS = {"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "cell": " ",
              "tab": "\t", "emdash": "—", "endash": "–", "lquote": "‘", "rquote": "’",
              "ldblquote": "“", "rdblquote": "”", "bullet": "•"}
_RTF_SYMBOLS = {"\\": "\\", "{": "{", "}": "}", "~": "\u00a0", "-": "", "_": "-", "\n": "\n", "\r": "\n"}


def rtf_to_text(value: str) -> str:
    if not value.lstrip().startswith("{\\rtf"):
        return value
    out: list[str] = []
    stack: list[bool] = []
    skip = False
    fallback = 0  # characters after \uN that stand in for it in readers without Unicode
    for match in _RTF_TOKEN.finditer(value):
        word, argument, byte, symbol, brace, text = match.groups()
        if brace == "{":
            stack.append(skip)
        elif brace == "}":
            skip = stack.pop() if stack else False
        elif skip:
            continue
        elif symbol == "*":
            skip = True  # {\*\destination …}: optional, never text
        elif word is not None:
            if word in _RTF_SKIPPED:
                skip = True
            elif word == "u" and argument:
                number = int(argument)
                number += 65536 if number < 0 else 0  # \u-4064 is U+F020: signed 16 bits
                out.append(chr(number) if 0 <= number <= 0x10FFFF else "\ufffd")
                fallback = 1
            elif word in _RTF_WORDS:
                out.append(_RTF_WORDS[word])
        elif byte is not None:
            if fallback:
                fallback -= 1
            else:
                out.append(bytes([int(byte, 16)]).decode("cp1252", errors="replace"))
        elif symbol is not None:
            out.append(_RTF_SYMBOLS.get(symbol, ""))
        elif text:
            if fallback:
                text, fallback = text[1:], 0
            out.append(text)
    # \uN pairs of surrogates make one character; a lone one is replaced
    joined = "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return "\n".join(line.strip() for line in joined.split("\n"))


# == writing ===============================================================================

def write_ecomptes(plan: dict, *, exercice: int, ins_code: str | None = None) -> bytes:
    """The plan as eComptes takes it in (valid under schema_import_ecomptes_201805V1.xsd): UTF-8
    XML, indented. ``ins_code`` (else the plan's) identifies the CPAS; ``exercice`` is the year
    the file is for."""
    ins = str(ins_code or plan.get("ins_code") or "").strip()
    if not ins:
        raise EcomptesExportError(
            "Le code INS du CPAS manque : indiquez-le dans le plan ou à l'export (cinq chiffres, "
            "ex. 52011 pour Charleroi) ; eComptes identifie le CPAS par ce code."
        )
    if not INS_PATTERN.match(ins):
        raise EcomptesExportError(f"Le code INS du CPAS « {_shown(ins, 20)} » est invalide : cinq chiffres "
                                  "sont attendus (ex. 52011).")
    if isinstance(exercice, bool) or not isinstance(exercice, int) or not YEAR_MIN <= exercice <= YEAR_MAX:
        raise EcomptesExportError(f"L'exercice « {exercice} » est invalide : une année est attendue (ex. 2025).")
    slug = str(plan.get("slug") or "")
    period = plan.get("period") or {}

    root = ET.Element("dataroot")
    ids = ET.SubElement(root, "Identifiants")
    _leaf(ids, "Id", slug)
    _leaf(ids, "TypeAdmin", "CPAS")
    _leaf(ids, "INS", ins)
    _leaf(ids, "Type", "PST")
    _leaf(ids, "Exercice", str(exercice))
    _leaf(ids, "Version", VERSION)
    _leaf(ids, "Generateur", GENERATOR)

    pst = ET.SubElement(root, "PST")
    description = ET.SubElement(pst, "DescriptionPST")
    _leaf(description, "IdPST", slug[:ID_PST_MAX])
    _leaf(description, "Libelle", _cut("", plan.get("title") or ""))
    _leaf(description, "ExerciceDebut", str(period.get("start") or exercice))
    _leaf(description, "ExerciceFin", str(period.get("end") or exercice))

    volets = ET.SubElement(pst, "Volets")
    groups = _volets(plan.get("strategic_objectives") or [])
    if not groups:
        groups = [(None, [])]  # the schema wants at least one Volet
    for number, (axis, objectives) in enumerate(groups, 1):
        actions = [a for os_ in objectives for oo in os_.get("operational_objectives") or []
                   for a in oo.get("actions") or []]
        volet = _element(
            volets, "Volet", exercice,
            element_id=NO_AXIS_ID if axis is None else f"VOLET.{number}",
            libelle=_cut("", axis if axis is not None else NO_AXIS_LABEL),
            statut=_rolled_up_status(actions), taux=_rolled_up_taux(actions),
        )
        holder = ET.SubElement(volet, "ObjectifStrategiques")
        for os_ in objectives:
            _write_strategic(holder, os_, exercice)

    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def _volets(objectives: list[dict]) -> list[tuple[str | None, list[dict]]]:
    """Consecutive OS with the same axis, grouped: one Volet each."""
    groups: list[tuple[str | None, list[dict]]] = []
    for os_ in objectives:
        axis = os_.get("axis") or None
        if groups and groups[-1][0] == axis:
            groups[-1][1].append(os_)
        else:
            groups.append((axis, [os_]))
    return groups


def _write_strategic(holder: ET.Element, os_: dict, exercice: int) -> None:
    code = os_.get("code")
    objectives = os_.get("operational_objectives") or []
    element = _element(
        holder, "ObjectifStrategique", exercice,
        element_id=f"OS.{code}", libelle=_cut(f"OS.{code} - ", os_.get("title") or ""),
        description=os_.get("description"),
        statut=_rolled_up_status([a for oo in objectives for a in oo.get("actions") or []]),
        taux=_rolled_up_taux([a for oo in objectives for a in oo.get("actions") or []]),
    )
    oo_holder = ET.SubElement(element, "ObjectifsOperationnels")
    for oo in objectives:
        actions = oo.get("actions") or []
        oo_element = _element(
            oo_holder, "ObjectifOperationnel", exercice,
            element_id=f"OO.{oo.get('code')}", libelle=_cut(f"OO.{oo.get('code')} - ", oo.get("title") or ""),
            description=oo.get("description"),
            statut=_rolled_up_status(actions), taux=_rolled_up_taux(actions),
        )
        action_holder = ET.SubElement(oo_element, "Actions")
        for action in actions:
            _write_action(action_holder, action, exercice)


def _write_action(holder: ET.Element, action: dict, exercice: int) -> None:
    code = action.get("code")
    statut = STATUS_TO_ECOMPTES.get(action.get("status"), "NON_COMMENCE")
    taux = _taux(action.get("progress"))
    _element(
        holder, "Action", exercice,
        element_id=f"A.{code}", libelle=_cut(f"A.{code} - ", action.get("title") or ""),
        start=parse_source_date(action.get("start"), "start"),
        end=parse_source_date(action.get("end"), "end"),
        description=action.get("description"), statut=statut,
        department=action.get("department"), taux=taux, remark=action.get("comment"),
        etp=action.get("staff_fte"), plans=action.get("labels") or [],
        partners=action.get("partners") or [],
    )
    # eComptes has no sub-actions: each is an Action right after its own, with its status and
    # taux; its evaluation is its status remark
    for sub in action.get("sub_actions") or []:
        sub_code = sub.get("code")
        _element(
            holder, "Action", exercice,
            element_id=f"A.{code}-SA.{sub_code}",
            libelle=_cut(f"A.{code} - SA.{sub_code} - ", sub.get("title") or ""),
            description=sub.get("description"), statut=statut, taux=taux, remark=sub.get("evaluation"),
        )


def _element(
    parent: ET.Element,
    tag: str,
    exercice: int,
    *,
    element_id: str,
    libelle: str,
    statut: str,
    taux: Decimal,
    start: dt.date | None = None,
    end: dt.date | None = None,
    description: str | None = None,
    department: str | None = None,
    remark: str | None = None,
    etp: Any = None,
    plans: Iterable[str] = (),
    partners: Iterable[str] = (),
) -> ET.Element:
    """One element of the schema's ElementBaseInfo, its children in the schema's order."""
    element = ET.SubElement(parent, tag, {"ElementId": _xml_text(element_id), "Exercice": str(exercice)})
    _leaf(element, "Libelle", libelle)
    if start is not None:
        _leaf(element, "DateDebut", start.isoformat())
    if end is not None:
        _leaf(element, "DateFin", end.isoformat())
    _rich_text(element, "Description", description)
    _leaf(element, "Statut", statut)
    # No Responsable: the schema requires a civilité (MONSIEUR/MADAME) and a first and last name
    # apart, which a project lead written "Service Juridique" or "Mme Dupont" does not give.
    # No Mandataire either: our plan has no elected official per action.
    if department:
        _leaf(element, "Departement", department)
    _leaf(element, "TauxAvancement", _number(taux))
    _rich_text(element, "RemarqueStatut", remark)
    _leaf(element, "ETP", _number(etp) if etp is not None else "0")
    holder = ET.SubElement(element, "Plans")
    for name in plans:
        _leaf(holder, "Plan", name)
    holder = ET.SubElement(element, "Partenaires")
    for name in partners:
        _leaf(holder, "Partenaire", name)
    return element


def _leaf(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _xml_text(text)
    return element


def _rich_text(parent: ET.Element, tag: str, text: str | None) -> None:
    holder = ET.SubElement(parent, tag)
    _leaf(holder, "Mode", "TEXTE")
    _leaf(holder, "Valeur", text or "")


def _xml_text(text: Any) -> str:
    """Text XML 1.0 can hold: line ends as "\\n" (a parser would turn a bare "\\r" into one
    anyway), other control characters dropped."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return NOT_XML_CHAR.sub("", text)


def _cut(prefix: str, title: str) -> str:
    """``prefix + title`` within the Libelle's 255 characters: a longer title is cut and ends
    with "…" (the end of the title is lost in eComptes; a re-import with ``base`` restores it)."""
    title = _xml_text(title)
    room = LIBELLE_MAX - len(prefix)
    if len(title) > room:
        title = title[: room - 1].rstrip() + "…"
    return prefix + title


def _number(value: Any) -> str:
    number = Decimal(str(value))
    return format(number.normalize(), "f") if number != number.to_integral_value() else str(int(number))


def _taux(progress: Any) -> Decimal:
    return Decimal(0) if progress is None else Decimal(str(progress))


def _rolled_up_taux(actions: list[dict]) -> Decimal:
    """An objective's (or Volet's) taux, as the app shows it: the one weighted mean
    (pst_data/rules/progress.py) of its actions that have a taux, rounded half up; 0 when none
    has a taux."""
    mean = weighted_mean([a.get("progress") for a in actions], [a.get("weight") for a in actions])
    return Decimal(0) if mean is None else Decimal(repr(mean)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _rolled_up_status(actions: list[dict]) -> str:
    """An objective's (or Volet's) Statut, from its actions' (our objectives have none):
    - no action: NON_COMMENCE;
    - all actions with the same eComptes status: that status;
    - all closed (finished or abandoned): TERMINE;
    - some started (in progress or finished): EN_COURS;
    - otherwise (not started, waiting or abandoned, mixed): NON_COMMENCE."""
    statuses = {STATUS_TO_ECOMPTES.get(a.get("status"), "NON_COMMENCE") for a in actions}
    if not statuses:
        return "NON_COMMENCE"
    if len(statuses) == 1:
        return statuses.pop()
    if statuses <= {"TERMINE", "ANNULE_ABANDONNE"}:
        return "TERMINE"
    if statuses & {"EN_COURS", "TERMINE"}:
        return "EN_COURS"
    return "NON_COMMENCE"
