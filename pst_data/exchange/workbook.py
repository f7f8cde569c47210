"""The Excel template of a plan (openpyxl): what a CPAS fills in to bring its PST, and what every
export of a plan looks like, so export → edit in Excel or LibreOffice → import changes exactly
what was edited.

Sheets: « Lisez-moi » (how to fill it, in French), « Plan » (one field per row), « Objectifs »
(one row per OS and per OO), « Actions » (one row per action and per sub-action, the OS and OO
code and title repeated on every row), « Indicateurs » (one row per indicator of an action) and
a hidden « Listes » that the drop-down lists read.

Reading turns the workbook into a raw plan dict and validates it with the plan file's checker,
so a workbook and a YAML file get the same answer; every problem is named by its sheet, row and
column. Plain Python: no database, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from db.limits import HEALTHS, STATUSES
from pst_data.rules.dates import parse_source_date
from pst_data.exchange.plan_file import PlanFileError
from pst_data.rules.validation import DEFAULT_BANDS, PlanChecker, field_name
from pst_data.exchange.plan_yaml import MAX_PLAN_FILE_BYTES, plain_numbers, size_problem
from pst_data.rules.text import printable

# A workbook is a zip: its sheets are read whole, so what they unpack to is bounded too (a
# "zip bomb" of a few KB could otherwise unpack to gigabytes).
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 20_000  # the largest real plan has about 200 rows
LIST_SEPARATOR = "\n"  # one item per line in a cell (Alt+Entrée in Excel)
DATE_FORMAT = "DD/MM/YYYY"
EXACT_DAY = re.compile(r"^\d{2}/\d{2}/\d{4}$")  # the wording written back for a date cell
FORMULA_STARTS = ("=", "+", "-", "@")
HEADER_FILL = PatternFill("solid", fgColor="1565C0")
SUB_FILL = PatternFill("solid", fgColor="F1F5F9")

README_SHEET, PLAN_SHEET, OBJECTIVES_SHEET, ACTIONS_SHEET, INDICATORS_SHEET, LISTS_SHEET = (
    "Lisez-moi", "Plan", "Objectifs", "Actions", "Indicateurs", "Listes")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int = 18
    kind: str = "text"  # text | code | list | number | taux | date | json | bool


PLAN_ROWS = [  # (key, « Champ » shown in column A)
    ("slug", "Identifiant du plan (minuscules, chiffres, tirets)"),
    ("organisation", "Organisation"),
    ("ins_code", "Code INS"),
    ("title", "Intitulé du plan"),
    ("period_start", "Première année"),
    ("period_end", "Dernière année"),
    ("source", "Source"),
    ("document", "Document"),
    ("priority_scale", "Échelle des priorités"),
    ("evaluation_bands", "Bandes d'évaluation"),
    ("notes", "Notes"),
    ("stated_totals", "Totaux annoncés (rempli par PST Pilot)"),
]
# The labels of earlier templates, still read: a workbook filled last year imports as it is.
PLAN_ROW_ALIASES = {"Identifiant du plan (slug)": "slug", "Totaux annoncés (JSON)": "stated_totals"}
OBJECTIVE_COLUMNS = [
    Column("level", "Niveau", 9),
    Column("os_code", "Code OS", 10, "code"),
    Column("oo_code", "Code OO", 10, "code"),
    Column("title", "Intitulé", 60),
    Column("axis", "Axe / volet", 30),
    Column("description", "Description", 50),
    Column("indicators", "Indicateurs de l'OO", 40, "list"),
    Column("stated_totals", "Totaux annoncés de l'OS (rempli par PST Pilot)", 20, "json"),
]
COLUMN_ALIASES = {"Totaux annoncés de l'OS (rempli par PST Pilot)": ("Totaux annoncés de l'OS (JSON)",)}
ACTION_COLUMNS = [
    Column("os_code", "Code OS", 10, "code"),
    Column("os_title", "Objectif stratégique", 30),
    Column("oo_code", "Code OO", 10, "code"),
    Column("oo_title", "Objectif opérationnel", 30),
    Column("code", "Code action", 12, "code"),
    Column("sub_code", "Code sous-action", 12, "code"),
    Column("title", "Intitulé", 60),
    Column("description", "Description", 50),
    Column("priority", "Priorité", 14),
    Column("labels", "Labels", 22, "list"),
    Column("services", "Services impliqués", 22, "list"),
    Column("partners", "Partenaires", 22, "list"),
    Column("project_lead", "Chef de projet", 20),
    Column("department", "Département", 20),
    Column("start", "Début", 13, "date"),
    Column("end", "Fin", 13, "date"),
    Column("status", "Statut", 14),
    Column("progress", "Taux d'avancement (%)", 12, "taux"),
    Column("health", "Santé", 14),
    Column("health_reason", "Raison (santé)", 30),
    Column("with_commune", "Synergie Ville–CPAS", 12, "bool"),
    Column("budget", "Budget (€)", 14, "number"),
    Column("budget_text", "Budget (texte)", 24),
    Column("staff_fte", "ETP", 8, "number"),
    Column("staff_text", "Ressources humaines (texte)", 24),
    Column("risks", "Risques", 24, "list"),
    Column("deliverables", "Livrables", 24),
    Column("context", "Contexte", 24),
    Column("evaluation", "Évaluation", 24),
    Column("comment", "Commentaire", 30),
    Column("weight", "Poids", 8, "number"),
]
INDICATOR_COLUMNS = [
    Column("action_code", "Code action", 12, "code"),
    Column("label", "Indicateur", 50),
    Column("target", "Cible", 20),
    Column("reached", "Atteint", 20),
]
# What a sub-action row may fill; every other action column stays empty on it.
SUB_ACTION_FIELDS = {"os_code", "os_title", "oo_code", "oo_title", "code", "sub_code", "title",
                     "description", "evaluation"}
REQUIRED_ACTION_COLUMNS = ("os_code", "oo_code", "code", "title")

README_LINES = [
    "PST Pilot — modèle Excel d'un Programme Stratégique Transversal",
    "",
    "Ce classeur décrit un plan entier. Remplissez-le (ou modifiez un export), puis importez-le : "
    "PST Pilot montre d'abord ce qui sera créé, modifié et supprimé, et n'écrit rien avant votre "
    "confirmation.",
    "",
    "Feuille « Plan » : une information par ligne (colonne B). L'identifiant du plan est fait de "
    "minuscules, chiffres et tirets (ex. cpas-de-namur). L'échelle des priorités et les notes : "
    "un élément par ligne dans la cellule (Alt+Entrée). Bandes d'évaluation : une bande par ligne, "
    "« Réalisé : 80-100 ».",
    "Feuille « Objectifs » : une ligne par objectif stratégique (Niveau OS) et par objectif "
    "opérationnel (Niveau OO, avec le code de son OS). C'est ici qu'on renomme un objectif.",
    "Feuille « Actions » : une ligne par action, avec le code de son OS et de son OO. Les "
    "intitulés d'OS et d'OO y sont repris pour la lecture : laissez-les tels quels ou videz-les ; "
    "un OO absent de la feuille « Objectifs » est créé avec l'intitulé écrit ici.",
    "Une sous-action est une ligne avec le code de son action (colonne « Code action ») et son "
    "propre code (colonne « Code sous-action ») ; elle n'a qu'un intitulé, une description et une "
    "évaluation. Placez-la sous son action.",
    "Feuille « Indicateurs » : une ligne par indicateur d'une action (code de l'action, "
    "indicateur, cible, valeur atteinte).",
    "",
    "Codes : toujours du texte (1.10 reste 1.10). Un code d'action est unique dans tout le plan.",
    f"Statut : une valeur de la liste ({', '.join(STATUSES)}) ou vide.",
    "Priorité : une valeur de l'échelle du plan ou vide.",
    "Taux d'avancement : un nombre entier de 0 à 100, ou vide (« sans taux »).",
    "Synergie Ville–CPAS : « Oui » pour une action menée avec la commune (ou partagée avec elle), sinon vide.",
    f"Santé : une valeur de la liste ({', '.join(HEALTHS)}) ou vide ; sauf « {HEALTHS[0]} », "
    "dites-en la raison dans « Raison (santé) ».",
    "Budget (€) et ETP : des nombres positifs, deux décimales au plus. Poids : 0 à 1 000 (1 par défaut).",
    "Début et Fin : une date (JJ/MM/AAAA) ou un texte (« 2024 », « 2e semestre 2025 »).",
    "Labels, services, partenaires, risques : un élément par ligne dans la cellule (Alt+Entrée).",
    "",
    "Une ligne ou une action absente du classeur est supprimée à l'import : l'aperçu la montre et "
    "demande une confirmation. Les formules ne sont pas acceptées : saisissez les valeurs.",
    "Les colonnes peuvent être déplacées, pas renommées ; n'ajoutez pas de colonne.",
]


# -- writing ----------------------------------------------------------------------------------

def plan_workbook(plan: dict[str, Any]) -> bytes:
    """The workbook of a normalised plan (``export_plan`` or ``load_plan_file``)."""
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    for line in README_LINES:
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 140
    for (cell,) in readme.iter_rows(min_row=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    _plan_sheet(wb, plan)
    objectives, actions, indicators = [], [], []
    for os_ in plan["strategic_objectives"]:
        objectives.append({"level": "OS", "os_code": os_["code"], "title": os_["title"], "axis": os_["axis"],
                           "description": os_["description"], "stated_totals": os_["stated_totals"] or None})
        for oo in os_["operational_objectives"]:
            objectives.append({"level": "OO", "os_code": os_["code"], "oo_code": oo["code"], "title": oo["title"],
                               "description": oo["description"], "indicators": oo["indicators"]})
            place = {"os_code": os_["code"], "os_title": os_["title"], "oo_code": oo["code"],
                     "oo_title": oo["title"]}
            for action in oo["actions"]:
                actions.append({**place, **{c.key: action.get(c.key) for c in ACTION_COLUMNS[4:]}})
                for sub in action["sub_actions"]:
                    actions.append({**place, "code": action["code"], "sub_code": sub["code"],
                                    "title": sub["title"], "description": sub["description"],
                                    "evaluation": sub["evaluation"]})
                indicators.extend({"action_code": action["code"], **i} for i in action["indicators"])
    _table(wb, OBJECTIVES_SHEET, OBJECTIVE_COLUMNS, objectives)
    ws = _table(wb, ACTIONS_SHEET, ACTION_COLUMNS, actions)
    for row, values in enumerate(actions, start=2):
        if values.get("sub_code"):  # a sub-action's row, lightly shaded under its action
            for index in range(1, len(ACTION_COLUMNS) + 1):
                ws.cell(row, index).fill = SUB_FILL
    _table(wb, INDICATORS_SHEET, INDICATOR_COLUMNS, indicators)
    _validations(wb, ws, plan, len(actions))
    wb.active = 0
    wb.properties.title = f"{plan.get('organisation') or ''} — {plan.get('title') or ''}".strip(" —")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_workbook() -> bytes:
    """An empty template: the sheets, headers, lists and help, no plan."""
    return plan_workbook({"slug": None, "organisation": None, "ins_code": None, "title": None, "period": None,
                          "source": None, "document": None, "priority_scale": [],
                          "evaluation_bands": DEFAULT_BANDS, "notes": [], "stated_totals": {},
                          "strategic_objectives": []})


def _plan_sheet(wb: Workbook, plan: dict[str, Any]) -> None:
    ws = wb.create_sheet(PLAN_SHEET)
    ws.append(["Champ", "Valeur"])
    period = plan.get("period") or {}
    values = {
        **plan,
        "period_start": period.get("start"),
        "period_end": period.get("end"),
        "priority_scale": LIST_SEPARATOR.join(plan.get("priority_scale") or []) or None,
        "evaluation_bands": LIST_SEPARATOR.join(f"{b['label']} : {b['min']}-{b['max']}"
                                                for b in plan.get("evaluation_bands") or DEFAULT_BANDS),
        "notes": LIST_SEPARATOR.join(plan.get("notes") or []) or None,
        "stated_totals": _json_text(plan.get("stated_totals")),
    }
    for row, (key, label) in enumerate(PLAN_ROWS, start=2):
        ws.cell(row, 1).value = label
        _put(ws.cell(row, 2), values.get(key), "code" if key in ("slug", "ins_code") else "text")
    _header(ws, 2)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90


def _table(wb: Workbook, title: str, columns: list[Column], rows: list[dict[str, Any]]):
    ws = wb.create_sheet(title)
    ws.append([c.header for c in columns])
    for row, values in enumerate(rows, start=2):  # (ws.max_row would scan the sheet each time)
        for index, column in enumerate(columns, start=1):
            _put(ws.cell(row, index), values.get(column.key), column.kind)
    _header(ws, len(columns))
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
        if column.kind == "code":  # new codes typed in Excel stay text: 1.10 is not 1.1
            for row in range(2, max(len(rows), 1) + 200):
                ws.cell(row, index).number_format = "@"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    return ws


def _header(ws, width: int) -> None:
    for cell in ws[1][:width]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 32


def _put(cell, value: Any, kind: str) -> None:
    if value is None or value is False or value == [] or value == "":
        return
    if kind == "bool":
        value = "Oui"
    if kind == "list":
        value = LIST_SEPARATOR.join(value)
    elif kind == "json":
        value = _json_text(value)
    elif kind == "date" and isinstance(value, str) and EXACT_DAY.match(value):
        day = parse_source_date(value, "start")
        if day is not None and day.strftime("%d/%m/%Y") == value:
            cell.value = dt.datetime(day.year, day.month, day.day)
            cell.number_format = DATE_FORMAT
            return
    if isinstance(value, str):
        # openpyxl refuses the control characters XML cannot hold: the text rule refuses them
        # at entry, and what was saved before it is cleaned here, not the whole export lost
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", printable(value))
        cell.data_type = "s"  # "=SOMME(…)" or "-3 %" stays text, never a formula
        if kind == "code":
            cell.number_format = "@"
        if "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return
    cell.value = value
    if kind == "number":
        cell.number_format = "#,##0.00" if isinstance(value, float) and not value.is_integer() else "#,##0"


def _json_text(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False, sort_keys=False) if value else None


def _validations(wb: Workbook, ws, plan: dict[str, Any], rows: int) -> None:
    """Drop-down lists for statut and priorité (read from the hidden « Listes » sheet, so a
    value with a comma works) and a whole number 0–100 for the taux."""
    lists = wb.create_sheet(LISTS_SHEET)
    lists.append(["Statuts", "Priorités", "Santé"])
    scale = plan.get("priority_scale") or []
    for index in range(max(len(STATUSES), len(scale), len(HEALTHS))):
        lists.append([STATUSES[index] if index < len(STATUSES) else None,
                      scale[index] if index < len(scale) else None,
                      HEALTHS[index] if index < len(HEALTHS) else None])
    lists.sheet_state = "hidden"
    last = max(rows + 500, 1000)  # room for the rows a person adds

    def column(key: str) -> str:
        return get_column_letter([c.key for c in ACTION_COLUMNS].index(key) + 1)

    def add(rule: DataValidation, key: str) -> None:
        rule.error_style = "stop"
        rule.showErrorMessage = True
        rule.add(f"{column(key)}2:{column(key)}{last}")
        ws.add_data_validation(rule)

    add(DataValidation(type="list", formula1=f"{LISTS_SHEET}!$A$2:$A${len(STATUSES) + 1}", allow_blank=True,
                       errorTitle="Statut", error=f"Choisissez un statut de la liste : {', '.join(STATUSES)}."),
        "status")
    if scale:
        add(DataValidation(type="list", formula1=f"{LISTS_SHEET}!$B$2:$B${len(scale) + 1}", allow_blank=True,
                           errorTitle="Priorité", error="Choisissez une priorité de l'échelle du plan."),
            "priority")
    add(DataValidation(type="list", formula1=f"{LISTS_SHEET}!$C$2:$C${len(HEALTHS) + 1}", allow_blank=True,
                       errorTitle="Santé", error=f"Choisissez une valeur de la liste : {', '.join(HEALTHS)}."),
        "health")
    add(DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True,
                       errorTitle="Taux d'avancement", error="Un nombre entier de 0 à 100 est attendu."),
        "progress")
    for key in ("budget", "staff_fte"):
        add(DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           errorTitle=field_name(key), error="Un nombre positif est attendu."), key)


# -- reading ----------------------------------------------------------------------------------

@dataclass
class Place:
    """Where an element of the plan was read: its sheet and row, and the column of each field."""

    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)  # field key -> "R « Taux d'avancement (%) »"

    def describe(self, key: str | None = None) -> str:
        text = f"feuille « {self.sheet} », ligne {self.row}"
        if key and key in self.columns:
            text += f", colonne {self.columns[key]}"
        return text


class WorkbookChecker(PlanChecker):
    """The plan file's checker, naming the sheet, row and column of each problem."""

    def __init__(self, places: dict[str, Place]) -> None:
        super().__init__()
        self.places = places

    def error(self, where: str, message: str, field: str | None = None) -> None:
        if where in ("plan", "") and "plan" in self.places:
            where = self.places["plan"].describe(field)
        elif where in self.places:  # "OS 1 › OO 1.2 › action 1.2.3" read at a row of a sheet
            where = f"{self.places[where].describe(field)} ({where})"
        super().error(where, message, field)


