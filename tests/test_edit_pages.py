"""Editing through the pages (AppTest): quick edit, conflict, bulk edit, undo; the dashboard
shows the new figures right after."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, History, OperationalObjective, Plan, StrategicObjective
from pst_data import services
from tests.pages_support import metrics, no_exception, open_page, sign_in
from tests.people import ALICE


@pytest.fixture
def db(app_db_url):
    url = app_db_url
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def action(engine, slug, code) -> Action:
    with Session(engine) as s:
        return s.scalars(select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                         .where(Plan.slug == slug, Action.code == code)).one()


def press(at, label: str) -> None:
    """Click the button with this label and run the page; it must run without error."""
    next(b for b in at.button if b.label == label).click()
    at.run()
    no_exception(at)


def quick_form(at):
    number = next(t for t in at.text_input if t.label == "Taux d'avancement (%)")
    comment = next(t for t in at.text_input if t.label == "Note pour le journal (facultatif)")
    save = next(b for b in at.button if b.label == "Enregistrer le taux")
    return number, comment, save


def test_quick_edit_from_objectifs_updates_the_dashboard(db):
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.1")
    at = open_page("pages/1_Objectifs.py", url, plan="binche", action=str(a.id))
    no_exception(at)
    at = sign_in(at)
    number, comment, save = quick_form(at)
    assert number.value == "80"
    number.input("100")
    comment.input("Marché attribué et installé")
    save.click()
    at.run()
    no_exception(at)
    assert any("Enregistré : 1.1.1.1.1 → 100 %" in s.value for s in at.success)
    assert any("passer son statut à « Finalisé »" in i.value for i in at.info)
    assert metrics(at)["Taux d'avancement"] == "100\u00a0%"
    next(b for b in at.button if b.label == "Oui, passer à « Finalisé »").click()
    at.run()
    assert action(engine, "binche", "1.1.1.1.1").status == "Finalisé"
    with Session(engine) as s:
        rows = s.execute(select(History.field, History.new_value, History.changed_by, History.comment)
                         .where(History.action_id == a.id, History.kind == "update").order_by(History.id)).all()
    assert rows == [("progress", "100", "Claire Martin", "Marché attribué et installé"),
                    ("status", "Finalisé", "Claire Martin", None)]
    # The overview, in the same session, shows the new mean (2770 - 80 + 100) / 47.
    at.switch_page("dashboard.py").run()
    assert metrics(at)["Taux d'avancement moyen"] == "59,4\u00a0%"
    assert metrics(at)["Finalisées (statut)"] == "1"


@pytest.mark.parametrize("login", [None, "lea.lecteur", "chris.chef"], ids=["anonymous", "lecteur", "chef-of-nothing-here"])
def test_no_edit_control_without_the_right_to_edit(db, login):
    """Without an account, as a lecteur, or as the directeur of another plan: Mise à jour says
    why and offers nothing to save; a fiche has no quick edit."""
    url, engine = db
    a = action(engine, "charleroi", "1.1.1")
    at = open_page("pages/5_Mise_à_jour.py", url, login=login, plan="charleroi")
    no_exception(at)
    assert any("il faut un compte de directeur" in i.value or "n'est liée à votre compte" in i.value for i in at.info)
    assert not [b for b in at.button if b.label.startswith("Enregistrer")]
    at = open_page("pages/1_Objectifs.py", url, login=login, plan="charleroi", action=str(a.id))
    no_exception(at)
    assert not [t for t in at.text_input if t.label == "Taux d'avancement (%)"]
    assert not [b for b in at.button if b.label.startswith("Enregistrer")]


def test_conflict_shows_the_other_change_and_can_reapply(db):
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.2")
    at = sign_in(open_page("pages/1_Objectifs.py", url, plan="binche", action=str(a.id)), "Bob")
    number, _, save = quick_form(at)
    # Meanwhile Alice saves the same action from another session.
    services.set_progress(engine, a.id, a.version, 55, ALICE, "Réunion du 12")
    number.input("45")
    save.click()
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert "modifiée par quelqu'un d'autre" in errors
    assert "Alice : Taux d'avancement « 40 » → « 55 »" in errors
    assert action(engine, "binche", "1.1.1.1.2").progress == 55
    next(b for b in at.button if b.label.startswith("Réappliquer ma modification")).click()
    at.run()
    assert action(engine, "binche", "1.1.1.1.2").progress == 45


def test_bulk_edit_with_one_invalid_cell_saves_nothing(db):
    url, engine = db
    at = sign_in(open_page("pages/5_Mise_à_jour.py", url, plan="binche"))
    editor_key = "bulk_1"  # the table's first generation in this session
    at.session_state[editor_key] = {"edited_rows": {0: {"Taux": "90"}, 1: {"Taux": "140"}},
                                    "added_rows": [], "deleted_rows": []}
    next(b for b in at.button if b.label == "Enregistrer le tableau").click()
    at.run()
    assert any("Rien n'a été enregistré" in e.value and "140 hors limites" in e.value for e in at.error)
    assert action(engine, "binche", "1.1.1.1.1").progress == 80

    at.session_state[editor_key] = {"edited_rows": {0: {"Taux": "90", "Chef de projet": "Nadia"},
                                                    1: {"Statut": "Suspendu"}},
                                    "added_rows": [], "deleted_rows": []}
    next(b for b in at.button if b.label == "Enregistrer le tableau").click()
    at.run()
    assert any("2 actions enregistrées : 1.1.1.1.1, 1.1.1.1.2" in s.value for s in at.success)
    first = action(engine, "binche", "1.1.1.1.1")
    assert (first.progress, first.project_lead) == (90, "Nadia")
    assert action(engine, "binche", "1.1.1.1.2").status == "Suspendu"


def test_undo_from_the_journal(db):
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.3")
    result = services.set_progress(engine, a.id, a.version, 75, ALICE)
    at = sign_in(open_page("pages/6_Journal.py", url, plan="binche"), "Bob")
    no_exception(at)
    table = at.dataframe[0].value
    assert table.iloc[0]["Élément"] == f"1.1.1.1.3 · {a.title}" and table.iloc[0]["Modification"].endswith("→ 75\u00a0%")
    at.selectbox(key="undo_choice").select(result.change_id).run()
    next(b for b in at.button if b.label == "Annuler cette modification").click()
    at.run()
    assert any("Modification annulée" in s.value for s in at.success)
    assert action(engine, "binche", "1.1.1.1.3").progress == a.progress
    assert at.dataframe[0].value.iloc[0]["Qui"] == "Bob"


def test_an_os_deleted_from_the_structure_tab_comes_back_from_the_journal(db):
    url, engine = db
    with Session(engine) as s:
        os_ = s.scalars(select(StrategicObjective).join(Plan)
                        .where(Plan.slug == "ecaussinnes", StrategicObjective.code == "1")).one()
        os_id = os_.id
        codes = sorted(a.code for oo in os_.operational_objectives for a in oo.actions)
    at = sign_in(open_page("pages/5_Mise_à_jour.py", url, plan="ecaussinnes"))
    at.selectbox(key="structure_target").select(os_id).run()
    press(at, "Oui, supprimer")
    assert len(codes) > 1 and any(f"supprimé avec ses {len(codes)} actions." in s.value for s in at.success)
    with Session(engine) as s:
        assert s.get(StrategicObjective, os_id) is None

    at.switch_page("pages/6_Journal.py").run()
    no_exception(at)
    choice = at.selectbox(key="undo_choice")
    assert any("Claire Martin — suppression de OS 1 et de ses actions" in o for o in choice.options), choice.options
    with Session(engine) as s:
        change_id = s.scalar(select(History.change_id).where(History.kind == "delete", History.entity == "os"))
    choice.select(change_id).run()
    press(at, "Annuler cette modification")
    assert any("Modification annulée" in s.value for s in at.success)
    with Session(engine) as s:
        back = s.get(StrategicObjective, os_id)
        assert back is not None
        assert sorted(a.code for oo in back.operational_objectives for a in oo.actions) == codes


def test_a_directeur_sees_only_the_plans_they_direct(db):
    url, _ = db
    at = open_page("dashboard.py", url, login="dominique.dir", plan="charleroi")
    no_exception(at)
    assert at.selectbox(key="w_plan").options == ["CPAS de Binche"]
    assert any("charleroi" in w.value for w in at.warning)  # the link asked for a plan they cannot see


def test_latest_changes_on_the_overview_name_the_action_and_follow_the_filters(db):
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.3")
    services.set_progress(engine, a.id, a.version, 75, ALICE)
    at = open_page("dashboard.py", url, plan="binche")
    no_exception(at)
    latest = next(df.value for df in at.dataframe if "Élément" in df.value.columns)
    assert latest.iloc[0]["Élément"] == f"1.1.1.1.3 · {a.title}"
    assert latest.iloc[0]["Champ"] == "Taux d'avancement" and latest.iloc[0]["Modification"].endswith("→ 75\u00a0%")
    digest = next(df.value for df in at.dataframe if "Ce qui a changé" in df.value.columns)
    assert digest.iloc[0]["Action"] == f"1.1.1.1.3 · {a.title}"
    assert digest.iloc[0]["Ce qui a changé"].startswith("taux ") and digest.iloc[0]["Ce qui a changé"].endswith("→ 75\u00a0%")
    assert any(s.value == "Ce qui a changé sur 30 jours" for s in at.subheader)  # no Bureau on the calendar
    other_os = open_page("dashboard.py", url, plan="binche", os="2.1")
    no_exception(other_os)
    assert any(c.value == "Aucune des actions filtrées n'a changé depuis." for c in other_os.caption)


@pytest.mark.parametrize("login, offered", [("bob", False), ("alice", True)], ids=["directeur", "admin"])
def test_only_an_admin_is_offered_new_labels_on_the_fiche(db, login, offered):
    """A label is defined once for every plan: the admin's. A directeur picks from the existing
    ones and is told who creates a missing one."""
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.1")
    at = open_page("pages/1_Objectifs.py", url, login=login, plan="binche", action=str(a.id))
    no_exception(at)
    assert any(m.label == "Labels" for m in at.multiselect)
    assert any(t.label == "Nouveaux labels (séparés par des virgules)" for t in at.text_input) == offered
    assert any("Un label manque ? Un administrateur le crée" in c.value for c in at.caption) != offered


def test_the_fiche_names_each_comment_and_each_save_for_what_it_does(db):
    """Two « Commentaire » fields and two « Enregistrer » buttons on one page: which is which?"""
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.1")
    at = open_page("pages/1_Objectifs.py", url, login="bob", plan="binche", action=str(a.id))
    no_exception(at)
    fields = [w.label for w in [*at.text_input, *at.text_area] if "omment" in w.label or "Note" in w.label]
    assert sorted(fields) == ["Commentaire de l'action", "Note pour le journal (facultatif)"]
    saves = [b.label for b in at.button if b.label.startswith("Enregistrer")]
    assert len(saves) == len(set(saves)) and {"Enregistrer le taux", "Enregistrer la fiche"} <= set(saves)


def test_a_chef_de_projet_updates_the_action_they_lead_and_nothing_else(db):
    """A chef de projet linked to « DOUBLET M. »: from the fiche of their action the quick edit
    saves in their name (the account, not a typed name); the fiche of another chef's action is
    read-only and says why; Mise à jour offers their actions only, without the structure tabs.
    (The cookie that carries the login across pages is the browser journeys'.)"""
    from pst_data import accounts
    from pst_data.uow import Operator
    from tests.people import BOB, CHRIS

    url, engine = db
    accounts.update_account(engine, Operator("tests"), CHRIS.login, plans=["binche"])
    with Session(engine) as s:
        binche = s.scalar(select(Plan.id).where(Plan.slug == "binche"))
    accounts.link_lead(engine, BOB, binche, "DOUBLET M.", CHRIS.account_id)
    mine = action(engine, "binche", "1.1.1.1.3")

    at = open_page("pages/1_Objectifs.py", url, plan="binche", action=str(mine.id))
    link = next(m.value for m in at.markdown if ">Se connecter pour modifier</a>" in m.value)
    # The login page, in this tab, then back to this very fiche (plan and action kept).
    assert 'href="/connexion?suivant=' in link and 'target="_self"' in link
    assert f"action%3D{mine.id}" in link and "plan%3Dbinche" in link

    at = open_page("pages/1_Objectifs.py", url, login=CHRIS.login, plan="binche", action=str(mine.id))
    no_exception(at)
    number, comment, save = quick_form(at)
    number.input("35")
    comment.input("Premier bilan")
    save.click()
    at.run()
    no_exception(at)
    assert any("Enregistré : 1.1.1.1.3 → 35 %" in s.value for s in at.success)
    with Session(engine) as s:
        row = s.execute(select(History.changed_by, History.account_id, History.new_value)
                        .where(History.action_id == mine.id).order_by(History.id.desc()).limit(1)).one()
    assert tuple(row) == ("Chris Chef", CHRIS.account_id, "35")

    other = action(engine, "binche", "1.1.1.1.1")  # « Service Juridique »'s
    at = open_page("pages/1_Objectifs.py", url, login=CHRIS.login, plan="binche", action=str(other.id))
    no_exception(at)
    assert any("Vous n'êtes pas le chef de projet de cette action" in m.value for m in [*at.info, *at.caption, *at.markdown])
    assert not [t for t in at.text_input if t.label == "Taux d'avancement (%)"]
    assert not [b for b in at.button if b.label.startswith("Enregistrer") and not b.disabled]

    at = open_page("pages/5_Mise_à_jour.py", url, login=CHRIS.login, plan="binche")
    no_exception(at)
    assert [t.label for t in at.tabs] == ["Mise à jour rapide", "Tableau (plusieurs actions)"]
    with Session(engine) as s:
        led = sorted(s.scalars(select(Action.code).where(Action.lead_account_id == CHRIS.account_id)))
    offered = sorted(o.split(" — ")[0].replace("\u2060", "") for o in at.selectbox(key="update_action").options)
    assert offered == led and len(led) == 4


def test_an_oo_deleted_from_the_structure_tab_comes_back_from_the_journal(db):
    """As for an OS (above), one level down, by a directeur: the OO and its actions go, and
    « Annuler cette modification » brings them back with the same codes."""
    url, engine = db
    with Session(engine) as s:
        oo = s.scalars(select(OperationalObjective).join(StrategicObjective).join(Plan)
                       .where(Plan.slug == "bernissart").order_by(OperationalObjective.id)).first()
        oo_id, oo_code = oo.id, oo.code
        codes = sorted(a.code for a in oo.actions)
    at = open_page("pages/5_Mise_à_jour.py", url, login="bob", plan="bernissart")
    at.radio(key="structure_level").set_value("oo").run()
    at.selectbox(key="structure_target").select(oo_id).run()
    press(at, "Oui, supprimer")
    assert any("supprimé avec" in s.value for s in at.success)
    with Session(engine) as s:
        assert s.get(OperationalObjective, oo_id) is None

    at.switch_page("pages/6_Journal.py").run()
    no_exception(at)
    with Session(engine) as s:
        change_id = s.scalar(select(History.change_id).where(History.kind == "delete", History.entity == "oo"))
    at.selectbox(key="undo_choice").select(change_id).run()
    press(at, "Annuler cette modification")
    assert any("Modification annulée" in s.value for s in at.success)
    with Session(engine) as s:
        back = s.get(OperationalObjective, oo_id)
        assert back is not None and back.code == oo_code
        assert sorted(a.code for a in back.actions) == codes


def test_a_taux_cleared_on_purpose_is_saved_as_no_taux_and_not_saved_twice(db):
    """An empty taux field means « sans taux » (saved as such); the same again has nothing to
    save and says so; then a taux again. (What the browser's own field used to change, 7,5 or
    1e2, is the browser journey's: test_hostile_edit_journeys.py.)"""
    url, engine = db
    a = action(engine, "binche", "1.1.1.1.4")
    at = sign_in(open_page("pages/1_Objectifs.py", url, plan="binche", action=str(a.id)))

    def save(typed: str) -> str:
        number, _, button = quick_form(at)
        number.input(typed)
        button.click()
        at.run()
        no_exception(at)
        return " ".join(m.value for m in [*at.success, *at.info, *at.warning, *at.error])

    assert "Enregistré : 1.1.1.1.4 → sans taux" in save("")
    assert action(engine, "binche", "1.1.1.1.4").progress is None
    said = save("")
    assert "Rien à enregistrer : le taux de 1.1.1.1.4 est déjà non renseigné" in said and "Enregistré" not in said
    assert "Enregistré : 1.1.1.1.4 → 45 %" in save("45")
    assert action(engine, "binche", "1.1.1.1.4").progress == 45
