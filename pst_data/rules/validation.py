"""What a plan's values must be, whatever brings them: a plan file, the Excel template, eComptes,
or a person editing one field (the services validate every edit with the same checker). Every
problem is said in French with its place in the tree and the field it is about; values come
back normalised (texts trimmed, amounts as Decimal, dates parsed)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from db.limits import (
    HEALTH_MAX,
    HEALTHS,
    AMOUNT_DECIMALS,
    STATUSES,
    AXIS_MAX,
    BUDGET_MAX,
    CODE_MAX,
    DATE_TEXT_MAX,
    DOCUMENT_MAX,
    LABEL_NAME_MAX,
    NAME_MAX,
    ORGANISATION_MAX,
    PRIORITY_MAX,
    SLUG_MAX,
    STAFF_FTE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    WEIGHT_MAX,
    YEAR_MAX,
    YEAR_MIN,
)
from pst_data.rules.dates import impossible_day, parse_source_date
from pst_data.rules.fields import FIELD_LABELS
from pst_data.rules.text import has_invalid_character, normalised_text, refused_character, shorten, sorted_names

FORMAT_VERSION = 1
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

DEFAULT_BANDS = [
    {"label": "Réalisé", "min": 80, "max": 100},
    {"label": "En cours", "min": 50, "max": 79},
    {"label": "À réorienter", "min": 30, "max": 49},
    {"label": "Abandonné", "min": 0, "max": 29},
]

# Known keys per level with the value a missing key takes.
PLAN_KEYS: dict[str, Any] = {
    "format": FORMAT_VERSION,
    "slug": None,
    "organisation": None,
    # the CPAS's INS code (5 digits, e.g. "52011" for Charleroi): eComptes identifies it so
    "ins_code": None,
    "title": None,
    "period": None,
    "source": None,
    "document": None,
    "priority_scale": [],
    "evaluation_bands": None,
    "stated_totals": {},
    "notes": [],
    "strategic_objectives": [],
    # Optional flat list of actions, each naming its OO with "oo" (e.g. a sheet exported from
    # Excel); they are attached to their OO and the normalised plan only has the tree.
    "actions": [],
}
OS_KEYS: dict[str, Any] = {
    "code": None,
    "title": None,
    "axis": None,
    "description": None,
    "stated_totals": {},
    "operational_objectives": [],
}
OO_KEYS: dict[str, Any] = {
    "code": None,
    "title": None,
    "description": None,
    "indicators": [],
    "actions": [],
}
ACTION_KEYS: dict[str, Any] = {
    "code": None,
    "title": None,
    "description": None,
    "priority": None,
    "labels": [],
    "services": [],
    "partners": [],
    "project_lead": None,
    "department": None,
    "start": None,
    "end": None,
    "status": None,
    "progress": None,
    "health": None,
    "health_reason": None,
    "with_commune": False,
    "indicators": [],
    "budget": None,
    "budget_text": None,
    "staff_fte": None,
    "staff_text": None,
    "risks": [],
    "deliverables": None,
    "context": None,
    "evaluation": None,
    "comment": None,
    "weight": 1,
    "sub_actions": [],
}
SUB_ACTION_KEYS: dict[str, Any] = {
    "code": None,
    "title": None,
    "description": None,
    "evaluation": None,
}
INDICATOR_KEYS: dict[str, Any] = {"label": None, "target": None, "reached": None}
# What a person may type for a taux: 0 to 100, an optional "%"; nothing else ("7,5", "1e2").
TAUX_PATTERN = re.compile(r"^\s*([0-9]{1,3})\s*%?\s*$")  # ASCII digits: int("٣") is 3
INS_PATTERN = re.compile(r"^[1-9][0-9]{4}$")  # the Belgian NIS/INS code of a commune (and its CPAS)
# An amount typed in French or English: "12 345,50", "12345.5", "1 000 €".
AMOUNT_PATTERN = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?$")


class PlanChecker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.fields: list[str] = []

    def error(self, where: str, message: str, field: str | None = None) -> None:
        self.errors.append(f"{where} : {message}" if where else message)
        if field and field not in self.fields:
            self.fields.append(field)  # the action fields in error, for forms to point at

    # -- levels -------------------------------------------------------------------------
    def plan(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.error("", "le fichier doit décrire un plan (un dictionnaire avec « slug », « title », …).")
            return {}
        plan = self.keys(data, PLAN_KEYS, "plan")
        if plan["format"] != FORMAT_VERSION:
            self.error("plan", f"format {plan['format']!r} inconnu (attendu : {FORMAT_VERSION}).")
        slug = plan["slug"]
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX:
            shown = "manquant" if slug is None else f"{slug!r} invalide"
            self.error("plan", f"identifiant du plan {shown} : minuscules, chiffres et tirets (ex. cpas-de-namur).",
                       "slug")
        plan["organisation"] = self.text(plan["organisation"], "plan", "organisation", required=True,
                                         limit=ORGANISATION_MAX)
        plan["title"] = self.text(plan["title"], "plan", "title", required=True, limit=TITLE_MAX)
        plan["ins_code"] = self.ins_code(plan["ins_code"])
        for key in ("source", "document"):
            plan[key] = self.text(plan[key], "plan", key, limit=DOCUMENT_MAX)
        plan["period"] = self.period(plan["period"])
        plan["priority_scale"] = self.string_list(plan["priority_scale"], "plan", "priority_scale",
                                                  limit=PRIORITY_MAX)
        plan["evaluation_bands"] = self.bands(plan["evaluation_bands"])
        plan["stated_totals"] = self.mapping(plan["stated_totals"], "plan", "stated_totals")
        plan["notes"] = self.string_list(plan["notes"], "plan", "notes")

        scale = set(plan["priority_scale"])
        action_codes: dict[str, str] = {}
        os_list = self.children(plan["strategic_objectives"], "plan", "strategic_objectives")
        plan["strategic_objectives"] = [
            self.strategic_objective(item, scale, action_codes) for item in os_list
        ]
        self.unique_codes(plan["strategic_objectives"], "plan", "OS")
        self.attach_flat_actions(plan, scale, action_codes)
        return plan

    def attach_flat_actions(self, plan: dict, scale: set[str], action_codes: dict[str, str]) -> None:
        flat = self.children(plan.pop("actions"), "plan", "actions")
        if not flat:
            return
        oo_by_code: dict[str, list[dict]] = {}
        for os_ in plan["strategic_objectives"]:
            for oo in os_["operational_objectives"]:
                oo_by_code.setdefault(oo["code"], []).append(oo)
        for item in flat:
            if not isinstance(item, dict):
                self.error("plan › actions", "chaque action doit être un dictionnaire.")
                continue
            item = dict(item)
            oo_code = item.pop("oo", None)
            where = f"action {item.get('code', '?')}"
            parents = oo_by_code.get(str(oo_code)) if oo_code is not None else None
            if not parents:
                known = ", ".join(oo_by_code) or "aucun"
                self.error(where, f"rattachée à l'objectif opérationnel « {oo_code} », qui n'existe "
                                  f"pas dans le plan (objectifs connus : {known}).")
                continue
            if len(parents) > 1:
                self.error(where, f"l'objectif opérationnel « {oo_code} » est ambigu : plusieurs OS en ont un.")
                continue
            action = self.action(item, f"OO {oo_code}", scale)
            code = action.get("code")
            if isinstance(code, str) and code in action_codes:
                self.error(where, f"code en double : l'action {code} existe déjà sous {action_codes[code]}.")
                continue
            if isinstance(code, str):
                action_codes[code] = f"OO {oo_code}"
            parents[0]["actions"].append(action)

    def strategic_objective(self, data: Any, scale: set[str], action_codes: dict[str, str]) -> dict:
        os_, where = self.node(data, None, OS_KEYS, "objectif stratégique", "OS")
        if where is None:
            return os_
        os_["axis"] = self.text(os_["axis"], where, "axis", limit=AXIS_MAX)
        os_["description"] = self.text(os_["description"], where, "description")
        os_["stated_totals"] = self.mapping(os_["stated_totals"], where, "stated_totals")
        oo_list = self.children(os_["operational_objectives"], where, "operational_objectives")
        os_["operational_objectives"] = [
            self.operational_objective(item, where, scale, action_codes) for item in oo_list
        ]
        self.unique_codes(os_["operational_objectives"], where, "OO")
        return os_

    def operational_objective(
        self, data: Any, parent: str, scale: set[str], action_codes: dict[str, str]
    ) -> dict:
        oo, where = self.node(data, parent, OO_KEYS, "objectif opérationnel", "OO")
        if where is None:
            return oo
        oo["description"] = self.text(oo["description"], where, "description")
        oo["indicators"] = self.string_list(oo["indicators"], where, "indicators")
        actions = self.children(oo["actions"], where, "actions")
        oo["actions"] = [self.action(item, where, scale) for item in actions]
        for action in oo["actions"]:
            code = action.get("code")
            if isinstance(code, str):
                if code in action_codes:
                    self.error(
                        f"{where} › action {code}",
                        f"code en double : l'action {code} existe déjà sous {action_codes[code]}.",
                    )
                else:
                    action_codes[code] = where
        return oo

    def action(self, data: Any, parent: str, scale: set[str]) -> dict:
        action, where = self.node(data, parent, ACTION_KEYS, "action", "action")
        if where is None:
            return action
        for key in ("project_lead", "department"):
            action[key] = self.text(action[key], where, key, limit=NAME_MAX)
        for key in ("start", "end"):
            action[key] = self.text(action[key], where, key, limit=DATE_TEXT_MAX)
        for key in ("description", "budget_text", "staff_text", "deliverables", "context",
                    "evaluation", "comment"):
            action[key] = self.text(action[key], where, key)
        for key, limit in (("labels", LABEL_NAME_MAX), ("services", NAME_MAX), ("partners", TEXT_MAX),
                           ("risks", TEXT_MAX)):
            action[key] = self.string_list(action[key], where, key, limit=limit)
        if len(set(action["labels"])) != len(action["labels"]):
            self.error(where, "un même label est cité deux fois.")
        action["labels"] = sorted_names(action["labels"])
        if action["priority"] is not None:
            action["priority"] = self.text(action["priority"], where, "priority", limit=PRIORITY_MAX)
            if action["priority"] not in scale:
                known = ", ".join(sorted(scale)) or "aucune (le plan n'a pas d'échelle)"
                self.error(where, f"priorité « {echo(action['priority'])} » inconnue ; échelle du plan : {known}.",
                           "priority")
        if action["status"] is not None and action["status"] not in STATUSES:
            self.error(
                where,
                f"statut « {echo(action['status'])} » inconnu ; statuts permis : {', '.join(STATUSES)}.",
                "status",
            )
        action["progress"] = self.progress(action["progress"], where)
        self.health(action, where)
        action["with_commune"] = self.yes_no(action["with_commune"], where, "with_commune")
        action["budget"] = self.amount(action["budget"], where, "budget", BUDGET_MAX)
        action["staff_fte"] = self.amount(action["staff_fte"], where, "staff_fte", STAFF_FTE_MAX)
        weight = self.amount(action["weight"], where, "weight", WEIGHT_MAX)
        action["weight"] = 1 if weight is None else weight
        action["indicators"] = self.indicators(action["indicators"], where)
        self.dates(action, where)
        subs = self.children(action["sub_actions"], where, "sub_actions")
        action["sub_actions"] = [self.sub_action(item, where) for item in subs]
        self.unique_codes(action["sub_actions"], where, "sous-action")
        return action

    def yes_no(self, value: Any, where: str, key: str) -> bool:
        """true/false, or what a person writes in a cell: oui/non, x, vide."""
        if value is None or value is False or value is True:
            return bool(value)
        text = str(value).strip().casefold()
        if text in ("oui", "o", "x", "1", "true", "vrai", "yes"):
            return True
        if text in ("", "non", "n", "0", "false", "faux", "no"):
            return False
        self.error(where, f"« {field_name(key)} » : oui ou non attendu (reçu « {echo(value)} »).", key)
        return False

    def health(self, action: dict, where: str) -> None:
        """Health is one of HEALTHS; anything but « Bon » says why (the Bureau asks)."""
        action["health_reason"] = self.text(action["health_reason"], where, "health_reason")
        health = action["health"] = self.text(action["health"], where, "health", limit=HEALTH_MAX)
        if health is None:
            return
        if health not in HEALTHS:
            self.error(where, f"santé « {echo(health)} » inconnue ; valeurs permises : {', '.join(HEALTHS)}.", "health")
        elif health != HEALTHS[0] and not (action["health_reason"] or "").strip():
            self.error(where, f"santé « {health} » : indiquez-en la raison (« Raison (santé) »).", "health_reason")

    def sub_action(self, data: Any, parent: str) -> dict:
        sub, where = self.node(data, parent, SUB_ACTION_KEYS, "sous-action", "sous-action", title_limit=TEXT_MAX)
        if where is None:
            return sub
        sub["description"] = self.text(sub["description"], where, "description")
        sub["evaluation"] = self.text(sub["evaluation"], where, "evaluation")
        return sub

    def node(self, data: Any, parent: str | None, known: dict[str, Any], noun: str, label: str,
             title_limit: int = TITLE_MAX) -> tuple[dict, str | None]:
        """How every level of the tree opens (OS, OO, action, sous-action): a dictionary, else
        said and an empty node of that level (``where`` None); its known keys, its code and its
        title, checked at ``where`` (« OS 1 › OO 1.1 › action 1.1.1 »). ``parent`` None: the plan."""
        if not isinstance(data, dict):
            self.error(parent or "plan", f"chaque {noun} doit être un dictionnaire.")
            return dict(known), None
        where = f"{label} {data.get('code', '?')}"
        if parent is not None:
            where = f"{parent} › {where}"
        node = self.keys(data, known, where)
        node["code"] = self.code(node["code"], where)
        node["title"] = self.text(node["title"], where, "title", required=True, limit=title_limit)
        return node, where

    # -- values -------------------------------------------------------------------------
    def keys(self, data: dict, known: dict[str, Any], where: str) -> dict[str, Any]:
        unknown = sorted(set(map(str, data)) - set(known))
        if unknown:
            self.error(where, f"{'clé inconnue' if len(unknown) == 1 else 'clés inconnues'} : {', '.join(unknown)}.")
        out = {}
        for key, empty in known.items():
            value = data.get(key)
            out[key] = (empty.copy() if isinstance(empty, (list, dict)) else empty) if value is None else value
        return out

    def code(self, value: Any, where: str) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # an unquoted code such as 1 or 1.10: the loader keeps its text ("1.10", not 1.1)
            value = getattr(value, "source", None) or str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(where, "code manquant.")
            return None
        value = value.strip()
        if len(value) > CODE_MAX:
            self.error(where, f"code trop long ({len(value)} caractères, maximum {CODE_MAX}).")
        if has_invalid_character(value):
            self.error(where, f"le code contient un caractère de contrôle ou invalide ({refused_character(value)}).")
        return value

    def text(self, value: Any, where: str, key: str, required: bool = False,
             limit: int = TEXT_MAX) -> str | None:
        name = field_name(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(where, f"« {name} » est obligatoire.", key)
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(getattr(value, "source", value))
        if not isinstance(value, str):
            self.error(where, f"« {name} » doit être un texte.", key)
            return None
        value = normalised_text(value).strip()
        if len(value) > limit:
            self.error(where, f"« {name} » est trop long ({len(value)} caractères, maximum {limit}).", key)
        refused = refused_character(value)
        if refused:
            self.error(where, f"« {name} » contient un caractère de contrôle ou invalide ({refused}), refusé.", key)
        return value

    def ins_code(self, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(getattr(value, "source", value)).strip()
        if isinstance(value, bool) or not INS_PATTERN.match(text):
            self.error("plan", f"code INS « {text[:20]} » invalide : cinq chiffres sont attendus (ex. 52011).",
                       "ins_code")
            return None
        return text

    def string_list(self, value: Any, where: str, key: str, limit: int = TEXT_MAX) -> list[str]:
        if not isinstance(value, list):
            self.error(where, f"« {field_name(key)} » doit être une liste.")
            return []
        out = []
        for item in value:
            text = self.text(item, where, key, limit=limit)
            if text is not None:
                out.append(text)
        return out

    def mapping(self, value: Any, where: str, key: str) -> dict:
        if not isinstance(value, dict):
            self.error(where, f"« {key} » doit être un dictionnaire.")
            return {}
        return value

    def children(self, value: Any, where: str, key: str) -> list:
        if not isinstance(value, list):
            self.error(where, f"« {key} » doit être une liste.")
            return []
        return value

    def unique_codes(self, items: list[dict], where: str, kind: str) -> None:
        seen: set[str] = set()
        for item in items:
            code = item.get("code")
            if code is None:
                continue
            if code in seen:
                self.error(where, f"code en double : deux {kind} portent le code {code}.")
            seen.add(code)

    def progress(self, value: Any, where: str) -> int | None:
        """A taux: an integer 0-100 (a number, or a text such as "45" or "45 %")."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        shown = getattr(value, "source", value)
        if isinstance(value, str):
            match = TAUX_PATTERN.match(value)
            value = int(match[1]) if match else None
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(
                where,
                f"taux d'avancement « {echo(shown)} » invalide : un nombre entier entre 0 et 100 est attendu.",
                "progress",
            )
            return None
        if not 0 <= value <= 100:
            self.error(where, f"taux d'avancement {value} hors limites : il doit être entre 0 et 100 %.", "progress")
            return None
        return value

    def amount(self, value: Any, where: str, key: str, maximum: Decimal) -> int | float | None:
        """A positive number with at most two decimals, up to ``maximum`` (what the column holds).
        Text is read as people write it: "12 345,50", "12345.5", "1 000 €"; not "1e20"."""
        name = field_name(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        shown = getattr(value, "source", value)
        invalid = (f"« {name} » : « {echo(shown)} » n'est pas un nombre valide "
                   f"(ex. 1234,5 ; au plus {AMOUNT_DECIMALS} décimales).")
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            self.error(where, invalid, key)
            return None
        if isinstance(value, str):
            compact = re.sub(r"[\s\u00a0\u202f]", "", value).removesuffix("€")
            match = AMOUNT_PATTERN.match(compact)
            if not match:
                self.error(where, invalid, key)
                return None
            number = Decimal(f"{match[1]}.{match[2] or 0}")
        else:
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite():
                self.error(where, invalid, key)
                return None
        if number < 0:
            self.error(where, f"« {name} » : {shown} est négatif ; un nombre positif est attendu.", key)
            return None
        if number > maximum:
            self.error(where, f"« {name} » : {shown} dépasse le maximum permis ({_plain_number(maximum)}).", key)
            return None
        if -number.normalize().as_tuple().exponent > AMOUNT_DECIMALS:
            self.error(where, f"« {name} » : {shown} a plus de {AMOUNT_DECIMALS} décimales.", key)
            return None
        return int(number) if number == number.to_integral_value() else float(number)

    def indicators(self, value: Any, where: str) -> list[dict]:
        items = self.children(value, where, "indicators")
        out = []
        for item in items:
            if isinstance(item, str):
                item = {"label": item}
            if not isinstance(item, dict):
                self.error(where, "chaque indicateur doit avoir un libellé (label), une cible et une valeur atteinte.")
                continue
            indicator = self.keys(item, INDICATOR_KEYS, f"{where} › indicateur")
            indicator["label"] = self.text(indicator["label"], where, "indicateur", required=True)
            for key in ("target", "reached"):
                indicator[key] = self.text(indicator[key], where, f"indicateur {key}", limit=500)
            out.append(indicator)
        return out

    def dates(self, action: dict, where: str) -> None:
        start = parse_source_date(action["start"], "start") if action["start"] else None
        end = parse_source_date(action["end"], "end") if action["end"] else None
        for key, day in (("start", start), ("end", end)):
            if impossible_day(action[key]):
                self.error(where, f"« {field_name(key)} » : « {action[key]} » n'est pas une date du calendrier "
                                  "(jour ou mois inexistant).", key)
                return
            if day is not None and not YEAR_MIN <= day.year <= YEAR_MAX:
                self.error(where, f"« {field_name(key)} » : « {action[key]} » est hors de la période "
                                  f"permise ({YEAR_MIN}–{YEAR_MAX}).", key)
                return
        if start and end and end < start:
            self.error(where, f"la fin ({action['end']}) précède le début ({action['start']}).", "end")

    def period(self, value: Any) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) - {"start", "end"}:
            self.error("plan", "« period » doit être {start: année, end: année}.")
            return None
        start, end = value.get("start"), value.get("end")
        for year in (start, end):
            if year is not None and (not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX):
                self.error("plan", f"année de période {year!r} invalide.")
                return None
        if start and end and end < start:
            self.error("plan", "la période se termine avant de commencer.")
        return {"start": start, "end": end}

    def bands(self, value: Any) -> list[dict]:
        if value is None:
            return [dict(b) for b in DEFAULT_BANDS]
        if not isinstance(value, list) or not value:
            self.error("plan", "« evaluation_bands » doit être une liste de bandes {label, min, max}.")
            return [dict(b) for b in DEFAULT_BANDS]
        bands = []
        for band in value:
            if (
                not isinstance(band, dict)
                or set(band) != {"label", "min", "max"}
                or not isinstance(band["label"], str)
                or not all(isinstance(band[k], int) and 0 <= band[k] <= 100 for k in ("min", "max"))
                or band["min"] > band["max"]
            ):
                self.error("plan", f"bande d'évaluation invalide : {band!r}.")
                continue
            bands.append({"label": band["label"], "min": band["min"], "max": band["max"]})
        covered = sorted(v for b in bands for v in range(b["min"], b["max"] + 1))
        if bands and covered != list(range(0, 101)):
            self.error("plan", "les bandes d'évaluation doivent couvrir 0 à 100 % sans chevauchement.")
        return sorted(bands, key=lambda b: -b["min"])


def echo(value: Any) -> str:
    """What a person typed, quoted in a message: whole when short, cut when a paste of pages
    (the message must stay readable, and small)."""
    return shorten(str(value), 40)


def field_name(key: str) -> str:
    """The French name of a field for messages: « Intitulé », « Budget (€) »…"""
    return FIELD_LABELS.get(key, key)


def _plain_number(number: Decimal) -> str:
    """999999.99 -> "999 999,99" (French, without Babel: this module stays light)."""
    whole, _, decimals = f"{number:.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    return grouped if decimals == "00" else f"{grouped},{decimals}"
