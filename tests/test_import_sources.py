"""The five plans in the database agree with their source documents.

The expected values are read from ../shared/seeds with small independent parsers here, not from
the plan files, so a transcription slip in pst_data/plans fails these tests.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Action, History, Label, OperationalObjective, Plan, StrategicObjective, SubAction
from pst_data.importer import export_plan


def _actions(session: Session, slug: str) -> dict[str, Action]:
    rows = session.scalars(
        select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
        .where(Plan.slug == slug)
    )
    return {a.code: a for a in rows}


def _count(session: Session, model, slug: str) -> int:
    query = select(func.count(model.id)).select_from(model)
    if model is StrategicObjective:
        query = query.join(Plan)
    elif model is OperationalObjective:
        query = query.join(StrategicObjective).join(Plan)
    return session.scalar(query.where(Plan.slug == slug))


def test_stated_totals_hold(seeded_engine):
    with Session(seeded_engine) as s:
        # Charleroi: "8 objectifs stratégiques, 29 objectifs opérationnels et 97 projets/actions
        # parmi lesquels 42 ont été jugés prioritaires".
        assert _count(s, StrategicObjective, "charleroi") == 8
        assert _count(s, OperationalObjective, "charleroi") == 29
        charleroi = _actions(s, "charleroi")
        assert len(charleroi) == 97
        assert sum(a.priority == "Niveau 1" for a in charleroi.values()) == 42
        # Binche: "47 projets composent notre PST", 9 OS.
        assert len(_actions(s, "binche")) == 47
        assert _count(s, StrategicObjective, "binche") == 9
        # Saint-Ghislain: "pas moins de 34 projets/actions".
        assert len(_actions(s, "saint-ghislain")) == 34
        assert _count(s, StrategicObjective, "saint-ghislain") == 3


def _charleroi_projects(text: str) -> dict[str, dict]:
    body = text[text.index("OBJECTIF STRATÉGIQUE N°1\n"):]
    heads = list(re.finditer(r"^(\d\.\d\.\d+)\. (.+)$", body, flags=re.M))
    projects = {}
    for head, nxt in zip(heads, heads[1:] + [None], strict=True):
        block = body[head.end(): nxt.start() if nxt else len(body)]
        block = re.split(r"^OBJECTIF (?:OPÉRATIONNEL|STRATÉGIQUE)", block, flags=re.M)[0]
        services = re.search(r"^Services impliqués : (.+)$", block, flags=re.M)
        projects[head[1]] = {
            "title": head[2].strip(),
            "priority": "Priorité du projet : Niveau 1" in block,
            "label": "Label : Etats généraux" in block,
            "services": services[1].strip() if services else None,
            "partners": "Partenaires extérieurs pressentis" in block,
        }
    return projects


def test_charleroi_every_project_matches_the_source(seeded_engine, seed_texts):
    projects = _charleroi_projects(seed_texts["charleroi"])
    assert len(projects) == 97
    with Session(seeded_engine) as s:
        actions = _actions(s, "charleroi")
        assert set(actions) == set(projects)
        for code, expected in projects.items():
            action = actions[code]
            assert action.title == expected["title"], code
            assert (action.priority == "Niveau 1") == expected["priority"], code
            assert ("États généraux" in [l.name for l in action.labels]) == expected["label"], code
            assert ", ".join(sv.name for sv in action.services) == expected["services"], code
            assert bool(action.partners) == expected["partners"], code
            assert action.progress is None and action.status is None


def test_charleroi_sample_fields(seeded_engine):
    with Session(seeded_engine) as s:
        a = _actions(s, "charleroi")["1.3.1"]
        assert a.title == "Permettre à nos usagers de prendre rendez-vous en ligne avec nos services"
        assert [sv.name for sv in a.services] == ["Service Informatique", "Tous les services"]
        assert a.partners == ["Ville de Charleroi"]
        assert a.description.startswith("Ce projet consiste à disposer d'une application")
        assert a.operational_objective.title == "Améliorer l'accueil du citoyen dans nos différents services"
        os_ = a.operational_objective.strategic_objective
        assert (os_.code, os_.title) == ("1", "Une action sociale plus proche du citoyen")
        # The labels announced for later exist from the start.
        assert {"États généraux", "PPI", "PGP"} <= set(s.scalars(select(Label.name)))


def _binche_fiches(text: str) -> dict[str, int | None]:
    fiches = re.split(r"FICHE ACTION [-–] ", text)[1:]
    out = {}
    for fiche in fiches:
        code = re.search(r"Libellé.*?(\d(?:\.\d+){3,4})\.?\s", fiche, flags=re.S)[1]
        rate = re.search(r"Taux d'avancement\s+(\d+)\s*%", fiche)
        out[code] = int(rate[1]) if rate else None
    return out


def test_binche_every_taux_matches_the_source(seeded_engine, seed_texts):
    fiches = _binche_fiches(seed_texts["binche"])
    assert len(fiches) == 47
    with Session(seeded_engine) as s:
        actions = _actions(s, "binche")
        assert {code: a.progress for code, a in actions.items()} == fiches


def test_binche_sample_fiche(seeded_engine):
    with Session(seeded_engine) as s:
        a = _actions(s, "binche")["1.1.1.1.1"]
        assert a.priority == "Très haute"
        assert (a.start_text, a.end_text) == ("2019", "2024")
        assert a.start_date.isoformat() == "2019-01-01" and a.end_date.isoformat() == "2024-12-31"
        assert a.progress == 80
        assert a.department == "Juridique/informatique"
        assert a.risks == [
            "Perte des télécommunications sur certains sites tant que la technologie n'est pas déployée",
            "Evolution constante de la technologie",
        ]
        assert a.project_lead == "Service Juridique"
        assert a.sub_actions[0].title.startswith("Prendre contact avec la société consultante, J2P")
        assert a.sub_actions[0].evaluation == "Planning réalisé pour passage dans les divers sites"
        b = _actions(s, "binche")["1.1.1.1.2"]
        assert b.end_text == "31/12/2024" and b.end_date.isoformat() == "2024-12-31"


def _saint_ghislain_table(text: str) -> dict[str, dict]:
    rows = {}
    for line in text.splitlines():
        match = re.match(r"<i>Action (\d\.\d\.\d+) : .*?</i>\t", line)
        if not match:
            continue
        cells = line.split("\t")
        flags = [c.strip() == "X" for c in cells[3:6]]
        status = [s for s, f in zip(("À programmer", "En cours", "Finalisé"), flags, strict=True) if f]
        rows[match[1]] = {"end_wording": cells[2].strip(), "status": status[0] if status else None}
    return rows


def test_saint_ghislain_statuses_match_the_table(seeded_engine, seed_texts):
    table = _saint_ghislain_table(seed_texts["saint-ghislain"])
    assert len(table) >= 30  # a few rows are broken across page breaks in the OCR
    with Session(seeded_engine) as s:
        actions = _actions(s, "saint-ghislain")
        for code, row in table.items():
            assert actions[code].status == row["status"], code
            digits = re.findall(r"\d{4}", row["end_wording"])
            if digits:
                assert actions[code].end_date.year == int(max(digits)), code
        assert actions["1.1.1"].status == "En cours"
        assert actions["1.1.2"].status == "À programmer"
        assert actions["1.1.1"].operational_objective.indicators == [
            "Taux de satisfaction de nos bénéficiaires entre le début et la fin de la mandature"
        ]
        assert actions["1.1.1"].operational_objective.strategic_objective.axis == "Développer"


def test_ecaussinnes_codes_and_sub_actions(seeded_engine, seed_texts):
    text = seed_texts["ecaussinnes"]
    printed = re.findall(r"Action (\d+) ?\.(\d+)\.(\d+)\s*:", text)
    printed_codes = [".".join(p) for p in printed]
    with Session(seeded_engine) as s:
        actions = _actions(s, "ecaussinnes")
        # The document prints 4.3.2 twice; the first (under OO 4.2) was recoded 4.2.2.
        assert sorted(actions) == sorted(set(printed_codes) | {"4.2.2"})
        assert len(actions) == len(printed_codes)
        subs = s.scalars(select(SubAction.code).join(Action).where(Action.code == "2.2.3")
                         .join(OperationalObjective).join(StrategicObjective).join(Plan)
                         .where(Plan.slug == "ecaussinnes").order_by(SubAction.position)).all()
        assert subs == ["2.2.3.A", "2.2.3.B", "2.2.3.C"]
        empty = s.scalars(select(OperationalObjective.code).join(StrategicObjective).join(Plan)
                          .where(Plan.slug == "ecaussinnes", ~OperationalObjective.actions.any())).all()
        assert {"2.4", "2.5"} <= set(empty)
        assert actions["1.1.3"].title == (
            "Faire un état des lieux de l'ensemble des ressources patrimoniales sur le territoire communal"
        )


def test_bernissart_counts_match_the_source(seeded_engine, seed_texts):
    text = seed_texts["bernissart"]
    # Headings are printed "**Objectif stratégique :**" or "**Objectif stratégique** :".
    os_count = len(re.findall(r"Objectif [sS]tratégique(?:\*\*)? :", text))
    oo_count = len(re.findall(r"Objectif opérationnel(?:\*\*)? :", text))
    with Session(seeded_engine) as s:
        assert _count(s, StrategicObjective, "bernissart") == os_count == 30
        assert _count(s, OperationalObjective, "bernissart") == oo_count == 42
        actions = _actions(s, "bernissart")
        assert len(actions) == 128
        assert actions["1.1.1"].operational_objective.strategic_objective.axis.startswith("Volet interne")


def test_import_writes_an_initial_history_entry_per_action(seeded_engine):
    with Session(seeded_engine) as s:
        actions = s.scalar(select(func.count(Action.id)))
        initial = s.scalar(select(func.count(History.id)).where(History.kind == "import",
                                                                History.field == "progress"))
        assert initial == actions == 97 + 47 + 128 + 34 + 96


def test_a_new_plan_s_actions_are_each_written_in_one_insert(empty_engine, plan_files):
    """A new action has nothing to read back (its labels, services and sub-actions are empty
    until given) and nothing to update after its INSERT: the five plans' 402 actions take 402
    INSERTs and no other statement on the actions table, nor any read of their sub-actions."""
    from sqlalchemy import event

    from pst_data.exchange.plan_file import iter_actions
    from pst_data.services.imports import import_plan

    statements: list[str] = []
    event.listen(empty_engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_rest: statements.append(" ".join(statement.split())))
    for data in plan_files.values():
        import_plan(empty_engine, data)
    on_actions = [s for s in statements if re.match(r"(INSERT INTO|UPDATE|DELETE FROM) actions\b", s)]
    assert len(on_actions) == 97 + 47 + 128 + 34 + 96
    assert all(s.startswith("INSERT INTO actions ") for s in on_actions)
    assert not [s for s in statements if "FROM sub_actions" in s or "FROM action_services" in s]
    with Session(empty_engine) as s:  # and what they hold is what the files say (the test below, in short)
        assert s.scalar(select(func.count(SubAction.id))) == sum(
            len(a["sub_actions"]) for plan in plan_files.values() for _os, _oo, a in iter_actions(plan))


@pytest.mark.parametrize("slug", ["charleroi", "binche", "bernissart", "saint-ghislain", "ecaussinnes"])
def test_database_holds_exactly_the_plan_file(seeded_engine, plan_files, slug):
    with Session(seeded_engine) as s:
        assert export_plan(s, slug) == plan_files[slug]
