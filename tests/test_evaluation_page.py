"""The Évaluation page (AppTest): figures as of a past day, taking and comparing snapshots."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from db.engine import make_engine
from db.models import History
from pst_data import services
from ui import data
from tests.pages_support import metrics, no_exception, open_page
from tests.test_edit_pages import action, sign_in
from tests.people import PAUL


def test_snapshot_taken_on_the_page_then_compared_after_an_edit(app_db_url):
    at = open_page("pages/8_Évaluation.py", app_db_url, plan="binche")
    no_exception(at)
    assert at.title[0].value == "Évaluation du PST"
    assert metrics(at)["Taux moyen aujourd'hui"] == "58,9\u00a0%"
    assert any("Aucun instantané pour ce plan" in i.value for i in at.info)
    at = sign_in(at)
    next(t for t in at.text_input if t.label == "Nom").input("Évaluation mi-législature 2021")
    next(b for b in at.button if b.label == "Figer l'état du plan").click()
    at.run()
    no_exception(at)
    assert any("Instantané « Évaluation mi-législature 2021 » enregistré" in s.value for s in at.success)
    listed = at.dataframe[0].value
    assert listed["Nom"].tolist() == ["Évaluation mi-législature 2021"] and listed["Actions"].tolist() == [47]
    assert listed["Note"].tolist() == [""]  # no note: an empty cell, not "None"

    engine = make_engine(app_db_url)
    a = action(engine, "binche", "1.1.1.1.1")
    services.set_progress(engine, a.id, a.version, 95, PAUL)
    engine.dispose()
    data.revisions.clear()  # what the one-second revision poll would notice
    at.run()
    per_os, per_action = at.dataframe[1].value, at.dataframe[2].value
    assert per_action["Code"].tolist() == ["1.1.1.1.1"]  # only what moved
    assert per_action.iloc[0][[c for c in per_action.columns if c.startswith("Taux au")][0]] == "80\u00a0%"
    assert per_action.iloc[0]["Taux aujourd'hui"] == "95\u00a0%" and per_action.iloc[0]["Écart"] == "+15\u00a0pts"
    assert per_os.iloc[0]["Écart"] == "+0,8\u00a0pt"  # 15 points over the 18 actions of OS 1.1


def test_empty_snapshot_name_is_refused(app_db_url):
    at = sign_in(open_page("pages/8_Évaluation.py", app_db_url, plan="binche"))
    next(b for b in at.button if b.label == "Figer l'état du plan").click()
    at.run()
    assert any("Donnez un nom à l'instantané" in e.value for e in at.error)
    assert any("Aucun instantané pour ce plan" in i.value for i in at.info)


def test_figures_as_of_a_past_day(app_db_url):
    engine = make_engine(app_db_url)
    with engine.begin() as conn:
        conn.execute(update(History).values(changed_at=dt.datetime(2021, 1, 15, 9)))
    a = action(engine, "binche", "1.1.1.1.1")
    result = services.set_progress(engine, a.id, a.version, 33, PAUL)
    with engine.begin() as conn:
        conn.execute(update(History).where(History.change_id == result.change_id)
                     .values(changed_at=dt.datetime(2025, 1, 15, 9)))
    engine.dispose()
    at = open_page("pages/8_Évaluation.py", app_db_url, plan="binche")
    now = metrics(at)["Taux moyen aujourd'hui"]
    next(d for d in at.date_input if d.label == "Situation au").set_value(dt.date(2024, 12, 31))
    at.run()
    no_exception(at)
    assert metrics(at)["Taux moyen au 31/12/2024"] == "58,9\u00a0%" and now != "58,9\u00a0%"
