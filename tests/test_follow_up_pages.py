"""The follow-up pages (AppTest): « Mes actions », « Bureau et relances », and the overview's
answer to « who has not updated since the last Bureau? »."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, History, Meeting
from pst_data import accounts, queries, services
from pst_data.meetings import add_meeting
from pst_data.uow import Operator
from tests.conftest import TODAY
from tests.pages_support import no_exception, open_page
from tests.people import DOMINIQUE, PASSWORD
from tests.smtp_server import smtp_server

SETUP = Operator("préparation des tests")


@pytest.fixture
def binche(app_db_url):
    """Binche with Doublet's account (chef de projet of four actions, with an e-mail)."""
    engine = make_engine(app_db_url)
    accounts.create_account(engine, SETUP, "m.doublet", "chef", name="Marc Doublet", email="m.doublet@cpas-binche.be",
                            plans=["binche"], password=PASSWORD)
    with Session(engine) as s:
        plan = queries.find_plan(s, slug="binche")
    accounts.link_lead(engine, SETUP, plan["id"], "DOUBLET M.", accounts.active_actor(engine, "m.doublet").account_id)
    yield app_db_url, engine, plan
    engine.dispose()


def _rows(engine, plan_id):
    with Session(engine) as s:
        doublet = accounts.active_actor(engine, "m.doublet")
        return queries.my_actions(s, doublet.account_id, doublet.plan_ids, TODAY)


def _save(at):
    next(b for b in at.button if b.label == "Enregistrer mes actions").click()
    return at.run()


def test_a_chef_updates_three_actions_in_one_save(binche):
    url, engine, plan = binche
    at = open_page("pages/12_Mes_actions.py", url, login="m.doublet")
    no_exception(at)
    assert any("CPAS de Binche · aucun Bureau à venir au calendrier · 4 actions à mettre à jour sur 4" in m.value
               for m in at.markdown)
    mine = _rows(engine, plan["id"])
    key = "my_actions_1"
    # One bad cell among good ones: nothing is saved, and the cell is named.
    at.session_state[key] = {"edited_rows": {0: {"Taux": "7,5"}, 1: {"Santé": "En difficulté"}},
                             "added_rows": [], "deleted_rows": []}
    at = _save(at)
    errors = " ".join(e.value for e in at.error)
    assert "Rien n'a été enregistré" in errors and "7,5" in errors and "indiquez-en la raison" in errors
    with Session(engine) as s:
        assert s.scalar(select(History.id).where(History.changed_by == "Marc Doublet")) is None

    hostile = "![](http://127.0.0.1:9/x.png) **gras** <b>x</b>"
    at.session_state[key] = {"edited_rows": {
        0: {"Taux": "70"}, 1: {"Santé": "En difficulté", "Raison (santé)": "Marché public infructueux"},
        2: {"Commentaire": hostile}}, "added_rows": [], "deleted_rows": []}
    at = _save(at)
    no_exception(at)
    codes = mine["code"].tolist()
    assert any(f"3 actions enregistrées : {', '.join(codes[:3])}." in s.value for s in at.success)
    with Session(engine) as s:
        rows = s.execute(select(History.action_code, History.field, History.new_value)
                         .where(History.changed_by == "Marc Doublet").order_by(History.id)).all()
        assert [tuple(r) for r in rows] == [
            (codes[0], "progress", "70"), (codes[1], "health", "En difficulté"),
            (codes[1], "health_reason", "Marché public infructueux"), (codes[2], "comment", hostile)]
        assert s.get(Action, int(mine["id"].iloc[2])).comment == hostile  # saved as typed


def test_mes_actions_without_an_account_or_without_actions(binche):
    url, _engine, _plan = binche
    at = open_page("pages/12_Mes_actions.py", url)
    assert any("connectez-vous" in i.value for i in at.info)
    at = open_page("pages/12_Mes_actions.py", url, login="dominique.dir")
    assert any("Aucune action n'est reliée à votre compte" in i.value for i in at.info)


