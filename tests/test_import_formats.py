"""Plans through the database in every format: export → file → import under a new slug →
export again gives the same plan (on SQLite and PostgreSQL), and the command line shows before it
writes and refuses a bad file without writing anything."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import History, Plan
from pst_data.exchange.files import read_plan_data
from pst_data.exchange.plan_file import PlanFileError, dump_plan_json
from pst_data.exchange.workbook import plan_workbook
from pst_data.importer import DatabasePlans, export_plan, import_plan
from pst_data.uow import Operator
from tests.pages_support import ROOT

SLUGS = ("bernissart", "binche", "charleroi", "ecaussinnes", "saint-ghislain")
OPERATOR = Operator("tests")


def _export(engine, slug: str) -> dict:
    with Session(engine) as s:
        return export_plan(s, slug)


def test_the_five_plans_go_through_the_workbook_and_come_back_equal(seeded_engine):
    for slug in SLUGS:
        original = _export(seeded_engine, slug)
        plan = read_plan_data(plan_workbook(original), f"{slug}.xlsx", slug=f"{slug}-copie")
        report = import_plan(seeded_engine, plan, OPERATOR)
        assert report.created
        again = _export(seeded_engine, f"{slug}-copie")
        assert dump_plan_json(again) == dump_plan_json({**original, "slug": f"{slug}-copie"}), slug
        # and the unedited workbook of the original changes nothing
        assert not import_plan(seeded_engine, read_plan_data(plan_workbook(original)), OPERATOR).changed


def _history(url: str) -> int:
    from db.engine import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        count = s.scalar(select(func.count(History.id)))
    engine.dispose()
    return count


def test_the_command_line_previews_imports_and_refuses_bad_workbooks(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert cli("import", str(ROOT / "pst_data/plans/saint-ghislain.yaml"), url=url).returncode == 0
    workbook = tmp_path / "sg.xlsx"
    done = cli("export", "--plan", "saint-ghislain", "--format", "xlsx", "--output", str(workbook), url=url)
    assert done.returncode == 0, done.stderr

    wb = load_workbook(workbook)
    ws = wb["Actions"]
    header = [c.value for c in ws[1]]
    first = ws[2]
    first[header.index("Taux d'avancement (%)")].value = 99
    wb.save(workbook)
    renamed = tmp_path / "sans-extension"  # the content tells the format, not the name
    renamed.write_bytes(workbook.read_bytes())
    before = _history(url)

    preview = cli("import", str(renamed), "--dry-run", url=url)
    assert preview.returncode == 0, preview.stderr
    assert "Taux d'avancement : « 25 » → « 99 »" in preview.stdout
    assert "rien n'a été écrit" in preview.stdout
    assert _history(url) == before

    checked = cli("check", str(renamed), url=url)
    assert checked.returncode == 0 and "Fichier valide : plan « saint-ghislain »" in checked.stdout

    done = cli("import", str(renamed), url=url)
    assert done.returncode == 0 and "1 modifiée" in done.stdout, done.stderr
    assert _history(url) == before + 1

    first[header.index("Taux d'avancement (%)")].value = 140
    first[header.index("Statut")].value = "Bientôt"
    wb.save(workbook)
    refused = cli("import", str(workbook), url=url)
    assert refused.returncode == 2
    assert "feuille « Actions », ligne 2, colonne R « Taux d'avancement (%) »" in refused.stderr
    assert "feuille « Actions », ligne 2, colonne Q « Statut »" in refused.stderr
    assert "Rien n'a été importé" in refused.stderr and "Traceback" not in refused.stderr
    assert _history(url) == before + 1

    template = tmp_path / "modele.xlsx"
    assert cli("template", "--output", str(template), url=url).returncode == 0
    assert load_workbook(template).sheetnames[:2] == ["Lisez-moi", "Plan"]
    wrong_slug = cli("import", str(workbook), "--slug", "Pas Un Slug", url=url)
    assert wrong_slug.returncode == 2 and "identifiant du plan « Pas Un Slug » invalide" in wrong_slug.stderr


def test_a_new_slug_imports_a_copy(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    assert cli("import", str(ROOT / "pst_data/plans/saint-ghislain.yaml"), "--slug", "sg-copie", url=url).returncode == 0
    from db.engine import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        assert s.scalars(select(Plan.slug)).all() == ["sg-copie"]
    engine.dispose()


def _carried(plan: dict) -> list[tuple]:
    """What eComptes carries of each action, as our plan holds it after a trip there and back
    (titles compared on their first 150 characters: eComptes cuts a Libelle at 255, prefix included)."""
    status_back = {None: "À programmer"}
    return [(os_["code"], os_["axis"], oo["code"], a["code"], a["title"][:150], status_back.get(a["status"], a["status"]),
             a["progress"] or 0, a["labels"], a["partners"], a["department"], a["comment"],
             [(s["code"], s["title"][:150]) for s in a["sub_actions"]])
            for os_ in plan["strategic_objectives"] for oo in os_["operational_objectives"] for a in oo["actions"]]


def test_the_five_plans_go_through_ecomptes_xml_with_what_it_carries(seeded_engine):
    from pst_data.exchange.ecomptes import write_ecomptes

    known = DatabasePlans(seeded_engine)
    for slug in SLUGS:
        original = _export(seeded_engine, slug)
        xml = write_ecomptes(original, exercice=2024)  # the INS code is the plan's
        # read back over the plan of that INS code (what eComptes does not carry kept): no change
        assert not import_plan(seeded_engine, read_plan_data(xml, known=known), OPERATOR).changed, slug
        copy = read_plan_data(xml, f"{slug}.xml", slug=f"{slug}-xml", known=known)
        assert import_plan(seeded_engine, copy, OPERATOR).created
        again = _export(seeded_engine, f"{slug}-xml")
        assert again["ins_code"] == original["ins_code"] and again["title"] == original["title"]
        assert _carried(again) == _carried(original), slug
        with pytest.raises(PlanFileError) as caught:  # another CPAS's plan: refused, not overwritten
            read_plan_data(xml, "pst.xml", slug="charleroi" if slug != "charleroi" else "binche", known=known)
        assert f"ce fichier eComptes est celui du CPAS de code INS {original['ins_code']}" in str(caught.value)
        with pytest.raises(PlanFileError) as caught:  # now two plans of that CPAS: which one?
            read_plan_data(xml, "pst.xml", known=known)
        assert f"2 plans portent le code INS {original['ins_code']} ({slug}, {slug}-xml)" in str(caught.value)


def test_the_command_line_speaks_ecomptes(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'xml.sqlite3'}"
    assert cli("import", str(ROOT / "pst_data/plans/saint-ghislain.yaml"), url=url).returncode == 0
    xml = tmp_path / "sg.xml"
    done = cli("export", "--plan", "saint-ghislain", "--format", "xml", "--exercice", "2026", "--output", str(xml),
                url=url)
    assert done.returncode == 0, done.stderr
    assert b"<INS>53070</INS>" in xml.read_bytes() and b"<Exercice>2026</Exercice>" in xml.read_bytes()
    copy = cli("import", str(xml), "--slug", "sg-ecomptes", url=url)
    assert copy.returncode == 0 and "Plan « sg-ecomptes » créé : 34 actions importées." in copy.stdout, copy.stderr

    hostile = tmp_path / "entite.xml"
    hostile.write_bytes(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><dataroot>&e;'
                        b"</dataroot>")
    before = _history(url)
    refused = cli("import", str(hostile), url=url)
    assert refused.returncode == 2 and "refusé par sécurité" in refused.stderr, refused.stderr
    assert "root:" not in refused.stderr + refused.stdout and _history(url) == before

    no_ins = tmp_path / "sans-ins.yaml"
    no_ins.write_text((ROOT / "pst_data/plans/saint-ghislain.yaml").read_text(encoding="utf-8")
                      .replace('ins_code: "53070"', "ins_code: null").replace("slug: saint-ghislain", "slug: sans-ins"),
                      encoding="utf-8")
    assert cli("import", str(no_ins), url=url).returncode == 0
    missing = cli("export", "--plan", "sans-ins", "--format", "xml", "--output", str(tmp_path / "x.xml"), url=url)
    assert missing.returncode == 2 and "code INS" in missing.stderr


def test_the_command_line_says_which_values_it_rounds_before_importing(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'rounded.sqlite3'}"
    fixture = ROOT / "tests/fixtures/ecomptes/cpas_exemple.xml"
    for command in (("check", fixture), ("import", fixture, "--dry-run"), ("import", fixture)):
        done = cli(*command, url=url)
        assert done.returncode == 0, done.stderr
        assert "Repris autrement que dans le fichier (2) :" in done.stdout, command
        assert "TauxAvancement : taux d'avancement 33.5 arrondi à 34 % (les taux sont entiers)." in done.stdout


def test_a_change_of_the_plan_s_own_fields_is_previewed_and_applied(seeded_engine):
    from pst_data.importer import preview_import

    original = _export(seeded_engine, "charleroi")
    data = plan_workbook(original)
    wb = load_workbook(io.BytesIO(data))
    for row in wb["Plan"].iter_rows(min_row=2):
        if row[0].value == "Intitulé du plan":
            row[1].value = "PST 2019-2024 (révisé)"
        if row[0].value == "Échelle des priorités":
            row[1].value = "Niveau 1\nNiveau 2"
    out = io.BytesIO()
    wb.save(out)
    plan = read_plan_data(out.getvalue(), "charleroi.xlsx")
    preview = preview_import(seeded_engine, plan, OPERATOR)
    assert preview.text().splitlines() == [
        "Plan « charleroi » serait mis à jour : 0 action ajoutée, 0 modifiée, 0 supprimée, "
        "0 objectif modifié, 2 champs du plan modifiés.",
        "Inchangées : 97 actions.",
        "Champs du plan à modifier (2) :",
        "  plan · Intitulé du plan : « Programme Stratégique Transversal 2019-2024 » → « PST 2019-2024 (révisé) »",
        "  plan · Échelle des priorités : « Niveau 1 » → « Niveau 1 ; Niveau 2 »",
    ]
    assert _export(seeded_engine, "charleroi")["title"] == original["title"]  # the preview wrote nothing
    assert import_plan(seeded_engine, plan, OPERATOR).changed
    assert _export(seeded_engine, "charleroi")["priority_scale"] == ["Niveau 1", "Niveau 2"]
    # … and written in the change log, field by field, old → new
    from pst_data.queries import recent_changes
    from pst_data.uow import plan_by_slug
    from pst_data.aggregates import changes_table

    with Session(seeded_engine) as session:
        table = changes_table(recent_changes(session, plan_by_slug(session, "charleroi").id))
    assert table[["Élément", "Champ", "Modification"]].values.tolist() == [
        ["Plan", "Échelle des priorités", "+ Niveau 2"],
        ["Plan", "Intitulé du plan", "Programme Stratégique Transversal 2019-2024 → PST 2019-2024 (révisé)"],
    ]