class PlanPlace(Place):
    """The « Plan » sheet: one field per row, the value in column B."""

    def describe(self, key: str | None = None) -> str:
        if key in self.columns:
            return f"feuille « {self.sheet} », {self.columns[key]}"
        if key in PLAN_ROWS_LABEL:
            return f"feuille « {self.sheet} », ligne « {PLAN_ROWS_LABEL[key]} » (absente)"
        return f"feuille « {self.sheet} »"


class WorkbookReader:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.errors: list[str] = []
        self.places: dict[str, Place] = {}
        # (objective, its title) -> (column, {title typed on « Actions »: rows})
        self.title_conflicts: dict[tuple[str, str], tuple[str, dict[str, list[int]]]] = {}

    def error(self, place: str, message: str) -> None:
        self.errors.append(f"{place} : {message}")

    # -- cells --------------------------------------------------------------------------------
    def cell_value(self, cell, where: str, kind: str) -> Any:
        value = cell.value
        if value is None:
            return None
        if cell.data_type == "f" or (isinstance(value, str) and cell.data_type != "s" and value.startswith("=")):
            self.error(where, "formule refusée : saisissez la valeur elle-même.")
            return None
        if isinstance(value, dt.datetime) or isinstance(value, dt.date):
            if kind == "date":
                return value.strftime("%d/%m/%Y")
            self.error(where, f"date inattendue ({value:%d/%m/%Y}) : un texte ou un nombre est attendu.")
            return None
        if isinstance(value, dt.time):
            self.error(where, "heure inattendue : un texte ou un nombre est attendu.")
            return None
        if isinstance(value, str):
            return value if value.strip() else None
        if isinstance(value, bool):
            if kind == "bool":
                return value
            self.error(where, "valeur VRAI/FAUX inattendue.")
            return None
        if kind in ("code", "text", "list", "date") and isinstance(value, (int, float)):
            # a code or a year typed as a number: 12 stays "12"; 1.1 cannot be told from 1.10
            return str(int(value)) if float(value).is_integer() else str(value)
        return value

    def parse(self, value: Any, where: str, kind: str) -> Any:
        if value is None:
            return [] if kind == "list" else None
        if kind == "list":
            return [line.strip() for line in str(value).splitlines() if line.strip()]
        if kind == "json":
            try:
                return json.loads(value)
            except (TypeError, ValueError):
                self.error(where, "texte JSON illisible (ex. {\"actions\": 12}).")
                return None
        return value

    # -- sheets -------------------------------------------------------------------------------
    def rows(self, ws, columns: list[Column], required: tuple[str, ...] = ()):
        """Yield (row number, {key: value}, {key: column}) for every non-empty row of a table."""
        by_header = {_fold(c.header): c for c in columns}
        by_header.update({_fold(old): c for c in columns for old in COLUMN_ALIASES.get(c.header, ())})
        header = next(ws.iter_rows(min_row=1, max_row=1), ())
        found: dict[int, Column] = {}
        letters: dict[str, str] = {}
        unknown = []
        for index, cell in enumerate(header):
            text = cell.value
            if text is None or (isinstance(text, str) and not text.strip()):
                continue
            column = by_header.get(_fold(str(text)))
            letter = get_column_letter(index + 1)
            if column is None:
                unknown.append(f"{letter} « {str(text)[:60]} »")
            elif column.key in letters:
                self.error(f"feuille « {ws.title} », ligne 1", f"colonne « {column.header} » en double.")
            else:
                found[index] = column
                letters[column.key] = f"{letter} « {column.header} »"
        if unknown:
            self.error(f"feuille « {ws.title} », ligne 1",
                       f"{'colonne inconnue' if len(unknown) == 1 else 'colonnes inconnues'} : {', '.join(unknown)}. "
                       "Colonnes reconnues : "
                       f"{', '.join(c.header for c in columns)}.")
        missing = [c.header for c in columns if c.key in required and c.key not in letters]
        if missing:
            self.error(f"feuille « {ws.title} »", f"{'colonne manquante' if len(missing) == 1 else 'colonnes manquantes'} : "
                                                   f"{', '.join(missing)}.")
            return
        if ws.max_row and ws.max_row > MAX_ROWS:
            self.error(f"feuille « {ws.title} »", f"{ws.max_row} lignes : au plus {MAX_ROWS} sont lues.")
            return
        for number, cells in enumerate(ws.iter_rows(min_row=2, max_row=MAX_ROWS + 1), start=2):
            values: dict[str, Any] = {}
            for index, column in found.items():
                if index >= len(cells):
                    continue
                where = f"feuille « {ws.title} », ligne {number}, colonne {letters[column.key]}"
                raw = self.cell_value(cells[index], where, column.kind)
                values[column.key] = self.parse(raw, where, column.kind)
            if any(v not in (None, []) for v in values.values()):
                yield number, values, letters

    def plan_sheet(self, ws) -> dict[str, Any]:
        labels = {_fold(label): key for key, label in [*PLAN_ROWS, *((k, old) for old, k in PLAN_ROW_ALIASES.items())]}
        raw: dict[str, Any] = {}
        self.places["plan"] = PlanPlace(ws.title, 1)
        for number, cells in enumerate(ws.iter_rows(min_row=2, max_row=200, max_col=2), start=2):
            name = cells[0].value if cells else None
            if name is None or (isinstance(name, str) and not name.strip()):
                continue
            key = labels.get(_fold(str(name)))
            where = f"feuille « {ws.title} », ligne {number}, colonne B"
            if key is None:
                self.error(f"feuille « {ws.title} », ligne {number}, colonne A",
                           f"champ « {str(name)[:60]} » inconnu. Champs reconnus : "
                           f"{', '.join(label for _, label in PLAN_ROWS)}.")
                continue
            if key in raw:
                self.error(f"feuille « {ws.title} », ligne {number}", f"champ « {name} » en double.")
                continue
            kind = "code" if key in ("slug", "ins_code") else "text"
            raw[key] = self.cell_value(cells[1], where, kind) if len(cells) > 1 else None
            self.places["plan"].columns[key] = f"ligne {number} « {PLAN_ROWS_LABEL[key]} », colonne B"
        plan: dict[str, Any] = {"format": 1}
        for key in ("slug", "organisation", "ins_code", "title", "source", "document"):
            plan[key] = raw.get(key)
        for key in ("period_start", "period_end"):
            value = raw.get(key)
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            raw[key] = value
        if raw.get("period_start") is not None or raw.get("period_end") is not None:
            plan["period"] = {"start": raw.get("period_start"), "end": raw.get("period_end")}
        plan["priority_scale"] = self.parse(raw.get("priority_scale"), "", "list")
        plan["notes"] = self.parse(raw.get("notes"), "", "list")
        plan["stated_totals"] = self.parse(raw.get("stated_totals"), self.plan_where("stated_totals"), "json") or {}
        bands = raw.get("evaluation_bands")
        if bands:
            plan["evaluation_bands"] = self.bands(str(bands))
        return plan

    def plan_where(self, key: str) -> str:
        return self.places["plan"].describe(key)

    def bands(self, text: str) -> list[dict] | None:
        bands = []
        for line in text.splitlines():
            if not line.strip():
                continue
            match = re.match(r"^\s*(.+?)\s*:\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$", line)
            if not match:
                self.error(self.plan_where("evaluation_bands"),
                           f"bande « {line[:60]} » illisible (attendu : « Réalisé : 80-100 »).")
                return None
            bands.append({"label": match[1], "min": int(match[2]), "max": int(match[3])})
        return bands or None

    def read(self, data: bytes, slug: str | None) -> dict[str, Any]:
        wb = self.open(data)
        if wb is None:
            raise PlanFileError(self.errors, self.source)
        sheets = {_fold(ws.title): ws for ws in wb.worksheets}
        if _fold(ACTIONS_SHEET) not in sheets or _fold(PLAN_SHEET) not in sheets:
            missing = [name for name in (PLAN_SHEET, ACTIONS_SHEET) if _fold(name) not in sheets]
            one = len(missing) == 1
            raise PlanFileError([f"feuille{'' if one else 's'} {', '.join(f'« {m} »' for m in missing)} "
                                 f"absente{'' if one else 's'} : le classeur ne suit pas le modèle de PST Pilot "
                                 "(téléchargez le modèle depuis la page Administration de l'application)."],
                                self.source)
        try:
            plan = self.plan_sheet(sheets[_fold(PLAN_SHEET)])
            if slug:
                plan["slug"] = slug
            plan["strategic_objectives"] = self.tree(sheets.get(_fold(OBJECTIVES_SHEET)),
                                                     sheets[_fold(ACTIONS_SHEET)], sheets.get(_fold(INDICATORS_SHEET)))
        except Exception:  # noqa: BLE001 - read-only sheets are parsed lazily: a damaged one fails here
            raise PlanFileError(self.errors + ["le classeur est endommagé : une feuille ne peut pas être lue. "
                                               "Enregistrez-le à nouveau au format .xlsx."], self.source) from None
        finally:
            wb.close()
        checker = WorkbookChecker(self.places)
        checked = checker.plan(plan)
        errors = self.errors + checker.errors
        if errors:
            raise PlanFileError(errors, self.source)
        return plain_numbers(checked)

    def open(self, data: bytes):
        problem = size_problem(len(data), exact=False)
        if problem:
            self.errors.append(problem)
            return None
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                self.errors.append(f"le classeur se décompresse en plus de {MAX_UNPACKED_BYTES // (1024 * 1024)} Mo : "
                                   "refusé (un PST en fait moins d'un).")
                return None
            return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        except Exception:  # noqa: BLE001 - zipfile, openpyxl and lxml raise many kinds for a bad file
            self.errors.append("le fichier n'est pas un classeur Excel (.xlsx) lisible : enregistrez-le au format "
                               "« Classeur Excel (.xlsx) » et réessayez.")
            return None

    def tree(self, objectives_ws, actions_ws, indicators_ws) -> list[dict[str, Any]]:
        os_by_code: dict[str, dict] = {}
        oo_by_code: dict[tuple[str, str], dict] = {}
        oo_rows: dict[tuple[str, str], int] = {}
        os_rows: dict[str, int] = {}
        tree: list[dict] = []

        def add_os(code: str, title: Any, number: int, sheet: str, values: dict, letters: dict) -> dict:
            os_ = {"code": code, "title": title, "axis": values.get("axis"), "description": values.get("description"),
                   "stated_totals": values.get("stated_totals") or {}, "operational_objectives": []}
            os_by_code[code] = os_
            os_rows[code] = number
            tree.append(os_)
            self.places[f"OS {code}"] = Place(sheet, number, _objective_columns(letters, "os"))
            return os_

        def add_oo(os_code: str, code: str, title: Any, number: int, sheet: str, values: dict, letters: dict):
            oo = {"code": code, "title": title, "description": values.get("description"),
                  "indicators": values.get("indicators") or [], "actions": []}
            os_by_code[os_code]["operational_objectives"].append(oo)
            oo_by_code[(os_code, code)] = oo
            oo_rows[(os_code, code)] = number
            self.places[f"OS {os_code} › OO {code}"] = Place(sheet, number, _objective_columns(letters, "oo"))
            return oo

        if objectives_ws is not None:
            for number, values, letters in self.rows(objectives_ws, OBJECTIVE_COLUMNS,
                                                     ("level", "os_code", "title")):
                where = f"feuille « {objectives_ws.title} », ligne {number}"
                level = str(values.get("level") or "").strip().upper()
                os_code, oo_code = values.get("os_code"), values.get("oo_code")
                if level == "OS":
                    if os_code in os_by_code:
                        self.error(where, f"l'OS {os_code} est déjà décrit ligne {os_rows[os_code]}.")
                        continue
                    add_os(os_code, values.get("title"), number, objectives_ws.title, values, letters)
                elif level == "OO":
                    if not oo_code:
                        self.error(where, "code OO manquant pour une ligne de niveau OO.")
                    elif os_code not in os_by_code:
                        self.error(where, f"l'OS {os_code} de cet OO n'est pas décrit plus haut (ligne de niveau OS).")
                    elif (os_code, oo_code) in oo_by_code:
                        self.error(where, f"l'OO {oo_code} de l'OS {os_code} est déjà décrit ligne "
                                          f"{oo_rows[(os_code, oo_code)]}.")
                    else:
                        add_oo(os_code, oo_code, values.get("title"), number, objectives_ws.title, values, letters)
                else:
                    self.error(where, f"niveau « {values.get('level') or ''} » inconnu : OS ou OO.")

        actions_by_code: dict[str, tuple[dict, int]] = {}
        for number, values, letters in self.rows(actions_ws, ACTION_COLUMNS, REQUIRED_ACTION_COLUMNS):
            sheet = actions_ws.title
            where = f"feuille « {sheet} », ligne {number}"
            os_code, oo_code, code = values.get("os_code"), values.get("oo_code"), values.get("code")
            if not os_code or not oo_code or not code:
                missing = [c.header for c in ACTION_COLUMNS[:5] if c.key in ("os_code", "oo_code", "code")
                           and not values.get(c.key)]
                self.error(where, f"{', '.join(missing)} manquant{'' if len(missing) == 1 else 's'} : chaque action "
                                        "nomme son OS, son OO et son code.")
                continue
            os_ = os_by_code.get(os_code)
            if os_ is None:
                if not values.get("os_title"):
                    self.error(f"{where}, colonne {letters['os_code']}",
                               f"OS {os_code} inconnu : décrivez-le dans la feuille « {OBJECTIVES_SHEET} » "
                               "ou donnez son intitulé dans la colonne « Objectif stratégique ».")
                    continue
                os_ = add_os(os_code, values["os_title"], number, sheet, {}, letters)
            else:
                self.same_title(values, "os_title", os_["title"], where, letters, f"l'OS {os_code}")
            oo = oo_by_code.get((os_code, oo_code))
            if oo is None:
                if not values.get("oo_title"):
                    self.error(f"{where}, colonne {letters['oo_code']}",
                               f"OO {oo_code} inconnu dans l'OS {os_code} : décrivez-le dans la feuille "
                               f"« {OBJECTIVES_SHEET} » ou donnez son intitulé dans la colonne "
                               "« Objectif opérationnel ».")
                    continue
                oo = add_oo(os_code, oo_code, values["oo_title"], number, sheet, {}, letters)
            else:
                self.same_title(values, "oo_title", oo["title"], where, letters, f"l'OO {oo_code}")
            sub_code = values.get("sub_code")
            if sub_code:
                self.sub_action(values, letters, Place(sheet, number, letters), actions_by_code, oo, os_code, oo_code)
                continue
            if code in actions_by_code:
                self.error(f"{where}, colonne {letters['code']}",
                           f"code d'action {code} en double : déjà utilisé ligne {actions_by_code[code][1]}.")
                continue
            action = {c.key: values.get(c.key) for c in ACTION_COLUMNS[4:] if c.key != "sub_code"}
            action = {k: v for k, v in action.items() if v not in (None, [])}
            action["code"] = code
            action["sub_actions"] = []
            action["indicators"] = []
            oo["actions"].append(action)
            actions_by_code[code] = (action, number)
            self.places[f"OS {os_code} › OO {oo_code} › action {code}"] = Place(sheet, number, letters)

        self.tell_title_conflicts(actions_ws.title)
        if indicators_ws is not None:
            for number, values, letters in self.rows(indicators_ws, INDICATOR_COLUMNS, ("action_code", "label")):
                where = f"feuille « {indicators_ws.title} », ligne {number}"
                found = actions_by_code.get(values.get("action_code") or "")
                if found is None:
                    self.error(f"{where}, colonne {letters['action_code']}",
                               f"action « {values.get('action_code') or ''} » inconnue (absente de la feuille "
                               f"« {ACTIONS_SHEET} »).")
                    continue
                if not values.get("label"):
                    self.error(f"{where}, colonne {letters['label']}", "libellé de l'indicateur manquant.")
                    continue
                found[0]["indicators"].append({k: values.get(k) for k in ("label", "target", "reached")})
        return tree

    def same_title(self, values: dict, key: str, known: Any, where: str, letters: dict, what: str) -> None:
        """Titles repeated on « Actions » rows must be the objective's (or empty): a rename typed
        there alone would otherwise be lost. Collected per objective, told once (see finish)."""
        typed = values.get(key)
        if typed is not None and known is not None and str(typed).strip() != str(known).strip():
            row = int(where.rsplit(" ", 1)[1])
            self.title_conflicts.setdefault((what, str(known)), (letters[key], {}))[1].setdefault(
                str(typed).strip(), []).append(row)

    def tell_title_conflicts(self, sheet: str) -> None:
        for (what, known), (column, typed) in self.title_conflicts.items():
            seen = " ; ".join(f"« {text[:80]} » (lignes {_rows_text(rows)})" for text, rows in typed.items())
            self.error(f"feuille « {sheet} », colonne {column}",
                       f"l'intitulé de {what} est « {known[:80]} » dans la feuille « {OBJECTIVES_SHEET} » mais {seen} "
                       f"ici : écrivez le même intitulé aux deux endroits (Rechercher et remplacer), ou videz ces "
                       "cellules.")

    def sub_action(self, values: dict, letters: dict, place: Place, actions_by_code: dict, oo: dict,
                   os_code: str, oo_code: str) -> None:
        where = place.describe()
        code = values["code"]
        found = actions_by_code.get(code)
        if found is None or found[0] not in oo["actions"]:
            self.error(f"{where}, colonne {letters['code']}",
                       f"sous-action de l'action {code}, absente plus haut dans l'OO {oo_code} : placez la "
                       "sous-action sous son action.")
            return
        extra = [letters[k] for k, v in values.items() if k not in SUB_ACTION_FIELDS and v not in (None, [])]
        if extra:
            self.error(where, f"une sous-action n'a qu'un intitulé, une description et une évaluation ; "
                              f"videz : {', '.join(extra)}.")
            return
        sub = {k: values.get(k) for k in ("title", "description", "evaluation")}
        sub["code"] = values["sub_code"]
        found[0]["sub_actions"].append(sub)
        place.columns = {**letters, "code": letters["sub_code"]}
        self.places[f"OS {os_code} › OO {oo_code} › action {code} › sous-action {sub['code']}"] = place


PLAN_ROWS_LABEL = dict(PLAN_ROWS)


def _objective_columns(letters: dict[str, str], level: str) -> dict[str, str]:
    """An objective's columns named by the plan checker's field keys: on the « Objectifs » sheet
    they are its own; on an « Actions » row only its code and title (« Objectif stratégique »)."""
    if "os_title" not in letters and "oo_title" not in letters:  # the « Objectifs » sheet
        return {**letters, "code": letters.get(f"{level}_code", "")}
    return {"code": letters.get(f"{level}_code", ""), "title": letters.get(f"{level}_title", "")}


def _rows_text(rows: list[int]) -> str:
    """[3, 4, 5, 9] -> "3 à 5, 9"."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and row == runs[-1][-1] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]} à {r[-1]}" for r in runs)


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def read_workbook(data: bytes, source: str | None = None, *, slug: str | None = None) -> dict[str, Any]:
    """A validated, normalised plan from a workbook's bytes, or PlanFileError naming every cell
    in error (sheet, row, column); nothing is returned unless the whole workbook is valid."""
    return WorkbookReader(source).read(data, slug)