def test_the_overview_says_who_has_not_updated_since_the_last_bureau(binche, set_now):
    url, engine, plan = binche
    later = dt.datetime.combine(TODAY + dt.timedelta(days=30), dt.time(10, 0))
    set_now(later)
    add_meeting(engine, DOMINIQUE, plan["id"], "bureau", later.date() - dt.timedelta(days=20))
    add_meeting(engine, DOMINIQUE, plan["id"], "bureau", later.date() + dt.timedelta(days=3))
    mine = _rows(engine, plan["id"])
    first = mine.iloc[0]
    services.update_action(engine, int(first["id"]), int(first["version"]), {"progress": "90"},
                           accounts.active_actor(engine, "m.doublet"))
    at = open_page("dashboard.py", url, plan="binche")
    no_exception(at)
    last = (later.date() - dt.timedelta(days=20)).strftime("%d/%m/%Y")
    assert any(h.value == "Mises à jour depuis le dernier Bureau" for h in at.subheader)
    figures = {m.label: m.value for m in at.metric}
    assert figures["À jour"] == "1 / 47" and figures["Pas encore"] == "46"
    per_lead = next(d.value for d in at.dataframe if "Chef de projet" in d.value.columns and "Pas à jour" in d.value.columns)
    doublet = per_lead[per_lead["Chef de projet"] == "DOUBLET M."].iloc[0]
    assert (doublet["Actions suivies"], doublet["À jour"], doublet["Pas à jour"]) == (4, 1, 3)
    assert first["code"] not in doublet["À mettre à jour"]
    assert any(f"depuis le Bureau du {last}" in c.value for c in at.caption)
    # The trend of the key figures now counts from that Bureau too.
    assert any(f"Évolution depuis le Bureau du {last}" in c.value for c in at.caption)


def test_bureau_page_keeps_the_calendar_and_refuses_bad_settings(binche):
    url, engine, plan = binche
    at = open_page("pages/13_Bureau_et_relances.py", url, login="dominique.dir", plan="binche")
    no_exception(at)
    assert any("Aucune réunion au calendrier" in i.value for i in at.info)
    at.date_input[0].set_value(dt.date(2026, 12, 15))
    next(b for b in at.button if b.label == "Ajouter au calendrier").click()
    at.run()
    no_exception(at)
    assert any("Bureau du 15/12/2026 ajouté au calendrier." in s.value for s in at.success)
    with Session(engine) as s:
        assert s.scalar(select(Meeting.held_on)) == dt.date(2026, 12, 15)
    stale = next(t for t in at.text_input if t.label == "Non mise à jour après (jours)")
    stale.set_value("1e308")
    next(b for b in at.button if b.label == "Enregistrer les réglages").click()
    at.run()
    assert any("un nombre entier de 1 à 3650 est attendu (reçu « 1e308 »)" in e.value for e in at.error)
    # The schedule thresholds: « très en retard » must stay below « dans les temps ».
    stale = next(t for t in at.text_input if t.label == "Non mise à jour après (jours)")
    stale.set_value("60")
    next(t for t in at.text_input if t.label == "Dans les temps à partir de (% du taux attendu)").set_value("80")
    next(t for t in at.text_input if t.label == "Très en retard sous (% du taux attendu)").set_value("85")
    next(b for b in at.button if b.label == "Enregistrer les réglages").click()
    at.run()
    assert any("doit être inférieur à « Dans les temps à partir de » (80 %)" in e.value for e in at.error)
    next(t for t in at.text_input if t.label == "Très en retard sous (% du taux attendu)").set_value("70")
    next(b for b in at.button if b.label == "Enregistrer les réglages").click()
    at.run()
    no_exception(at)
    with Session(engine) as s:
        saved = queries.find_plan(s, slug="binche")
    assert (saved["schedule_on_track"], saved["schedule_behind"]) == (80, 70)
    # A lecteur reads the calendar, and gets no form.
    reader = open_page("pages/13_Bureau_et_relances.py", url, login="lea.lecteur", plan="binche")
    no_exception(reader)
    assert not any(b.label == "Ajouter au calendrier" for b in reader.button)


