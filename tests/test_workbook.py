"""The Excel template: written from a plan, edited as a person would (openpyxl stands in for
Excel or LibreOffice), read back. Pure: no database (the database round trip is in
test_import_formats.py)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pst_data.exchange.files import read_plan_data
from pst_data.exchange.plan_file import PlanFileError, dump_plan_json, load_plan_file, validate_plan
from pst_data.exchange.workbook import plan_workbook, read_workbook, template_workbook

ROOT = Path(__file__).resolve().parents[1]
PLANS = sorted((ROOT / "pst_data/plans").glob("*.yaml"))

SMALL = {
    "format": 1, "slug": "cpas-test", "organisation": "CPAS de Test", "ins_code": "52011",
    "title": "PST 2025-2030", "period": {"start": 2025, "end": 2030},
    "priority_scale": ["Priorité 1", "Priorité 2, urgente"],
    "strategic_objectives": [{
        "code": "1", "title": "Être un CPAS proche", "axis": "Volet interne",
        "operational_objectives": [{
            "code": "1.1", "title": "Accueillir", "indicators": ["Nombre de visites"],
            "actions": [
                {"code": "1.10", "title": "=SOMME(A1:A3) n'est pas une formule", "priority": "Priorité 2, urgente",
                 "labels": ["PGP", "États généraux"], "services": ["Accueil"], "start": "01/02/2025",
                 "end": "31/12/2026", "status": "En cours", "progress": 45, "budget": 12345.5, "staff_fte": 1.5,
                 "comment": "-3 % de files d'attente", "risks": ["Absences", "+ de demandes"],
                 "indicators": [{"label": "Visites", "target": "1 000", "reached": "420"}],
                 "sub_actions": [{"code": "a", "title": "Former l'équipe", "evaluation": "fait"}]},
                {"code": "1.2", "title": "Rénover la salle", "start": "2026", "end": "2e semestre 2027"},
            ],
        }],
    }],
}


def _small() -> dict:
    return validate_plan(SMALL)


def _sheet_rows(data: bytes, sheet: str) -> list[dict]:
    ws = load_workbook(io.BytesIO(data))[sheet]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2) if any(c.value for c in row)]


def _edit(data: bytes, change) -> bytes:
    """Open the workbook as Excel would, let ``change(wb)`` edit it, save it again."""
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def _row_of(ws, code: str, sub: str | None = None) -> int:
    code_col, sub_col = _column(ws, "Code action"), _column(ws, "Code sous-action")
    return next(r for r in range(2, ws.max_row + 1)
                if ws.cell(r, code_col).value == code and ws.cell(r, sub_col).value == sub)


def _refusal(data: bytes) -> list[str]:
    with pytest.raises(PlanFileError) as caught:
        read_workbook(data, "plan.xlsx")
    assert "Rien n'a été importé" in str(caught.value)
    return caught.value.errors


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_an_unedited_workbook_gives_back_the_same_plan(path):
    plan = load_plan_file(path)
    back = read_workbook(plan_workbook(plan), "export.xlsx", slug="copie")
    assert dump_plan_json(back) == dump_plan_json({**plan, "slug": "copie"})


def test_codes_stay_text_dates_are_dates_and_formula_looking_text_stays_text():
    data = plan_workbook(_small())
    ws = load_workbook(io.BytesIO(data))["Actions"]
    row = _row_of(ws, "1.10")
    assert ws.cell(row, _column(ws, "Code action")).data_type == "s"
    title = ws.cell(row, _column(ws, "Intitulé"))
    assert title.value.startswith("=SOMME") and title.data_type == "s"
    assert ws.cell(row, _column(ws, "Commentaire")).data_type == "s"
    start = ws.cell(row, _column(ws, "Début"))
    assert start.value == dt.datetime(2025, 2, 1) and start.number_format == "DD/MM/YYYY"
    other = _row_of(ws, "1.2")
    assert ws.cell(other, _column(ws, "Début")).value == "2026"  # a year stays the text it was
    assert ws.cell(other, _column(ws, "Fin")).value == "2e semestre 2027"
    assert ws.cell(row, _column(ws, "Taux d'avancement (%)")).value == 45
    assert ws.cell(row, _column(ws, "Labels")).value == "États généraux\nPGP"  # sorted as the app shows them
    sub = _row_of(ws, "1.10", "a")
    assert ws.cell(sub, _column(ws, "Intitulé")).value == "Former l'équipe"
    back = read_workbook(data)
    action = back["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    assert action["code"] == "1.10" and action["title"].startswith("=SOMME")
    assert action["start"] == "01/02/2025" and action["budget"] == 12345.5
    assert action["indicators"] == [{"label": "Visites", "target": "1 000", "reached": "420"}]


def test_the_workbook_has_a_readme_lists_and_a_taux_between_0_and_100():
    wb = load_workbook(io.BytesIO(plan_workbook(_small())))
    assert wb.sheetnames[0] == "Lisez-moi" and wb.active.title == "Lisez-moi"
    readme = " ".join(str(c.value) for c in wb["Lisez-moi"]["A"] if c.value)
    assert "sous-action" in readme and "0 à 100" in readme
    assert wb["Listes"].sheet_state == "hidden"
    assert [c.value for c in wb["Listes"]["B"][1:3]] == ["Priorité 1", "Priorité 2, urgente"]
    ws = wb["Actions"]
    rules = {str(v.sqref).split(":")[0][0]: v for v in ws.data_validations.dataValidation}
    letter = {c.value: c.column_letter for c in ws[1]}
    status = rules[letter["Statut"]]
    assert status.type == "list" and status.formula1 == "Listes!$A$2:$A$6"
    taux = rules[letter["Taux d'avancement (%)"]]
    assert (taux.type, taux.formula1, taux.formula2) == ("whole", "0", "100")
    assert rules[letter["Priorité"]].formula1 == "Listes!$B$2:$B$3"


def test_an_edit_in_the_workbook_changes_exactly_that_field():
    plan = load_plan_file(ROOT / "pst_data/plans/charleroi.yaml")
    data = plan_workbook(plan)
    first = plan["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]

    def change(wb):
        ws = wb["Actions"]
        row = _row_of(ws, first["code"])
        ws.cell(row, _column(ws, "Taux d'avancement (%)")).value = 70
        ws.cell(row, _column(ws, "Statut")).value = "En cours"
        objectives = wb["Objectifs"]
        objectives.cell(2, _column(objectives, "Intitulé")).value = "Un OS renommé"
        column = _column(ws, "Objectif stratégique")  # the title repeated on « Actions »: replaced
        for cells in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            if cells[0].value == plan["strategic_objectives"][0]["title"]:
                cells[0].value = "Un OS renommé"
        ws.cell(row, column).value = None  # or emptied: it is there to be read

    back = read_workbook(_edit(data, change))
    expected = load_plan_file(ROOT / "pst_data/plans/charleroi.yaml")
    expected["strategic_objectives"][0]["title"] = "Un OS renommé"
    edited = expected["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    edited["progress"], edited["status"] = 70, "En cours"
    assert dump_plan_json(back) == dump_plan_json(expected)


def test_a_rename_made_in_one_place_only_is_refused_once_with_its_rows():
    plan = load_plan_file(ROOT / "pst_data/plans/charleroi.yaml")

    def rename(wb):
        wb["Objectifs"].cell(2, _column(wb["Objectifs"], "Intitulé")).value = "Un OS renommé"

    errors = _refusal(_edit(plan_workbook(plan), rename))
    assert len(errors) == 1
    assert errors[0].startswith("feuille « Actions », colonne B « Objectif stratégique » : l'intitulé de l'OS 1 "
                                "est « Un OS renommé » dans la feuille « Objectifs » mais « Une action sociale")
    assert "(lignes 2 à 15)" in errors[0]


def test_the_template_is_empty_and_says_what_is_missing():
    data = template_workbook()
    assert _sheet_rows(data, "Actions") == []
    errors = _refusal(data)
    assert any("feuille « Plan », ligne 2 « Identifiant du plan (minuscules, chiffres, tirets) », colonne B" in e for e in errors)
    assert any("« Organisation » est obligatoire" in e for e in errors)


def test_a_filled_template_imports():
    def fill(wb):
        plan = wb["Plan"]
        for row in plan.iter_rows(min_row=2):
            value = {"Identifiant du plan (minuscules, chiffres, tirets)": "cpas-de-namur", "Organisation": "CPAS de Namur",
                     "Intitulé du plan": "PST 2025-2030", "Code INS": 92094}.get(row[0].value)
            if value is not None:
                row[1].value = value
        ws = wb["Actions"]
        header = [c.value for c in ws[1]]
        row = {"Code OS": "1", "Objectif stratégique": "Inclure", "Code OO": 1.1,  # typed as a number
               "Objectif opérationnel": "Loger", "Code action": "1.1.1", "Intitulé": "Ouvrir un abri de nuit",
               "Taux d'avancement (%)": "25 %", "Budget (€)": "12 345,50", "Fin": dt.datetime(2026, 12, 31),
               "Statut": "En cours", "Labels": "PGP\nPPI"}
        ws.append([row.get(h) for h in header])

    plan = read_workbook(_edit(template_workbook(), fill))
    assert plan["slug"] == "cpas-de-namur" and plan["ins_code"] == "92094"
    oo = plan["strategic_objectives"][0]["operational_objectives"][0]
    assert (oo["code"], oo["title"]) == ("1.1", "Loger")
    action = oo["actions"][0]
    assert (action["progress"], action["budget"], action["end"], action["labels"]) == (
        25, 12345.5, "31/12/2026", ["PGP", "PPI"])


def test_a_malformed_workbook_is_refused_with_the_place_of_every_error():
    plan = load_plan_file(ROOT / "pst_data/plans/saint-ghislain.yaml")
    actions = [a for os_ in plan["strategic_objectives"] for oo in os_["operational_objectives"]
               for a in oo["actions"]]

    def damage(wb):
        ws = wb["Actions"]
        taux, budget = _column(ws, "Taux d'avancement (%)"), _column(ws, "Budget (€)")
        first, second, third = (_row_of(ws, a["code"]) for a in actions[:3])
        ws.cell(first, taux).value = 140
        ws.cell(second, budget).value = "beaucoup"
        ws.cell(third, _column(ws, "Code action")).value = actions[0]["code"]  # a duplicate code
        fourth = _row_of(ws, actions[3]["code"])
        ws.cell(fourth, _column(ws, "Code OO")).value = "9.9"
        ws.cell(fourth, _column(ws, "Objectif opérationnel")).value = None  # an OO nobody describes
        fifth = _row_of(ws, actions[4]["code"])
        ws.cell(fifth, _column(ws, "Statut")).value = "Presque fini"
        ws.cell(fifth, taux).value = "=40+5"  # a formula
        wb["Indicateurs"].append(["99.99", "Un indicateur orphelin"])

    errors = _refusal(_edit(plan_workbook(plan), damage))
    text = "\n".join(errors)
    assert f"feuille « Actions », ligne {2}, colonne R « Taux d'avancement (%) »" in text
    assert "taux d'avancement 140 hors limites" in text
    assert "colonne V « Budget (€) »" in text and "« beaucoup » n'est pas un nombre valide" in text
    assert f"code d'action {actions[0]['code']} en double : déjà utilisé ligne 2" in text
    assert "OO 9.9 inconnu" in text
    assert "colonne Q « Statut »" in text and "statut « Presque fini » inconnu" in text
    assert "formule refusée" in text
    assert "feuille « Indicateurs », ligne" in text and "action « 99.99 » inconnue" in text


def test_a_sheet_full_of_errors_shows_the_first_fifty_and_the_count():
    """A sheet of thousands of bad rows listed thousands of errors on the page."""
    plan = load_plan_file(ROOT / "pst_data/plans/saint-ghislain.yaml")

    def damage(wb):
        ws = wb["Actions"]
        header = [c.value for c in ws[1]]
        for n in range(300):
            row = [None] * len(header)
            row[header.index("Code OS")], row[header.index("Code OO")] = "1", "1.1"
            row[header.index("Code action")], row[header.index("Taux d'avancement (%)")] = f"9.9.{n}", 500
            ws.append(row)

    with pytest.raises(PlanFileError) as caught:
        read_workbook(_edit(plan_workbook(plan), damage), "plan.xlsx")
    errors = caught.value.errors
    assert len(errors) == 51 and caught.value.total > 300
    assert errors[-1] == (f"… et {caught.value.total - 50} autres erreurs : corrigez d'abord celles-ci, puis importez "
                          "le fichier à nouveau.")
    assert str(caught.value).startswith(f"Fichier de plan refusé (plan.xlsx) : {caught.value.total} erreurs.")


def test_the_template_speaks_to_a_person_and_last_year_s_labels_still_import():
    """« slug » and « JSON » are words of programmers: the template names the identifier for a
    person and marks what PST Pilot fills itself; a workbook with the former labels still reads."""
    plan = load_plan_file(ROOT / "pst_data/plans/saint-ghislain.yaml")
    book = load_workbook(io.BytesIO(template_workbook()))
    words = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "slug" not in words and "JSON" not in words

    def old_labels(wb):
        for row in wb["Plan"].iter_rows(min_row=2):
            row[0].value = {"Identifiant du plan (minuscules, chiffres, tirets)": "Identifiant du plan (slug)",
                            "Totaux annoncés (rempli par PST Pilot)": "Totaux annoncés (JSON)"}.get(row[0].value,
                                                                                                     row[0].value)
        for cell in wb["Objectifs"][1]:
            if cell.value == "Totaux annoncés de l'OS (rempli par PST Pilot)":
                cell.value = "Totaux annoncés de l'OS (JSON)"

    assert read_workbook(_edit(plan_workbook(plan), old_labels), "ancien.xlsx") == \
        read_workbook(plan_workbook(plan), "nouveau.xlsx")


def test_missing_and_unknown_columns_are_named():
    def drop(wb):
        ws = wb["Actions"]
        ws.delete_cols(_column(ws, "Code OO"))
        ws.cell(1, ws.max_column + 1).value = "Ma colonne"

    errors = _refusal(_edit(plan_workbook(_small()), drop))
    assert any("colonne manquante : Code OO" in e for e in errors)
    assert any("colonne inconnue :" in e and "« Ma colonne »" in e for e in errors)


def test_a_sub_action_without_its_action_and_one_with_action_fields_are_refused():
    def move(wb):
        ws = wb["Actions"]
        sub = _row_of(ws, "1.10", "a")
        ws.cell(sub, _column(ws, "Code action")).value = "7.7"
        ws.append([c.value for c in ws[sub]])
        last = ws.max_row
        ws.cell(last, _column(ws, "Code action")).value = "1.10"
        ws.cell(last, _column(ws, "Code sous-action")).value = "b"
        ws.cell(last, _column(ws, "Taux d'avancement (%)")).value = 50

    text = "\n".join(_refusal(_edit(plan_workbook(_small()), move)))
    assert "sous-action de l'action 7.7, absente plus haut" in text
    assert "une sous-action n'a qu'un intitulé" in text and "« Taux d'avancement (%) »" in text


def test_files_that_are_not_workbooks_are_refused_in_french():
    for data, expected in [
        (b"PK\x03\x04 pas vraiment un zip", "n'est pas un classeur Excel (.xlsx) lisible"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "ancien format Excel (.xls)"),
        (b"PK\x03\x04" + bytes(50 * 1024 * 1024), "Mo"),  # 50 MB: refused before it is opened
    ]:
        with pytest.raises(PlanFileError) as caught:
            read_plan_data(data, "plan.xlsx")
        assert expected in str(caught.value), caught.value


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (80 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(PlanFileError) as caught:
        read_plan_data(out.getvalue(), "bombe.xlsx")
    assert "se décompresse en plus de" in str(caught.value)


def test_the_format_is_told_by_the_content_not_the_name():
    data = plan_workbook(_small())
    assert read_plan_data(data, "sans-extension")["slug"] == "cpas-test"
    assert read_plan_data(data, "plan.yaml", slug="autre-cpas")["slug"] == "autre-cpas"
    with pytest.raises(PlanFileError) as caught:
        read_plan_data(data, "plan.xlsx", slug="Pas Un Slug")
    assert "identifiant du plan « Pas Un Slug » invalide" in str(caught.value)
