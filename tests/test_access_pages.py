"""The pages of accounts and access (AppTest, real database): Administration for an admin and
for a directeur, linking a chef de projet, Mon compte, reading without an account switched off,
and a crafted session state that must save nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Account, Action, History, Label, Plan
from pst_data import accounts
from pst_data.uow import Operator
from tests.pages_support import no_exception, open_page
from tests.people import CHRIS, PASSWORD


def button(at, label):
    return next(b for b in at.button if b.label == label)


def text_input(at, label):
    return next(t for t in at.text_input if t.label == label)


def test_an_admin_creates_an_account_and_sees_its_password_once(app_db_url):
    at = open_page("pages/10_Administration.py", app_db_url, login="alice")
    no_exception(at)
    text_input(at, "Identifiant").input("Marc.Lambert")
    text_input(at, "Nom").input("Marc Lambert")
    next(s for s in at.selectbox if s.label == "Rôle").select("chef")
    button(at, "Créer le compte").click()
    at.run()
    no_exception(at)
    assert any("Compte « marc.lambert » créé" in s.value for s in at.success)
    # Shown in the tab where the admin is, under the form (not at the top of the page).
    create_tab = next(t for t in at.tabs if t.label == "Nouveau compte")
    assert [c.value for c in create_tab.code] == [at.code[0].value]
    assert any("Compte « marc.lambert » créé" in s.value for s in create_tab.success)
    shown = at.code[0].value
    assert len(shown) >= 16
    engine = make_engine(app_db_url)
    assert accounts.log_in(engine, "marc.lambert", shown).token  # the password shown is the one stored
    with Session(engine) as s:
        stored = s.scalar(select(Account.password_hash).where(Account.login == "marc.lambert"))
    engine.dispose()
    assert stored.startswith("$argon2id$") and shown not in stored
    at.run()
    assert not at.code  # shown once
    table = next(d.value for d in at.dataframe if "Identifiant" in d.value.columns)
    assert "marc.lambert" in table["Identifiant"].tolist()


def test_a_directeur_manages_bureau_links_but_not_accounts(app_db_url):
    at = open_page("pages/10_Administration.py", app_db_url, login="bob", plan="binche")
    no_exception(at)
    headers = [h.value for h in at.header]
    assert "Écran du Bureau permanent" in headers and "Comptes" not in headers
    text_input(at, "Nom du lien").input("Salle du Bureau")
    button(at, "Créer un lien").click()
    at.run()
    link = at.code[0].value
    assert "/Pr%C3%A9sentation?plan=binche&projecteur=1&bureau=" in link
    engine = make_engine(app_db_url)
    assert accounts.bureau_link_plan(engine, link.rsplit("=", 1)[1]) is not None
    engine.dispose()


def test_a_lecteur_is_shown_the_door_of_administration(app_db_url):
    at = open_page("pages/10_Administration.py", app_db_url, login="lea.lecteur")
    no_exception(at)
    assert any("réservée aux directeurs" in i.value for i in at.info)
    assert not at.header


def test_a_directeur_links_a_chef_de_projet_who_can_then_update_their_actions(app_db_url):
    engine = make_engine(app_db_url)
    accounts.update_account(engine, Operator("tests"), CHRIS.login, plans=["binche"])
    at = open_page("pages/5_Mise_à_jour.py", app_db_url, login="bob", plan="binche")
    no_exception(at)
    at.selectbox(key="lead_name").select("DOUBLET M.")
    at.selectbox(key="lead_account").select(CHRIS.account_id)
    button(at, "Relier").click()
    at.run()
    no_exception(at)
    assert any("« DOUBLET M. » relié à Chris Chef (chris.chef)" in s.value for s in at.success)
    with Session(engine) as s:
        led = s.scalars(select(Action.code).where(Action.lead_account_id == CHRIS.account_id)).all()
        recorded = s.scalar(select(func.count(History.id)).where(History.field == "lead_account"))
    assert len(led) == 4 and recorded == 4
    at = open_page("pages/5_Mise_à_jour.py", app_db_url, login="chris.chef", plan="binche")
    no_exception(at)
    assert sorted(at.selectbox(key="update_action").options)[0].startswith(sorted(led)[0])
    assert len(at.selectbox(key="update_action").options) == 4
    engine.dispose()


def test_a_directeur_merges_two_spellings_of_a_chef_de_projet(app_db_url):
    """The tab names the spellings it found and suggests keeping the one most actions use."""
    at = open_page("pages/5_Mise_à_jour.py", app_db_url, login="bob", plan="binche")
    no_exception(at)
    assert any("« CRECHE » / « CRÈCHE »" in c.value for c in at.caption)
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        counts = dict(s.execute(select(Action.project_lead, func.count()).where(
            Action.project_lead.in_(["CRECHE", "CRÈCHE"])).group_by(Action.project_lead)).all())
    most, fewer = sorted(counts, key=lambda n: -counts[n])
    assert (at.selectbox(key="merge_kept").value, at.selectbox(key="merge_replaced").value) == (most, fewer)
    button(at, "Fusionner").click()
    at.run()
    no_exception(at)
    assert any(f"Les actions de « {fewer} » ont maintenant « {most} » pour chef de projet" in s.value for s in at.success)
    assert not any("« CRECHE » / « CRÈCHE »" in c.value for c in at.caption)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(Action.project_lead == most)) == sum(counts.values())
    engine.dispose()


def test_mon_compte_changes_the_password(app_db_url):
    at = open_page("pages/9_Mon_compte.py", app_db_url, login="lea.lecteur")
    no_exception(at)
    text_input(at, "Mot de passe actuel").input("pas le bon")
    text_input(at, "Nouveau mot de passe").input("une phrase de passe solide")
    text_input(at, "Nouveau mot de passe (encore)").input("une phrase de passe solide")
    button(at, "Changer le mot de passe").click()
    at.run()
    assert any("Mot de passe actuel incorrect" in e.value for e in at.error)
    text_input(at, "Mot de passe actuel").input(PASSWORD)
    text_input(at, "Nouveau mot de passe").input("une phrase de passe solide")
    text_input(at, "Nouveau mot de passe (encore)").input("une phrase de passe solide")
    button(at, "Changer le mot de passe").click()
    at.run()
    no_exception(at)
    assert any("Mot de passe changé" in s.value for s in at.success)
    engine = make_engine(app_db_url)
    assert accounts.log_in(engine, "lea.lecteur", "une phrase de passe solide").token
    assert accounts.log_in(engine, "lea.lecteur", PASSWORD).token is None
    engine.dispose()


def test_without_anonymous_reading_a_visitor_sees_no_plan(app_db_url):
    engine = make_engine(app_db_url)
    accounts.set_setting(engine, Operator("tests"), "anonymous_read", False)
    engine.dispose()
    for script in ("dashboard.py", "pages/1_Objectifs.py", "pages/7_Présentation.py"):
        at = open_page(script, app_db_url, plan="binche")
        no_exception(at)
        assert any("Connectez-vous pour consulter" in i.value for i in at.info), script
        assert not at.metric and not at.dataframe and not at.get("plotly_chart"), script
        assert any("/connexion?suivant=" in m.value for m in at.markdown), script


def test_a_crafted_session_state_saves_nothing(app_db_url):
    """A lecteur's session with the bulk table's state filled in by hand (as a tampered client
    might): the table is not drawn for them and nothing reaches the database."""
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        before = s.scalar(select(func.count(History.id)))
    at = open_page("pages/5_Mise_à_jour.py", app_db_url, login="lea.lecteur", plan="binche")
    at.session_state["bulk_1"] = {"edited_rows": {0: {"Taux": "1"}}, "added_rows": [], "deleted_rows": []}
    at.session_state["pst_author"] = "Directeur général"
    at.run()
    no_exception(at)
    assert not [b for b in at.button if b.label == "Enregistrer le tableau"]
    with Session(engine) as s:
        assert s.scalar(select(func.count(History.id))) == before
    engine.dispose()


def test_a_refused_account_says_why_and_keeps_what_was_typed(app_db_url):
    at = open_page("pages/10_Administration.py", app_db_url, login="alice")
    text_input(at, "Identifiant").input("Marie Dupont")  # a space: not a login
    text_input(at, "Nom").input("**Marie** ![x](http://127.0.0.1:9/x.png)")
    button(at, "Créer le compte").click()
    at.run()
    no_exception(at)
    assert any("Identifiant invalide" in e.value for e in at.error)
    assert text_input(at, "Nom").value == "**Marie** ![x](http://127.0.0.1:9/x.png)"
    assert not at.code  # no password shown for an account that was not created


def test_a_chef_de_projet_link_is_not_undone_from_the_journal(app_db_url):
    """Linking a name to an account is undone where it is made (Mise à jour), not in the
    journal: the journal does not offer it, and the service refuses it in French."""
    from pst_data import services
    from pst_data.services import EditError
    from tests.people import BOB

    engine = make_engine(app_db_url)
    accounts.update_account(engine, Operator("tests"), CHRIS.login, plans=["binche"])
    with Session(engine) as s:
        plan_id = s.scalar(select(Plan.id).where(Plan.slug == "binche"))
    accounts.link_lead(engine, BOB, plan_id, "DOUBLET M.", CHRIS.account_id)
    with Session(engine) as s:
        change_id = s.scalar(select(History.change_id).where(History.field == "lead_account"))
    with pytest.raises(EditError, match="Chefs de projet"):
        services.undo_change(engine, change_id, BOB)
    at = open_page("pages/6_Journal.py", app_db_url, login="bob", plan="binche")
    no_exception(at)
    assert change_id not in at.selectbox(key="undo_choice").options
    engine.dispose()


def test_comparison_shows_only_the_plans_the_account_sees(app_db_url):
    at = open_page("pages/4_Comparaison.py", app_db_url, login="dominique.dir")
    no_exception(at)
    assert at.dataframe[0].value["Plan"].tolist() == ["CPAS de Binche"]
    at = open_page("pages/4_Comparaison.py", app_db_url, login="lea.lecteur")
    assert len(at.dataframe[0].value) == 5


def test_an_admin_uploads_a_plan_sees_the_preview_and_confirms_removals(app_db_url):
    import yaml

    from tests.pages_support import ROOT

    source = yaml.safe_load((ROOT / "pst_data" / "plans" / "saint-ghislain.yaml").read_text(encoding="utf-8"))
    actions = source["strategic_objectives"][0]["operational_objectives"][0]["actions"]
    actions[0]["progress"] = 77
    gone = actions.pop(1)
    content = yaml.safe_dump(source, allow_unicode=True).encode()
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        history = s.scalar(select(func.count(History.id)))

    at = open_page("pages/10_Administration.py", app_db_url, login="alice")
    at.file_uploader(key="plan_upload").set_value(("saint-ghislain.yaml", content, "application/yaml"))
    at.run()
    no_exception(at)
    shown = " ".join(t.value for t in at.text)
    assert "action 1.1.1 · Taux d'avancement : « 25 » → « 77 »" in shown
    assert f"action {gone['code']} « {gone['title']} »" in shown
    assert at.button(key="import_button").disabled  # the removal is not confirmed yet
    with Session(engine) as s:
        assert s.scalar(select(func.count(History.id))) == history  # the preview wrote nothing
    at.checkbox(key="confirm_removals").check().run()
    at.button(key="import_button").click().run()
    no_exception(at)
    assert any("1 supprimée" in m.value for m in at.success)
    with Session(engine) as s:
        assert s.scalar(select(func.count(History.id))) > history

    at.file_uploader(key="plan_upload").set_value(("mauvais.yaml", b"slug: [", "application/yaml"))
    at.run()
    no_exception(at)
    assert any("Fichier refusé (mauvais.yaml)" in e.value for e in at.error)
    engine.dispose()


def _binche_workbook(app_db_url, change) -> bytes:
    """Binche's workbook as the page exports it, edited as Excel would."""
    import io

    from openpyxl import load_workbook

    from pst_data.exchange.workbook import plan_workbook
    from pst_data.importer import export_plan

    engine = make_engine(app_db_url)
    with Session(engine) as s:
        exported = export_plan(s, "binche")
    engine.dispose()
    wb = load_workbook(io.BytesIO(plan_workbook(exported)))
    change(wb["Actions"], exported)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_directeur_imports_a_workbook_into_the_plan_they_direct(app_db_url):
    def edit(ws, exported):
        header = [c.value for c in ws[1]]
        first = exported["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
        row = next(r for r in ws.iter_rows(min_row=2) if r[header.index("Code action")].value == first["code"])
        row[header.index("Taux d'avancement (%)")].value = 3
        row[header.index("Commentaire")].value = "<b>gras</b> **pas du Markdown**"

    content = _binche_workbook(app_db_url, edit)
    at = open_page("pages/10_Administration.py", app_db_url, login="dominique.dir", plan="binche")
    no_exception(at)
    assert at.selectbox(key="import_target").value == "binche"
    at.file_uploader(key="plan_upload").set_value(("binche.xlsx", content, XLSX))
    at.run()
    no_exception(at)
    shown = " ".join(t.value for t in at.text)
    assert "action 1.1.1.1.1 · Taux d'avancement : « 80 » → « 3 »" in shown
    assert "→ « <b>gras</b> **pas du Markdown** »" in shown  # shown as typed, as text
    assert not at.checkbox  # nothing to remove, nothing to confirm
    at.button(key="import_button").click().run()
    no_exception(at)
    assert [m.value for m in at.success] == ["Plan « binche » mis à jour : 0 action ajoutée, 1 modifiée, "
                                             "0 supprimée, 0 objectif modifié."]


def test_the_import_preview_says_which_values_of_the_file_are_rounded(app_db_url):
    from tests.pages_support import ROOT

    at = open_page("pages/10_Administration.py", app_db_url, login="alice")
    at.selectbox(key="import_target").select("")
    content = (ROOT / "tests/fixtures/ecomptes/cpas_exemple.xml").read_bytes()
    at.file_uploader(key="plan_upload").set_value(("cpas_exemple.xml", content, "application/xml"))
    at.run()
    no_exception(at)
    assert [w.value for w in at.warning if "autrement" in w.value] == [
        "2 valeurs du fichier seront reprises autrement qu'écrit (arrondi) : vérifiez-les avant d'importer."]
    shown = " ".join(t.value for t in at.text)
    assert "Repris autrement que dans le fichier (2) :" in shown and "33.5 arrondi à 34 %" in shown


def test_a_directeur_cannot_create_a_plan_and_a_lecteur_cannot_import(app_db_url):
    from pst_data.exchange.plan_file import load_plan_file
    from pst_data.exchange.workbook import plan_workbook
    from tests.pages_support import ROOT

    at = open_page("pages/10_Administration.py", app_db_url, login="lea.lecteur")
    assert any("réservée aux directeurs" in i.value for i in at.info)
    assert not at.get("file_uploader")

    at = open_page("pages/10_Administration.py", app_db_url, login="alice")
    fresh = load_plan_file(ROOT / "pst_data" / "plans" / "saint-ghislain.yaml")
    fresh["slug"] = "nouveau-cpas"
    at.file_uploader(key="plan_upload").set_value(("nouveau.xlsx", plan_workbook(fresh), XLSX))
    at.run()
    no_exception(at)
    assert "Plan « nouveau-cpas » serait créé : 34 actions importées." in " ".join(t.value for t in at.text)

    # the directeur's target is their plan: the same file updates Binche, it never creates a plan
    at = open_page("pages/10_Administration.py", app_db_url, login="dominique.dir", plan="binche")
    assert at.selectbox(key="import_target").value == "binche"
    assert "" not in at.selectbox(key="import_target").options


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_directeur_gives_a_label_to_the_filtered_actions_from_the_labels_page(app_db_url):
    at = open_page("pages/3_Labels.py", app_db_url, login="dominique.dir", plan="binche", os="2.1")
    no_exception(at)
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        pgp = s.scalar(select(Label.id).where(Label.name == "PGP"))
    assert "PGP" in at.selectbox(key="assign_label").options
    at.selectbox(key="assign_label").set_value(pgp).run()
    preview = next(t.value for t in at.text if "« PGP » sera ajouté à" in t.value)
    assert preview.startswith("« PGP » sera ajouté à 6 actions (Filtres : OS 2.1) : 2.1.1.1, 2.1.2.1.1,")
    button = at.button(key="assign_button")
    assert button.label == "Ajouter « PGP » (6 actions)"
    button.click().run()
    no_exception(at)
    assert any("« PGP » ajouté à 6 actions." in s.value for s in at.success)
    with Session(engine) as s:
        tagged = s.scalar(select(func.count(History.id)).where(History.field == "labels", History.changed_by == "Dominique Binche"))
    engine.dispose()
    assert tagged == 6
    # A lecteur sees the figures, not the tool.
    reader = open_page("pages/3_Labels.py", app_db_url, login="lea.lecteur", plan="binche")
    assert not [s for s in reader.selectbox if s.key == "assign_label"]


def test_three_actions_are_labelled_by_their_exact_codes(app_db_url):
    """Typing 3.1.1 in the action search then Enter took « Select 2 matches » and labelled every
    look-alike; codes typed are taken exactly, an unknown one is named."""
    at = open_page("pages/3_Labels.py", app_db_url, login="dominique.dir", plan="binche")
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        ppi = s.scalar(select(Label.id).where(Label.name == "PPI"))
    engine.dispose()
    at.selectbox(key="assign_label").set_value(ppi)
    at.toggle(key="assign_some").set_value(True).run()
    at.text_input(key="assign_codes").input("3.1.1.1, 3.2.1.1 3.2.3.1 ; 3.1.9").run()
    no_exception(at)
    assert any("Aucune action affichée n'a le code : 3.1.9." in w.value for w in at.warning)
    preview = next(t.value for t in at.text if "« PPI » sera ajouté à" in t.value)
    assert preview.startswith("« PPI » sera ajouté à 3 actions (actions choisies) : 3.1.1.1, 3.2.1.1, 3.2.3.1")
    at.button(key="assign_button").click().run()
    assert any("« PPI » ajouté à 3 actions." in s.value for s in at.success)


@pytest.mark.parametrize("login, offered", [("alice", True), ("bob", False)], ids=["admin", "directeur"])
def test_an_empty_instance_offers_its_admin_the_first_import(empty_engine, login, offered):
    """A new CPAS starts with no plan: every page stopped at « aucun plan », Administration
    included, so the admin could not import one from the app."""
    url = empty_engine.url.render_as_string(hide_password=False)
    at = open_page("pages/10_Administration.py", url, login=login)
    no_exception(at)
    assert any(s.label == "Importer dans" for s in at.selectbox) == offered
    if offered:
        assert any("Aucun plan pour l'instant. Téléchargez le modèle Excel" in i.value for i in at.info)
    else:
        assert any("un administrateur l'importe" in i.value for i in at.info)


def test_an_admin_sees_a_new_plan_s_tree_before_importing_it_then_opens_it(app_db_url):
    """A new plan's preview is its tree (OS, OO and actions with taux, dates and labels) before
    « Importer », and « Ouvrir ce plan » after, to the new plan's overview."""
    from tests.pages_support import ROOT

    text = (ROOT / "pst_data/plans/saint-ghislain.yaml").read_text(encoding="utf-8")
    content = (text.replace("slug: saint-ghislain", "slug: cpas-de-florennes")
               .replace("organisation: CPAS de Saint-Ghislain", "organisation: CPAS de Florennes")
               .replace('ins_code: "53070"', 'ins_code: "93022"')).encode()
    at = open_page("pages/10_Administration.py", app_db_url, login="alice", plan="binche")
    at.file_uploader(key="plan_upload").set_value(("nouveau.yaml", content, "application/yaml"))
    at.run()
    no_exception(at)
    summary = next(c.value for c in at.caption if c.value.startswith("Le nouveau plan : "))
    assert summary == "Le nouveau plan : 3 objectifs stratégiques, 8 objectifs opérationnels, 34 actions."
    tree = next(d.value for d in at.dataframe if "Niveau" in d.value.columns)
    assert tree["Niveau"].value_counts().to_dict() == {"Action": 34, "OO": 8, "OS": 3}
    at.button(key="import_button").click().run()
    no_exception(at)
    opened = next(m.value for m in at.markdown if ">Ouvrir ce plan</a>" in m.value)
    assert 'href="/?plan=cpas-de-florennes" target="_self"' in opened
    engine = make_engine(app_db_url)
    with Session(engine) as s:
        assert s.scalar(select(Plan.organisation).where(Plan.slug == "cpas-de-florennes")) == "CPAS de Florennes"
    engine.dispose()
