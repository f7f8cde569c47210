"""The eComptes PST XML (SPW, version 201805V1): the five real plans export XML valid under the
Region's import schema and come back; a file written the way eComptes writes it imports with its
statuses, labels, budgets and people; hostile or foreign files are refused in French, with the
path of the element at fault, and nothing is returned."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from pst_data.rules.dates import parse_source_date
from pst_data.exchange.ecomptes import (
    LIBELLE_MAX,
    NO_AXIS_ID,
    STATUS_FROM_ECOMPTES,
    STATUS_TO_ECOMPTES,
    EcomptesExportError,
    html_to_text,
    read_ecomptes,
    rtf_to_text,
    write_ecomptes,
)
from pst_data.exchange.plan_file import PlanFileError, iter_actions, load_plan_file

HERE = Path(__file__).resolve()
PLANS_DIR = HERE.parents[1] / "pst_data" / "plans"
FIXTURE = HERE.parent / "fixtures" / "ecomptes" / "cpas_exemple.xml"
FORMAT_DIRS = (HERE.parents[2] / "shared" / "formats" / "ecomptes", Path("/work/shared/formats/ecomptes"))
IMPORT_XSD = "schema_import_ecomptes_201805V1.xsd"  # what eComptes takes in: what we write
EXPORT_XSD = "PST_eComptes_Export_201805V1.xsd"  # what eComptes hands out: what we read
INS_CODES = {"bernissart": "51009", "binche": "56011", "charleroi": "52011", "ecaussinnes": "55050",
             "saint-ghislain": "53070"}
SLUGS = sorted(INS_CODES)
EXERCICE = 2024
# where the fixture's first action lies
FIRST_ACTION = ("/dataroot/PST/Volets/Volet[1]/ObjectifStrategiques/ObjectifStrategique[1]/"
                "ObjectifsOperationnels/ObjectifOperationnel[1]/Actions/Action[1]")


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    for folder in FORMAT_DIRS:
        if (folder / name).is_file():
            return etree.XMLSchema(etree.parse(str(folder / name)))
    pytest.fail(f"the eComptes schemas are missing: {name} is in none of {[str(f) for f in FORMAT_DIRS]} "
                "(CI checks out ../shared beside the repository)")


@functools.cache
def _plan(slug: str) -> dict:
    return load_plan_file(PLANS_DIR / f"{slug}.yaml")


def plan_of(slug: str) -> dict:
    return copy.deepcopy(_plan(slug))


@functools.cache
def _exported(slug: str) -> bytes:
    plan = plan_of(slug)
    plan["ins_code"] = None  # the code given at export wins over (and replaces) the plan's
    return write_ecomptes(plan, exercice=EXERCICE, ins_code=INS_CODES[slug])


def fixture_bytes() -> bytes:
    return FIXTURE.read_bytes()


def refused(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(PlanFileError) as info:
        read_ecomptes(data, "essai.xml", **kwargs)
    assert info.value.source == "essai.xml"
    assert "Rien n'a été importé" in str(info.value)
    return info.value.errors


def assert_valid(data: bytes, xsd: str) -> None:
    checker = schema(xsd)
    assert checker.validate(etree.fromstring(data)), checker.error_log


# -- export ------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", SLUGS)
def test_each_real_plan_exports_xml_valid_under_the_import_schema(slug):
    data = _exported(slug)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<dataroot>\n  <Identifiants>')
    assert_valid(data, IMPORT_XSD)
    root = etree.fromstring(data)
    assert root.findtext("Identifiants/INS") == INS_CODES[slug]
    assert root.findtext("Identifiants/TypeAdmin") == "CPAS"
    assert root.findtext("Identifiants/Exercice") == str(EXERCICE)
    assert root.findtext("Identifiants/Version") == "201805V1"
    assert root.findtext("Identifiants/Generateur") == "PST Pilot"
    assert root.findtext("PST/DescriptionPST/IdPST") == slug
    assert root.findtext("PST/DescriptionPST/ExerciceDebut") == "2019"
    assert root.findtext("PST/DescriptionPST/ExerciceFin") == "2024"
    plan = _plan(slug)
    actions = list(iter_actions(plan))
    rows = root.findall(".//Action")
    assert len(rows) == len(actions) + sum(len(a["sub_actions"]) for _, _, a in actions)
    assert root.findall(".//Responsable") == []  # no civilité known: never written
    assert all(int(e.get("Exercice")) == EXERCICE for e in root.iter() if e.get("ElementId"))
    assert all(len(e.text or "") <= LIBELLE_MAX for e in root.iter("Libelle"))


def test_volets_group_consecutive_objectives_of_one_axis():
    root = etree.fromstring(_exported("bernissart"))
    plan = _plan("bernissart")
    volets = root.findall("PST/Volets/Volet")
    axes = [o["axis"] for o in plan["strategic_objectives"]]
    groups = [a for i, a in enumerate(axes) if i == 0 or axes[i - 1] != a]
    assert [v.findtext("Libelle") for v in volets] == groups
    assert sum(len(v.findall("ObjectifStrategiques/ObjectifStrategique")) for v in volets) == len(axes)
    # Charleroi's OS have no axis: one Volet the reader knows as "no axis"
    volets = etree.fromstring(_exported("charleroi")).findall("PST/Volets/Volet")
    assert [(v.get("ElementId"), v.findtext("Libelle")) for v in volets] == [(NO_AXIS_ID, "Volet sans axe")]


def test_codes_statuses_and_roll_ups_in_the_xml():
    root = etree.fromstring(_exported("saint-ghislain"))
    first_os = root.find("PST/Volets/Volet/ObjectifStrategiques/ObjectifStrategique")
    assert first_os.get("ElementId") == "OS.1"
    assert first_os.findtext("Libelle").startswith("OS.1 - ")
    oo = first_os.find("ObjectifsOperationnels/ObjectifOperationnel")
    assert oo.findtext("Libelle").startswith("OO.1.1 - ")
    rows = oo.findall("Actions/Action")
    assert rows[0].findtext("Libelle").startswith("A.1.1.1 - ")
    assert rows[1].get("ElementId") == "A.1.1.1-SA.1.1.1.A"
    assert rows[1].findtext("Libelle") == "A.1.1.1 - SA.1.1.1.A - Demande de permis d'urbanisme (en cours)"
    assert rows[1].findtext("Statut") == rows[0].findtext("Statut") == "EN_COURS"
    assert rows[1].findtext("TauxAvancement") == rows[0].findtext("TauxAvancement") == "25"
    assert rows[0].findtext("DateDebut") == "2019-01-01" and rows[0].findtext("DateFin") == "2020-12-31"
    # an objective's taux is the weighted mean of its actions' taux (as the app shows it)
    plan = _plan("saint-ghislain")
    taux = [a["progress"] for a in plan["strategic_objectives"][0]["operational_objectives"][0]["actions"]
            if a["progress"] is not None]
    expected = int(sum(taux) / len(taux) + 0.5) if taux else 0
    assert oo.findtext("TauxAvancement") == str(expected)


def test_statuses_mapping():
    assert STATUS_FROM_ECOMPTES == {
        "NON_COMMENCE": "À programmer", "EN_COURS": "En cours", "TERMINE": "Finalisé",
        "EN_ATTENTE": "Suspendu", "PROBLEME": "Suspendu", "ANNULE_ABANDONNE": "Abandonné",
    }
    assert STATUS_TO_ECOMPTES == {
        None: "NON_COMMENCE", "À programmer": "NON_COMMENCE", "En cours": "EN_COURS",
        "Finalisé": "TERMINE", "Suspendu": "EN_ATTENTE", "Abandonné": "ANNULE_ABANDONNE",
    }


def test_export_needs_an_ins_code():
    plan = plan_of("ecaussinnes")
    plan["ins_code"] = None
    with pytest.raises(EcomptesExportError, match="^Le code INS du CPAS manque : "):
        write_ecomptes(plan, exercice=EXERCICE)
    with pytest.raises(EcomptesExportError, match="Le code INS du CPAS « 123 » est invalide"):
        write_ecomptes(plan, exercice=EXERCICE, ins_code="123")
    plan["ins_code"] = "55050"
    assert b"<INS>55050</INS>" in write_ecomptes(plan, exercice=EXERCICE)


def test_long_titles_are_cut_and_text_stays_valid_xml():
    plan = plan_of("ecaussinnes")
    action = plan["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    action["title"] = "Un très long intitulé " * 15 + "fin"
    action["description"] = "Ligne\x07 une\r\nligne deux\x0b\tfin"
    action["sub_actions"] = [{"code": "a", "title": "Étape " * 100, "description": None, "evaluation": None}]
    data = write_ecomptes(plan, exercice=EXERCICE)
    assert_valid(data, IMPORT_XSD)
    rows = etree.fromstring(data).findall(".//Action")
    libelle = rows[0].findtext("Libelle")
    assert len(libelle) == LIBELLE_MAX and libelle.endswith("…")
    assert libelle.startswith(f"A.{action['code']} - Un très long intitulé")
    assert len(rows[1].findtext("Libelle")) <= LIBELLE_MAX
    assert rows[0].findtext("Description/Valeur") == "Ligne une\nligne deux\tfin"
    # without base the cut title comes back cut; with base it comes back whole
    alone = read_ecomptes(data, slug="ecaussinnes")
    assert alone["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]["title"] == libelle[
        len(f"A.{action['code']} - "):]
    merged = read_ecomptes(data, base=plan)
    back = merged["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    assert back["title"] == action["title"].strip()
    assert back["sub_actions"][0]["title"] == action["sub_actions"][0]["title"].strip()


# -- round trip -------------------------------------------------------------------------------

def _fits(prefix: str, title: str) -> bool:
    return len(prefix) + len(title) <= LIBELLE_MAX


@pytest.mark.parametrize("slug", SLUGS)
def test_round_trip_keeps_what_the_format_carries(slug):
    plan = _plan(slug)
    back = read_ecomptes(_exported(slug), f"{slug}.xml", slug=slug)
    assert back["slug"] == slug
    assert back["ins_code"] == INS_CODES[slug]
    assert back["title"] == plan["title"]
    assert back["period"] == plan["period"]
    assert back["organisation"] == f"CPAS (code INS {INS_CODES[slug]})"  # no base: not carried
    assert [o["code"] for o in back["strategic_objectives"]] == [o["code"] for o in plan["strategic_objectives"]]
    for os_, os_back in zip(plan["strategic_objectives"], back["strategic_objectives"], strict=True):
        assert os_back["axis"] == os_["axis"]
        assert os_back["description"] == os_["description"]
        if _fits(f"OS.{os_['code']} - ", os_["title"]):
            assert os_back["title"] == os_["title"]
        for oo, oo_back in zip(os_["operational_objectives"], os_back["operational_objectives"], strict=True):
            assert oo_back["code"] == oo["code"]
            assert oo_back["description"] == oo["description"]
            assert oo_back["indicators"] == []  # not carried
            if _fits(f"OO.{oo['code']} - ", oo["title"]):
                assert oo_back["title"] == oo["title"]
            for action, got in zip(oo["actions"], oo_back["actions"], strict=True):
                where = f"{slug} action {action['code']}"
                assert got["code"] == action["code"], where
                if _fits(f"A.{action['code']} - ", action["title"]):
                    assert got["title"] == action["title"], where
                else:
                    assert got["title"].endswith("…") and action["title"].startswith(got["title"][:-1]), where
                assert got["description"] == action["description"], where
                assert got["status"] == (action["status"] or "À programmer"), where
                assert got["progress"] == (action["progress"] or 0), where
                for role in ("start", "end"):
                    assert parse_source_date(got[role], role) == parse_source_date(action[role], role), where
                assert got["department"] == action["department"], where
                assert got["staff_fte"] == (action["staff_fte"] or 0), where
                assert got["labels"] == action["labels"], where
                assert got["partners"] == action["partners"], where
                assert got["comment"] == action["comment"], where
                assert [s["code"] for s in got["sub_actions"]] == [s["code"] for s in action["sub_actions"]]
                for sub, sub_back in zip(action["sub_actions"], got["sub_actions"], strict=True):
                    if _fits(f"A.{action['code']} - SA.{sub['code']} - ", sub["title"]):
                        assert sub_back["title"] == sub["title"], where
                    assert sub_back["description"] == sub["description"], where
                    assert sub_back["evaluation"] == sub["evaluation"], where
                # not carried by eComptes: empty without base
                assert (got["priority"], got["services"], got["risks"], got["project_lead"], got["budget"]) == \
                    (None, [], [], None, None), where


@pytest.mark.parametrize("slug", SLUGS)
def test_reimporting_our_own_export_over_the_plan_changes_nothing(slug):
    plan = _plan(slug)
    back = read_ecomptes(_exported(slug), f"{slug}.xml", base=plan)
    assert back == plan


def test_base_keeps_what_ecomptes_does_not_carry_and_takes_what_it_does():
    plan = plan_of("binche")
    root = etree.fromstring(_exported("binche"))
    first = root.find(".//Action")
    action = plan["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    assert first.findtext("Libelle").startswith(f"A.{action['code']} - ")
    assert action["priority"] and action["risks"] and action["services"] and action["project_lead"]
    first.find("Statut").text = "TERMINE"
    first.find("TauxAvancement").text = "99.5"
    first.find("Departement").text = "Service informatique"
    first.find("Plans").append(etree.Element("Plan"))
    first.find("Plans")[-1].text = "PST"
    first.find("DateFin").text = "2023-06-30"

    back = read_ecomptes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), base=plan)
    got = back["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    # from the XML
    assert (got["status"], got["progress"], got["department"], got["labels"], got["end"]) == \
        ("Finalisé", 100, "Service informatique", ["PST"], "30/06/2023")
    # from the base
    for key in ("priority", "services", "indicators", "staff_text", "risks", "deliverables", "context",
                "evaluation", "weight", "project_lead", "budget", "budget_text", "start", "title"):
        assert got[key] == action[key], key
    assert [s["description"] for s in got["sub_actions"]] == [s["description"] for s in action["sub_actions"]]
    for key in ("slug", "organisation", "source", "document", "priority_scale", "evaluation_bands",
                "stated_totals", "notes"):
        assert back[key] == plan[key], key


# -- a file written by eComptes ---------------------------------------------------------------

def test_the_fixture_is_iso_8859_1_and_valid_under_the_schema_ecomptes_exports_with():
    data = fixture_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="iso-8859-1"?>')
    assert "Être".encode("latin-1") in data and "Être".encode() not in data
    assert_valid(data, EXPORT_XSD)
    assert not schema(IMPORT_XSD).validate(etree.fromstring(data))  # Articles: eComptes' own


@functools.cache
def _fixture_plan() -> dict:
    return read_ecomptes(fixture_bytes(), "cpas_exemple.xml")


def fixture_plan() -> dict:
    return copy.deepcopy(_fixture_plan())


def test_fixture_structure_codes_and_titles():
    plan = fixture_plan()
    assert (plan["slug"], plan["ins_code"], plan["organisation"]) == ("ecomptes-99999", "99999",
                                                                     "CPAS (code INS 99999)")
    assert plan["title"] == "Programme stratégique transversal 2025-2030 du CPAS d'Exemple"
    assert plan["period"] == {"start": 2025, "end": 2030}
    tree = [(o["code"], o["axis"], [(oo["code"], [a["code"] for a in oo["actions"]])
                                    for oo in o["operational_objectives"]])
            for o in plan["strategic_objectives"]]
    assert tree == [
        ("1", "Volet interne : une administration efficace",
         [("1.1", ["1.1.1", "16", "1.1.3"]), ("1.2", ["1.2.1"])]),
        ("2", "Volet externe : l'action sociale", [("2.1", ["2.1.1", "2.1.2"]), ("2.2", ["2.2.1"])]),
    ]
    os1 = plan["strategic_objectives"][0]
    assert os1["title"] == "Être une administration moderne et accessible"
    assert os1["description"] == "Un CPAS où chaque usager est bien accueilli."
    actions = {a["code"]: a for _, _, a in iter_actions(plan)}
    assert actions["1.1.3"]["title"] == "Créer un guichet numérique"  # a Libelle without prefix
    assert plan["strategic_objectives"][1]["operational_objectives"][1]["title"] == \
        "Soutenir les familles monoparentales"
    assert actions["16"]["sub_actions"] == [
        {"code": "17", "title": "Choisir le logiciel", "description": "Comparer trois offres.",
         "evaluation": "Offres reçues."},
        {"code": "18", "title": "Former les agents", "description": None, "evaluation": None},
    ]


def test_fixture_statuses_progress_dates_and_people():
    actions = {a["code"]: a for _, _, a in iter_actions(fixture_plan())}
    assert {code: a["status"] for code, a in actions.items()} == {
        "1.1.1": "En cours", "16": "À programmer", "1.1.3": "Finalisé", "1.2.1": "Suspendu",
        "2.1.1": "Suspendu", "2.1.2": "Abandonné", "2.2.1": "En cours",
    }
    assert {code: a["progress"] for code, a in actions.items()} == {
        "1.1.1": 34, "16": 0, "1.1.3": 100, "1.2.1": 10, "2.1.1": 45, "2.1.2": 0, "2.2.1": 50,
    }
    first = actions["1.1.1"]
    assert (first["start"], first["end"]) == ("15/01/2025", "30/06/2026")
    assert parse_source_date(first["start"], "start") == dt.date(2025, 1, 15)
    assert (actions["16"]["start"], actions["16"]["end"]) == ("01/01/2026", None)
    assert first["project_lead"] == "Marie Dupont"  # the Responsable; the Mandataire is not read
    assert actions["16"]["project_lead"] is None
    assert first["department"] == "Service des travaux"
    assert first["partners"] == ["Ville d'Exemple", "SPW Intérieur"]
    assert {code: a["staff_fte"] for code, a in actions.items()} == {
        "1.1.1": 1.5, "16": 0, "1.1.3": 0.25, "1.2.1": 0, "2.1.1": 2, "2.1.2": 0, "2.2.1": 0.5,
    }
    assert first["comment"] == "Chantier retardé par l'hiver ; coût estimé à 66 000 €."
    assert actions["2.2.1"]["comment"] is None  # an empty HTML paragraph


def test_fixture_rich_text():
    actions = {a["code"]: a for _, _, a in iter_actions(fixture_plan())}
    assert actions["1.1.1"]["description"] == (
        "Rénovation complète de l'accueil\u00a0: guichets & salle d’attente.\n\n"
        "- Plans\n- Travaux\n\nFin\ndes travaux en juin."
    )
    assert actions["2.2.1"]["description"] == "Rencontres mensuelles\navec une animatrice & une psychologue."
    assert actions["16"]["description"] == "Première étape : l’inventaire.\nEnsuite le choix du logiciel."
    assert "<" not in "".join(a["description"] or "" for a in actions.values())


def test_fixture_labels_come_from_the_action_its_objectives_and_its_sub_actions():
    actions = {a["code"]: a for _, _, a in iter_actions(fixture_plan())}
    assert actions["1.1.1"]["labels"] == ["PCS", "PGP", "PPI"]  # OO, OS and its own
    assert actions["16"]["labels"] == ["PCS", "PGP", "Plan numérique"]  # PGP twice: once
    assert actions["1.2.1"]["labels"] == ["PGP"]
    assert actions["2.1.1"]["labels"] == []
    assert actions["2.2.1"]["labels"] == ["PCS"]


def test_fixture_budgets_sum_the_articles_and_keep_one_line_each():
    actions = {a["code"]: a for _, _, a in iter_actions(fixture_plan())}
    first = actions["1.1.1"]
    assert first["budget"] == 66234.5  # 1 234,50 + 45 000 + 20 000
    assert first["budget_text"].split("\n") == [
        "2025 · service ordinaire · dépense · article 831/124-06 · Fournitures pour l'accueil : "
        "1\u202f234,50\u00a0€",
        "2025 · service extraordinaire · dépense · article 831/723-60 · Travaux d'aménagement : "
        "45\u202f000,00\u00a0€",
        "2026 · service extraordinaire · recette · article 831/665-52 · Subside régional : "
        "20\u202f000,00\u00a0€",
    ]
    # a sub-action's article is its action's money
    assert actions["16"]["budget"] == 2500
    assert actions["16"]["budget_text"] == ("2026 · service ordinaire · dépense · article 104/123-48 · "
                                            "Formation du personnel : 2\u202f500,00\u00a0€")
    assert (actions["2.1.1"]["budget"], actions["2.1.1"]["budget_text"]) == (None, None)


def test_fixture_slug_and_base():
    assert read_ecomptes(fixture_bytes(), slug="exemple")["slug"] == "exemple"
    base = fixture_plan()
    base["slug"], base["organisation"], base["notes"] = "cpas-exemple", "CPAS d'Exemple", ["Note."]
    base["priority_scale"] = ["Haute"]
    first = base["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    first.update(priority="Haute", risks=["Hiver"], budget=1, budget_text="Un euro", project_lead="X")
    second = base["strategic_objectives"][0]["operational_objectives"][0]["actions"][2]
    second.update(budget=99, budget_text="Budget communal", project_lead="Service informatique")
    back = read_ecomptes(fixture_bytes(), base=base)
    assert (back["slug"], back["organisation"], back["notes"]) == ("cpas-exemple", "CPAS d'Exemple", ["Note."])
    got = back["strategic_objectives"][0]["operational_objectives"][0]["actions"]
    assert (got[0]["priority"], got[0]["risks"]) == ("Haute", ["Hiver"])
    assert (got[0]["budget"], got[0]["project_lead"]) == (66234.5, "Marie Dupont")  # the XML has them
    assert (got[2]["budget"], got[2]["budget_text"], got[2]["project_lead"]) == \
        (99, "Budget communal", "Service informatique")  # no Article, no Responsable: the base's


def test_type_admin_ac_is_accepted():
    plan = read_ecomptes(fixture_bytes().replace(b"<TypeAdmin>CPAS<", b"<TypeAdmin>AC<"))
    assert plan["ins_code"] == "99999"


# -- refusals ---------------------------------------------------------------------------------

def test_malformed_xml_is_refused_with_line_and_column():
    errors = refused(b'<?xml version="1.0"?>\n<dataroot>\n  <Identifiants>\n</dataroot>\n')
    assert errors == ["le fichier n'est pas un XML bien formé (ligne 4, colonne 3) : la balise fermante "
                      "ne correspond pas à la balise ouverte."]
    errors = refused(b"<dataroot><Libelle>caf&eacute;</Libelle></dataroot>")
    assert errors[0].startswith("le fichier n'est pas un XML bien formé (ligne 1, colonne 23) : entité non définie")
    assert refused(b"") == ["le fichier n'est pas un XML bien formé (ligne 1, colonne 1) : fichier vide ou "
                            "incomplet (aucun élément, ou élément non refermé)."]
    assert "encodage inconnu" in refused(b'<?xml version="1.0" encoding="klingon"?><dataroot/>')[0]


def test_external_entities_and_billion_laughs_are_refused():
    unsafe = ["le fichier XML déclare un DTD ou des entités : refusé par sécurité."]
    external = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                b"<dataroot>&e;</dataroot>")
    assert refused(external) == unsafe
    laughs = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n' + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, b"".join(b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"")
                                                 for _ in range(10)))
        for i in range(1, 10)
    ) + b"]>\n<dataroot>&lol9;</dataroot>"
    started = time.perf_counter()
    assert refused(laughs) == unsafe
    assert refused(b'<!DOCTYPE dataroot SYSTEM "http://example.invalid/x.dtd"><dataroot/>') == unsafe
    assert time.perf_counter() - started < 1


def test_a_huge_file_is_refused_before_parsing():
    data = b"<dataroot>" + b"<Plan>x</Plan>" * (50 * 1024 * 1024 // 14) + b"</dataroot>"
    assert len(data) > 49 * 1024 * 1024
    started = time.perf_counter()
    errors = refused(data)
    assert time.perf_counter() - started < 0.5  # parsing 50 MB takes seconds
    assert len(errors) == 1 and errors[0].startswith("le fichier fait 50,0 Mo ; la limite est de 5 Mo")


def test_a_foreign_root_type_or_version_is_refused():
    assert refused(b"<plan><slug>x</slug></plan>") == [
        "l'élément racine est <plan> ; un export PST eComptes commence par <dataroot>."]
    data = fixture_bytes()
    errors = refused(data.replace(b"<Version>201805V1<", b"<Version>202001V2<"))
    assert errors == ["élément /dataroot/Identifiants/Version : version « 202001V2 » non prise en charge : "
                      "seule la version 201805V1 du format eComptes est lue."]
    errors = refused(data.replace(b"<Type>PST<", b"<Type>PCDR<"))
    assert errors == ["élément /dataroot/Identifiants/Type : type « PCDR » : seul un export de type PST peut "
                      "être importé."]
    errors = refused(data.replace(b"<INS>99999<", b"<INS>123<"))
    assert errors == ["élément /dataroot/Identifiants/INS : code INS « 123 » invalide : cinq chiffres sont "
                      "attendus (ex. 52011)."]


def test_a_taux_out_of_range_is_refused_with_its_element():
    errors = refused(fixture_bytes().replace(b"<TauxAvancement>33.5<", b"<TauxAvancement>140<"))
    assert errors == [f"élément {FIRST_ACTION}/TauxAvancement : taux d'avancement 140 hors limites : il doit "
                      "être entre 0 et 100."]


def test_a_value_kept_otherwise_than_written_is_said_with_its_element():
    """eComptes writes decimals our fields do not hold (a taux of 33.5, 0.333 ETP, 12.345 €): each
    is kept rounded and said, with its element, before anything is imported; never in silence."""
    notices: list[str] = []
    plan = read_ecomptes(fixture_bytes(), "cpas_exemple.xml", notices=notices)
    other = FIRST_ACTION.replace("Volet[1]", "Volet[2]")
    assert notices == [f"élément {FIRST_ACTION}/TauxAvancement : taux d'avancement 33.5 arrondi à 34 % "
                       "(les taux sont entiers).",
                       f"élément {other}/TauxAvancement : taux d'avancement 45.25 arrondi à 45 % "
                       "(les taux sont entiers)."]
    assert next(a for _, _, a in iter_actions(plan) if a["code"] == "1.1.1")["progress"] == 34
    data = (fixture_bytes().replace(b"<TauxAvancement>33.5<", b"<TauxAvancement>1.10<")
            .replace(b"<ETP>1.5<", b"<ETP>0.333<").replace(b"<Montant>1234.5<", b"<Montant>1234.505<"))
    notices = []
    read_ecomptes(data, "cpas_exemple.xml", notices=notices)
    assert notices[:3] == [
        f"élément {FIRST_ACTION}/TauxAvancement : taux d'avancement 1.10 arrondi à 1 % (les taux sont entiers).",
        f"élément {FIRST_ACTION}/ETP : ETP 0.333 arrondi à 0,33 (deux décimales).",
        f"élément {FIRST_ACTION}/Articles/Article[1]/Montant : montant 1234.505 arrondi à 1\u202f234,51\u00a0€ "
        "(au cent).",
    ]
    whole = fixture_bytes().replace(b"<TauxAvancement>33.5<", b"<TauxAvancement>34<").replace(
        b"<TauxAvancement>45.25<", b"<TauxAvancement>45<")
    notices = []
    read_ecomptes(whole, "cpas_exemple.xml", notices=notices)
    assert notices == []


def test_the_rounded_values_are_listed_fifty_at_most():
    from pst_data.exchange.plan_file import notice_lines

    assert notice_lines([]) == []
    lines = notice_lines([f"élément {i}" for i in range(53)])
    assert lines[0] == "Repris autrement que dans le fichier (53) :"
    assert lines[1] == "  élément 0" and lines[50] == "  élément 49" and lines[51:] == ["  … et 3 autres."]


def test_bad_values_are_all_listed_with_their_elements():
    data = (fixture_bytes()
            .replace(b"<Statut>EN_COURS</Statut>\n                    <Responsable>",
                     b"<Statut>FINI</Statut>\n                    <Responsable>")
            .replace(b"<DateDebut>2025-01-15<", b"<DateDebut>15/01/2025<")
            .replace(b"<Montant>1234.5<", b"<Montant>1e3<")
            .replace(b"<Libelle>OS.2 - Lutter contre la pauvret\xe9 et l'exclusion<", b"<Libelle> <"))
    errors = refused(data)
    assert errors == [
        f"élément {FIRST_ACTION}/DateDebut : date « 15/01/2025 » invalide (format attendu : AAAA-MM-JJ).",
        f"élément {FIRST_ACTION}/Statut : statut « FINI » inconnu ; valeurs eComptes permises : NON_COMMENCE, "
        "EN_COURS, TERMINE, EN_ATTENTE, PROBLEME, ANNULE_ABANDONNE.",
        f"élément {FIRST_ACTION}/Articles/Article[1]/Montant : montant « 1e3 » n'est pas un nombre (ex. 12.5).",
        "élément /dataroot/PST/Volets/Volet[2]/ObjectifStrategiques/ObjectifStrategique[1]/Libelle : libellé "
        "manquant ou vide.",
    ]


def test_a_sub_action_without_its_action_is_refused():
    errors = refused(fixture_bytes().replace(b"A.16 - SA.17 - ", b"A.15 - SA.17 - "))
    place = FIRST_ACTION.replace("Action[1]", "Action[3]")
    assert errors == [f"élément {place}/Libelle : la sous-action SA.17 se rattache à l'action A.15, qui n'existe "
                      "pas dans cet objectif opérationnel (OO.1.1 ; actions : A.1.1.1, A.16, A.1.1.3)."]


def test_a_duplicate_action_code_is_refused():
    errors = refused(fixture_bytes().replace(b"A.1.2.1 - Mettre", b"A.1.1.1 - Mettre"))
    assert errors == ["OS 1 › OO 1.2 › action 1.1.1 : code en double : l'action 1.1.1 existe déjà sous "
                      "OS 1 › OO 1.1."]


# -- rich text, and the module stays light ----------------------------------------------------

def test_html_and_rtf_to_text():
    assert html_to_text("<p>a&nbsp;&amp; b</p><script>alert(1)</script><ol><li>un</li><li>deux</li></ol>") == \
        "a\u00a0& b\n\n- un\n- deux"
    assert html_to_text("x &lt;b&gt; <b>y</b>\n   z") == "x <b> y z"
    rtf = r"{\rtf1\ansi{\fonttbl{\f0 Arial;}}{\*\generator Riched20;}\f0 Caf\'e9 \u8364? 5\par {\b gras}\line fin\}}"
    assert rtf_to_text(rtf) == "Café € 5\ngras\nfin}"
    assert rtf_to_text("pas du RTF") == "pas du RTF"


def test_the_converter_imports_neither_the_database_nor_streamlit_nor_lxml():
    code = ("import sys\nimport pst_data.exchange.ecomptes\n"
            "print(sorted(m for m in ('sqlalchemy', 'streamlit', 'lxml', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=HERE.parents[1], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
