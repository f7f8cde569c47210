"""What a careless or hostile person types, in a real browser: the quick edit and the bulk table
save exactly what was typed or refuse it in French naming the field, with nothing changed; the
bulk table keeps a person's cells when someone else saves meanwhile."""

from __future__ import annotations

import re

import pytest

from db.engine import make_engine
from pst_data import services
from tests.browser.conftest import log_in, shot, table_editor
from tests.browser.server import wait_for_app
from tests.browser.steps import action_id, quick_save
from tests.people import CLAIRE_MARTIN, PAUL


@pytest.fixture(scope="module")
def edit_server(tmp_path_factory, seeded_sqlite_file, chromium):
    from tests.browser.conftest import _server

    server = _server(tmp_path_factory, seeded_sqlite_file, "browser-hostile")
    yield server
    server.stop()


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def test_quick_edit_refuses_what_the_browser_used_to_change(edit_server, page):
    target, before = action_id(edit_server, "binche", "1.1.1.1.4")
    log_in(page, edit_server.url, CLAIRE_MARTIN.login, next_path=f"/Objectifs?plan=binche&action={target}")
    # What the browser's number field used to turn into 75, 1 or 100 (every other case is in
    # test_hostile_input, through the same service).
    for typed, message in [("7,5", "« 7,5 » invalide"), ("1e2", "« 1e2 » invalide"),
                           ("101", "101 hors limites")]:
        quick_save(page, typed)
        page.get_by_text(re.compile(re.escape(message))).first.wait_for(timeout=15_000)
        wait_for_app(page)
        text = main_text(page)
        assert "Taux d'avancement" in text and "Enregistré" not in text, typed
        assert action_id(edit_server, "binche", "1.1.1.1.4")[1].progress == before.progress
    shot(page, "journey-quick-edit-refused")
    quick_save(page, "45")  # and a taux typed as it should be is saved
    page.get_by_text("Enregistré : 1.1.1.1.4 → 45 %").wait_for(timeout=15_000)
    assert action_id(edit_server, "binche", "1.1.1.1.4")[1].progress == 45
    assert page.locator("[data-testid='stException']").count() == 0
    # (A taux cleared on purpose, and the same again, are a page test: test_edit_pages.py.)


def _open_table(page, base_url: str, path: str):
    log_in(page, base_url, CLAIRE_MARTIN.login, next_path=path)
    page.get_by_role("tab", name="Tableau (plusieurs actions)").click()
    return table_editor(page)


def test_bulk_table_refuses_bad_taux_and_saves_nothing(edit_server, page):
    edit = _open_table(page, edit_server.url, "/Mise_à_jour?plan=saint-ghislain&os=1")
    _, first = action_id(edit_server, "saint-ghislain", "1.1.1")
    # Columns: Code, Action, Taux, … ; rows 1.1.1, 1.1.2, 1.1.3, 1.2.1 …
    edit(["ArrowRight"] * 2, "abc")
    edit(["ArrowDown", "ArrowLeft"], "-1")
    edit(["ArrowDown", "ArrowLeft"], "101")
    edit(["ArrowDown", "ArrowLeft"], "33.5")
    page.get_by_role("button", name="Enregistrer le tableau").click()
    page.get_by_text("Rien n'a été enregistré").wait_for(timeout=15_000)
    text = main_text(page)
    for message in ("« abc » invalide", "« -1 » invalide", "101 hors limites", "« 33.5 » invalide"):
        assert message in text, (message, text[:2000])
    assert "Ligne 1.1.1" in text
    assert action_id(edit_server, "saint-ghislain", "1.1.1")[1].progress == first.progress
    shot(page, "journey-bulk-bad-taux")


def test_bulk_table_keeps_my_cells_when_someone_else_saves(edit_server, page):
    edit = _open_table(page, edit_server.url, "/Mise_à_jour?plan=bernissart")
    first_id, first = action_id(edit_server, "bernissart", first_code(edit_server))
    # Meanwhile, someone else changes the chef de projet of the first row.
    engine = make_engine(edit_server.database_url)
    services.update_action(engine, first_id, first.version, {"project_lead": "Paul Dubois"}, PAUL)
    engine.dispose()
    edit(["ArrowRight"] * 2, "55")  # my taux: they did not touch it
    edit(["ArrowRight"] * 3, "Nadia Leroy")  # my chef de projet (Tab moved one right): they changed it too
    page.get_by_role("button", name="Enregistrer le tableau").click()
    page.get_by_text(re.compile("Ces cellules n'ont pas été enregistrées")).wait_for(timeout=15_000)
    wait_for_app(page)
    text = main_text(page)
    assert "vous aviez saisi « Nadia Leroy »" in text and "Paul Dubois" in text
    saved = action_id(edit_server, "bernissart", first.code)[1]
    assert (saved.progress, saved.project_lead) == (55, "Paul Dubois")  # mine on top of theirs
    shot(page, "journey-bulk-conflict")
    page.get_by_role("button", name="Réappliquer mes valeurs").click()
    page.get_by_text(re.compile("Ces cellules n'ont pas été enregistrées")).wait_for(state="detached", timeout=15_000)
    page.get_by_text("1 action enregistrée :").wait_for(timeout=15_000)
    assert action_id(edit_server, "bernissart", first.code)[1].project_lead == "Nadia Leroy"


def first_code(server) -> str:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.models import Action, OperationalObjective, Plan, StrategicObjective

    engine = make_engine(server.database_url)
    with Session(engine) as s:
        code = s.scalars(select(Action.code).join(OperationalObjective).join(StrategicObjective).join(Plan)
                         .where(Plan.slug == "bernissart")
                         .order_by(StrategicObjective.position, OperationalObjective.position,
                                   Action.position, Action.id).limit(1)).one()
    engine.dispose()
    return code