def test_relancer_from_the_page_sends_the_message_shown(binche, set_now, monkeypatch):
    url, engine, plan = binche
    later = dt.datetime.combine(TODAY + dt.timedelta(days=30), dt.time(10, 0))
    set_now(later)
    add_meeting(engine, DOMINIQUE, plan["id"], "bureau", later.date() - dt.timedelta(days=20))
    with smtp_server() as (mailbox, _settings, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        at = open_page("pages/13_Bureau_et_relances.py", url, login="dominique.dir", plan="binche")
        no_exception(at)
        preview = next(t.value for t in at.text if t.value.startswith("Objet : "))
        assert "Bonjour Marc Doublet," in preview
        next(b for b in at.button if b.label == "Relancer cette personne").click()
        at.run()
        no_exception(at)
        # Shown escaped (an address is not a link, <…> not HTML): compare what the eye reads.
        assert any("Relance envoyée : Marc Doublet <m.doublet@cpas-binche.be> : 4 actions."
                   in s.value.replace("\\", "").replace("\u2060", "") for s in at.success)
        assert len(mailbox.messages) == 1
        sent = mailbox.messages[0].get_content().replace("\r\n", "\n").strip()
        assert sent == preview.split("\n\n", 1)[1].strip()
        assert "fera le point sur le Programme stratégique transversal (CPAS de Binche) lors de sa prochaine séance." in sent


def test_evaluation_page_lists_the_synergies_and_marks_the_suggested_ones(app_db_url):
    at = open_page("pages/8_Évaluation.py", app_db_url, login="bob", plan="charleroi")
    no_exception(at)
    assert any(m.value == "Aucune action n'est marquée comme synergie Ville–CPAS." for m in at.markdown)
    button = next(b for b in at.button if b.label.startswith("Marquer ces "))
    count = int(button.label.split()[2])
    button.click()
    at.run()
    no_exception(at)
    assert any(f"{count} actions marquées comme synergies Ville–CPAS." in s.value for s in at.success)
    assert any(m.value.startswith(f"{count} actions sur 97 menées avec la commune") for m in at.markdown)
    synergies = next(d.value for d in at.dataframe if "Partenaires" in d.value.columns and "Taux" in d.value.columns)
    assert len(synergies) == count
    # The sidebar filter (and its link) narrows every page to them.
    overview = open_page("dashboard.py", app_db_url, plan="charleroi", commune="1")
    assert {m.label: m.value for m in overview.metric}["Actions"] == str(count)
    reader = open_page("pages/8_Évaluation.py", app_db_url, login="lea.lecteur", plan="charleroi")
    assert not any(b.label.startswith("Marquer ces ") for b in reader.button)


def test_the_journal_opens_on_the_changes_since_the_last_bureau(binche):
    url, engine, plan = binche
    add_meeting(engine, DOMINIQUE, plan["id"], "bureau", TODAY - dt.timedelta(days=5))
    at = open_page("pages/6_Journal.py", url, login="dominique.dir", plan="binche")
    button = next(b for b in at.button if b.label.startswith("Depuis le dernier Bureau"))
    assert button.label == f"Depuis le dernier Bureau ({TODAY - dt.timedelta(days=5):%d/%m/%Y})"
    button.click()
    at.run()
    no_exception(at)
    assert at.date_input(key="journal_period").value == (TODAY - dt.timedelta(days=4), TODAY)


def test_chefs_addresses_are_shown_to_the_directeur_only(binche, set_now):
    url, engine, plan = binche
    later = dt.datetime.combine(TODAY + dt.timedelta(days=30), dt.time(10, 0))
    set_now(later)
    add_meeting(engine, DOMINIQUE, plan["id"], "bureau", later.date() - dt.timedelta(days=20))
    for login, sees in (("dominique.dir", True), ("lea.lecteur", False), (None, False)):
        at = open_page("pages/13_Bureau_et_relances.py", url, login=login, plan="binche")
        no_exception(at)
        late = next(d.value for d in at.dataframe if "Actions à mettre à jour" in d.value.columns)
        assert ("Adresse e-mail" in late.columns) is sees, login
        assert "Marc Doublet" in late["Chef de projet"].tolist()
