"""Who may do what, where only a real browser shows it: a login kept by its cookie across a
reload, a new tab and pages; a Bureau link that shows the slides on a screen without sidebar, and
nothing once revoked; the workbook downloaded, edited and imported back; the Mes actions grid
typed into; a reset password shown beside the button pressed. The journeys share one server and
run in order.

What needs no browser is in the page tests (AppTest): a chef de projet who updates the action they
lead and nothing else and an OO deleted then brought back (test_edit_pages.py), a label given to
the filtered actions or to three codes and a new plan's tree before its import
(test_access_pages.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, History, OperationalObjective, Plan, StrategicObjective
from pst_data import accounts
from pst_data.uow import Operator
from tests.browser.conftest import log_in, shot
from tests.browser.server import wait_for_app
from tests.people import BOB, CHRIS, PASSWORD


@pytest.fixture(scope="module")
def role_server(tmp_path_factory, seeded_sqlite_file, chromium):
    from tests.browser.conftest import _server

    server = _server(tmp_path_factory, seeded_sqlite_file, "browser-roles")
    # Chris Chef works on Binche's plan and leads the actions the documents give to « DOUBLET M. »
    # (a directeur links the name to the account).
    engine = make_engine(server.database_url)
    accounts.update_account(engine, Operator("tests"), CHRIS.login, plans=["binche"])
    accounts.link_lead(engine, BOB, plan_id(engine, "binche"), "DOUBLET M.", CHRIS.account_id)
    engine.dispose()
    yield server
    server.stop()


def plan_id(engine, slug: str) -> int:
    with Session(engine) as s:
        return s.scalar(select(Plan.id).where(Plan.slug == slug))


def enabled_save_buttons(page) -> int:
    return page.locator("button:has-text('Enregistrer'):not([disabled])").count()


def sidebar(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


def test_a_login_survives_a_reload_a_new_tab_and_a_move_between_pages(role_server, page):
    """What only a browser shows: the session cookie. (That a lecteur, or nobody, is offered no
    save anywhere is checked for every page by the page tests: test_edit_pages.py.)"""
    log_in(page, role_server.url, "lea.lecteur", next_path="/?plan=binche", form=True)  # the cookie the form sets
    assert "Connecté : Léa Lecteur · Lecteur" in sidebar(page)
    page.reload()
    wait_for_app(page)
    assert "Connecté : Léa Lecteur" in sidebar(page)
    assert enabled_save_buttons(page) == 0
    tab = page.context.new_page()
    tab.goto(f"{role_server.url}/Mise_%C3%A0_jour?plan=binche")
    wait_for_app(tab)
    assert "Connecté : Léa Lecteur" in sidebar(tab)
    assert enabled_save_buttons(tab) == 0 and tab.get_by_role("textbox", name="Taux d'avancement (%)").count() == 0
    shot(tab, "roles-read-lecteur")
    tab.close()


def test_a_bureau_link_shows_the_slides_and_nothing_else(role_server, page, browser):
    engine = make_engine(role_server.database_url)
    accounts.set_setting(engine, Operator("tests"), "anonymous_read", False)  # a real CPAS
    engine.dispose()
    log_in(page, role_server.url, "bob", next_path="/Administration?plan=binche")
    page.get_by_label("Nom du lien").fill("Écran de la salle du Bureau")
    page.get_by_role("button", name="Créer un lien").click()
    page.get_by_text("Adresse à ouvrir sur l'écran du Bureau").wait_for(timeout=15_000)
    link = page.locator("[data-testid='stCode']").inner_text().strip()
    assert "/Pr%C3%A9sentation?plan=binche&projecteur=1&bureau=" in link

    screen = browser.new_context(locale="fr-BE", viewport={"width": 1400, "height": 900}).new_page()
    screen.goto(link)
    wait_for_app(screen)
    assert screen.get_by_text("Diapositive 1 /").is_visible()
    assert "Binche" in screen.locator("[data-testid='stMain']").inner_text()
    assert screen.locator("[data-testid='stSidebar']").is_hidden()
    assert screen.get_by_role("textbox", name="Taux d'avancement (%)").count() == 0
    assert screen.locator("button:has-text('Enregistrer')").count() == 0
    assert screen.get_by_role("link", name="Mise à jour").count() == 0  # no way to the other pages
    shot(screen, "roles-bureau-screen")
    # The token opens nothing else.
    screen.goto(link.replace("/Pr%C3%A9sentation?", "/Objectifs?"))
    wait_for_app(screen)
    screen.get_by_text("Ce lien ouvre seulement la présentation").wait_for(timeout=15_000)

    # Revoked: the same address asks to log in.
    page.goto(f"{role_server.url}/Administration?plan=binche")
    wait_for_app(page)
    page.get_by_role("button", name="Révoquer").click()
    page.get_by_text("Lien révoqué").wait_for(timeout=15_000)  # (the revoke clears this server's identity cache)
    screen.goto(link)
    wait_for_app(screen)
    screen.get_by_text("Connectez-vous pour consulter").wait_for(timeout=15_000)
    assert "Diapositive" not in screen.locator("[data-testid='stMain']").inner_text()
    screen.context.close()


def test_an_admin_downloads_the_workbook_edits_it_and_imports_it_back(role_server, page, tmp_path):
    """The round trip a CPAS makes: « Ce plan en Excel », an edit in the spreadsheet, the upload,
    the preview naming the change, « Importer », and the plan shows the new taux."""
    from openpyxl import load_workbook

    log_in(page, role_server.url, "alice", next_path="/Administration?plan=saint-ghislain")
    page.get_by_role("heading", name="Importer ou exporter un plan").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Ce plan en Excel").click()
    assert download.value.suggested_filename == "saint-ghislain.xlsx"
    path = tmp_path / "saint-ghislain.xlsx"
    download.value.save_as(path)

    wb = load_workbook(path)  # what Excel or LibreOffice would do: change one cell, save
    ws = wb["Actions"]
    header = [c.value for c in ws[1]]
    assert ws[2][header.index("Code action")].value == "1.1.1"
    ws[2][header.index("Taux d'avancement (%)")].value = 88
    wb.save(path)

    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    page.get_by_text("action 1.1.1 · Taux d'avancement : « 25 » → « 88 »").wait_for()
    shot(page, "import-preview")
    page.get_by_role("button", name="Importer").click()
    page.get_by_text("Plan « saint-ghislain » mis à jour : 0 action ajoutée, 1 modifiée").wait_for()
    engine = make_engine(role_server.database_url)
    with Session(engine) as s:
        action = s.scalars(select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                           .where(Plan.slug == "saint-ghislain", Action.code == "1.1.1")).one()
        assert action.progress == 88
        last = s.scalars(select(History).where(History.entity_id == action.id).order_by(History.id.desc())).first()
        assert (last.field, last.old_value, last.new_value, last.changed_by) == ("progress", "25", "88", "Alice")
    engine.dispose()


def test_a_chef_updates_three_actions_in_mes_actions_with_one_save(role_server, page):
    """The issue's test: a chef de projet with several actions opens « Mes actions », updates three
    of them in the one table and saves once; the history shows three changes by them."""
    from tests.browser.conftest import table_editor

    log_in(page, role_server.url, CHRIS.login, next_path="/Mes_actions")
    page.get_by_role("heading", name="Mes actions").wait_for(timeout=15_000)
    page.get_by_text("CPAS de Binche · aucun Bureau à venir au calendrier").wait_for(timeout=15_000)
    engine = make_engine(role_server.database_url)
    with Session(engine) as s:
        before = s.scalar(select(History.id).order_by(History.id.desc()).limit(1))
    edit = table_editor(page)
    edit(["Tab"], "61")  # Code → Taux, first row
    edit(["ArrowDown", "ArrowLeft"], "62")  # Tab left us on Statut: the next row's Taux
    edit(["ArrowDown", "ArrowLeft"], "63")
    page.get_by_role("button", name="Enregistrer mes actions").click()
    page.get_by_text("3 actions enregistrées").wait_for(timeout=15_000)
    shot(page, "mes-actions-saved")
    with Session(engine) as s:
        rows = s.execute(select(History.action_code, History.field, History.new_value, History.changed_by,
                                History.change_id).where(History.id > before).order_by(History.id)).all()
    engine.dispose()
    assert [(r.field, r.new_value, r.changed_by) for r in rows] == [
        ("progress", "61", "Chris Chef"), ("progress", "62", "Chris Chef"), ("progress", "63", "Chris Chef")]
    assert len({r.action_code for r in rows}) == 3 and len({r.change_id for r in rows}) == 1  # one save


def test_a_reset_password_is_shown_beside_the_button_on_the_tab_the_admin_was_on(role_server, page):
    """The one-time password appeared at the top of the page while the admin was at the form
    below, and the tabs went back to « Nouveau compte »."""
    log_in(page, role_server.url, "alice", next_path="/Administration?plan=binche")
    page.get_by_role("tab", name="Modifier un compte").click()
    page.locator("[data-testid='stSelectbox']").filter(
        has=page.locator("[data-testid='stWidgetLabel']", has_text=re.compile(r"^Compte$"))).click()
    page.get_by_role("option", name="Léa Lecteur (lea.lecteur)").click()
    wait_for_app(page)
    page.get_by_role("button", name="Réinitialiser le mot de passe").click()
    shown = page.locator("[data-testid='stCode']")
    shown.wait_for(timeout=15_000)
    assert page.get_by_role("tab", name="Modifier un compte").get_attribute("aria-selected") == "true"
    assert page.get_by_text("Nouveau mot de passe provisoire (affiché une seule fois)").is_visible()
    button_box = page.get_by_role("button", name="Réinitialiser le mot de passe").bounding_box()
    code_box = shown.bounding_box()
    assert 0 < code_box["y"] - button_box["y"] < 300  # right under the button the admin pressed
    password = shown.inner_text().strip()
    shot(page, "admin-reset-password-beside-the-form")
    engine = make_engine(role_server.database_url)
    assert accounts.log_in(engine, "lea.lecteur", password).token
    accounts.change_password(engine, accounts.active_actor(engine, "lea.lecteur"), password, PASSWORD, PASSWORD)
    engine.dispose()
