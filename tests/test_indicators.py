"""Indicators that measure: the rules (numbers as people type them, progress towards a target),
the writes on both backends (who may define, who may measure, the history), the page and the
evaluation report."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, History, IndicatorValue
from pst_data import accounts, queries, services
from pst_data.indicator_store import delete_indicator, plan_indicators, record_value, save_indicator
from pst_data.rules.errors import EditError
from pst_data.rules.indicators import indicator_row, indicator_summary, parse_value, progress_towards
from pst_data.uow import Operator
from tests.conftest import TODAY
from tests.pages_support import no_exception, open_page
from tests.people import BOB, CHRIS, LEA

SETUP = Operator("préparation des tests")


@pytest.mark.parametrize("typed, expected", [
    ("1 234,5", Decimal("1234.5")), ("1234.5", Decimal("1234.5")), ("12 %", Decimal("12")), ("-3", Decimal("-3")),
    ("1\u202f000", Decimal("1000")), (7, Decimal("7")),
])
def test_a_value_is_read_as_people_type_it(typed, expected):
    assert parse_value(typed, "Valeur mesurée", "value") == expected


@pytest.mark.parametrize("typed, message", [
    ("abc", "n'est pas un nombre"), ("1e308", "n'est pas un nombre"), ("7,5,1", "n'est pas un nombre"),
    ("1,23456", "4 décimales au plus"), ("9999999999999", "hors limites"), ("", "indiquez une valeur"),
    ("NaN", "n'est pas un nombre"), ("١٢", "n'est pas un nombre"),
])
def test_a_value_that_is_not_a_number_is_refused_naming_the_field(typed, message):
    with pytest.raises(EditError) as refused:
        parse_value(typed, "Valeur mesurée", "value")
    assert refused.value.errors[0].startswith("« Valeur mesurée » :") and message in refused.value.errors[0]
    assert refused.value.fields == ["value"]


def test_progress_towards_the_target_works_up_and_down():
    assert progress_towards(Decimal(100), Decimal(150), Decimal(140)) == 80.0
    assert progress_towards(Decimal(30), Decimal(10), Decimal(25)) == 25.0  # reduce a delay from 30 to 10 days
    assert progress_towards(None, Decimal(200), Decimal(50)) == 25.0  # no baseline: from 0
    assert progress_towards(Decimal(5), Decimal(5), Decimal(7)) is None
    assert progress_towards(Decimal(5), None, Decimal(7)) is None
    indicator = {"label": "Bénéficiaires", "unit": "personnes", "baseline": Decimal(100), "baseline_year": 2019,
                 "target": Decimal(150), "target_year": 2024,
                 "values": [{"measured_on": dt.date(2026, 11, 30), "value": Decimal("140.0000")}]}
    assert indicator_row(indicator) == {
        "Indicateur": "Bénéficiaires", "Départ": "100 personnes (2019)", "Cible": "150 personnes (2024)",
        "Dernière mesure": "140 personnes au 30/11/2026", "Vers la cible": "80\u00a0%"}
    assert indicator_summary(indicator) == \
        "Bénéficiaires : 140 personnes au 30/11/2026 → cible 150 personnes (2024) · 80\u00a0%"


def _saint_ghislain(engine):
    with Session(engine) as s:
        plan = queries.find_plan(s, slug="saint-ghislain")
        objectives = queries.objectives_frame(s, plan["id"])
        actions = queries.actions_frame(s, plan, TODAY)
    return plan, objectives, actions


def test_a_directeur_defines_an_oo_indicator_and_people_measure_it(seeded_engine):
    plan, objectives, actions = _saint_ghislain(seeded_engine)
    oo = objectives.dropna(subset=["oo_id"]).iloc[0]
    values = {"label": "Ménages accompagnés ![](http://127.0.0.1:9/x.png)", "unit": "ménages", "baseline": "120",
              "baseline_year": "2019", "target": "1 200", "target_year": "2024"}
    for someone in (CHRIS, LEA):
        with pytest.raises(EditError):
            save_indicator(seeded_engine, someone, values, oo_id=int(oo["oo_id"]))
    with pytest.raises(EditError) as refused:
        save_indicator(seeded_engine, BOB, {**values, "target": "beaucoup", "target_year": "20244", "label": " "},
                       oo_id=int(oo["oo_id"]))
    assert refused.value.fields == ["label", "target", "target_year"]
    indicator_id = save_indicator(seeded_engine, BOB, values, oo_id=int(oo["oo_id"]))
    record_value(seeded_engine, BOB, indicator_id, "30/06/2026", "600", "Rapport semestriel")
    record_value(seeded_engine, BOB, indicator_id, dt.date(2026, 11, 30), "700")
    record_value(seeded_engine, BOB, indicator_id, dt.date(2026, 11, 30), "660")  # same day: replaces
    for bad_day in ("31/02/2026", "demain"):
        with pytest.raises(EditError, match="Date de la mesure"):
            record_value(seeded_engine, BOB, indicator_id, bad_day, "1")
    with pytest.raises(EditError):  # the OO's indicator is not Chris's to measure
        record_value(seeded_engine, CHRIS, indicator_id, "01/12/2026", "700")
    with Session(seeded_engine) as s:
        found = next(i for i in plan_indicators(s, plan["id"]) if i["id"] == indicator_id)
        history = s.execute(select(History.entity, History.action_code, History.field, History.new_value)
                            .where(History.plan_id == plan["id"], History.field.in_(["indicator", "measure"]))
                            .order_by(History.id)).all()
        last_change = s.scalar(select(History.change_id).order_by(History.id.desc()).limit(1))
    assert found["label"] == values["label"]  # kept as typed (shown as text)
    assert [(v["measured_on"], v["value"]) for v in found["values"]] == [
        (dt.date(2026, 6, 30), Decimal("600")), (dt.date(2026, 11, 30), Decimal("660"))]
    assert indicator_row(found)["Vers la cible"] == "50\u00a0%"  # (660 − 120) / (1 200 − 120)
    assert [tuple(h)[:3] for h in history] == [("oo", oo["oo_code"], "indicator")] + \
        [("oo", oo["oo_code"], "measure")] * 3
    assert history[-1].new_value.endswith(": 660 ménages au 30/11/2026")
    with pytest.raises(EditError, match="page « Indicateurs »"):
        services.undo_change(seeded_engine, last_change, BOB)
    delete_indicator(seeded_engine, BOB, indicator_id)
    with Session(seeded_engine) as s:
        assert s.scalar(select(IndicatorValue.id)) is None


def test_a_chef_measures_the_indicators_of_the_actions_they_lead(seeded_engine):
    plan, _objectives, actions = _saint_ghislain(seeded_engine)
    led, other = actions.iloc[0], actions.iloc[1]
    with Session(seeded_engine) as s:
        s.execute(Action.__table__.update().where(Action.id == int(led["id"])).values(lead_account_id=CHRIS.account_id))
        s.commit()
    accounts.update_account(seeded_engine, SETUP, CHRIS.login, plans=["saint-ghislain"])
    chris = accounts.active_actor(seeded_engine, CHRIS.login)
    mine = save_indicator(seeded_engine, BOB, {"label": "Dossiers traités", "target": "50"}, action_id=int(led["id"]))
    theirs = save_indicator(seeded_engine, BOB, {"label": "Visites", "target": "10"}, action_id=int(other["id"]))
    record_value(seeded_engine, chris, mine, TODAY, "12")
    with pytest.raises(EditError, match="chef de projet"):
        record_value(seeded_engine, chris, theirs, TODAY, "3")
    with pytest.raises(EditError):
        save_indicator(seeded_engine, chris, {"label": "Autre"}, action_id=int(led["id"]))
    with Session(seeded_engine) as s:
        row = s.execute(select(History.changed_by, History.entity, History.action_code)
                        .where(History.field == "measure")).one()
    assert tuple(row) == ("Chris Chef", "action", led["code"])


def test_the_indicators_page_and_the_report(app_db_url):
    engine = make_engine(app_db_url)
    plan, objectives, _actions = _saint_ghislain(engine)
    oo = objectives.dropna(subset=["oo_id"]).iloc[0]
    at = open_page("pages/14_Indicateurs.py", app_db_url, login="bob", plan="saint-ghislain")
    no_exception(at)
    assert any("Aucun indicateur mesuré pour ce plan." in i.value for i in at.info)
    next(t for t in at.text_input if t.label == "Indicateur").set_value("Ménages accompagnés")
    next(t for t in at.text_input if t.label == "Unité").set_value("ménages")
    next(t for t in at.text_input if t.label == "Cible").set_value("abc")
    next(b for b in at.button if b.label == "Enregistrer l'indicateur").click()
    at.run()
    assert any("« Cible » : « abc » n'est pas un nombre" in e.value for e in at.error)
    next(t for t in at.text_input if t.label == "Cible").set_value("1 200")
    next(t for t in at.text_input if t.label == "Année de la cible").set_value("2024")
    next(b for b in at.button if b.label == "Enregistrer l'indicateur").click()
    at.run()
    no_exception(at)
    assert any("Indicateur « Ménages accompagnés » défini." in s.value for s in at.success)
    next(t for t in at.text_input if t.label == "Valeur mesurée").set_value("300")
    next(b for b in at.button if b.label == "Enregistrer la mesure").click()
    at.run()
    no_exception(at)
    table = next(d.value for d in at.dataframe if "Vers la cible" in d.value.columns)
    assert table.iloc[0]["Dernière mesure"] == f"300 ménages au {TODAY:%d/%m/%Y}"
    assert table.iloc[0]["Vers la cible"] == "25\u00a0%" and table.iloc[0]["OO"] == oo["oo_code"]
    # The OO shows it in Objectifs; the report has it on its OS page, as it stood on the report's day.
    objectifs = open_page("pages/1_Objectifs.py", app_db_url, plan="saint-ghislain")
    assert any("Ménages accompagnés : 300 ménages" in " ".join(d.value.get("Indicateurs mesurés", []).astype(str))
               for d in objectifs.dataframe)
    from pst_data.exports.report import evaluation_report

    with Session(engine) as s:
        now = evaluation_report(s, plan, "finale", TODAY, TODAY)
        before = evaluation_report(s, plan, "finale", TODAY - dt.timedelta(days=1), TODAY)
    engine.dispose()

    def text(pdf):
        return " ".join(re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Indicateurs de résultat des objectifs opérationnels" in text(now)
    assert f"300 ménages au {TODAY:%d/%m/%Y}" in text(now)
    assert "aucune mesure" in text(before)


def test_an_indicator_goes_to_the_action_chosen_on_the_page(app_db_url):
    engine = make_engine(app_db_url)
    plan, _objectives, actions = _saint_ghislain(engine)
    chosen = actions.iloc[3]
    at = open_page("pages/14_Indicateurs.py", app_db_url, login="bob", plan="saint-ghislain")
    at.radio(key="indicator_owner_kind").set_value("action").run()
    at.selectbox(key="indicator_owner_action").set_value(int(chosen["id"])).run()
    next(t for t in at.text_input if t.label == "Indicateur").set_value("Visites à domicile")
    next(b for b in at.button if b.label == "Enregistrer l'indicateur").click()
    at.run()
    no_exception(at)
    with Session(engine) as s:
        saved = next(i for i in plan_indicators(s, plan["id"]) if i["label"] == "Visites à domicile")
    engine.dispose()
    assert (saved["action_id"], saved["action_code"]) == (int(chosen["id"]), chosen["code"])
