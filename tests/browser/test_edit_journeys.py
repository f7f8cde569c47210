"""Editing journeys in real browsers: quick edit, a conflict between two sessions, a bulk edit
with one invalid cell, undo; and another open session sees a change within seconds."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, OperationalObjective, Plan, StrategicObjective
from pst_data import services
from tests.browser.conftest import log_in, shot, table_editor
from tests.pages_support import LOGIN_BY_NAME
from tests.browser.server import wait_for_app
from tests.people import CLAIRE_MARTIN


def action_id(server, slug, code) -> tuple[int, Action]:
    engine = make_engine(server.database_url)
    with Session(engine) as s:
        a = s.scalars(select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                      .where(Plan.slug == slug, Action.code == code)).one()
    engine.dispose()
    return a.id, a


def sign_in(page, name: str) -> None:
    """Log in as the test account with this name, through the login page, and come back."""
    parts = urlsplit(page.url)
    log_in(page, f"{parts.scheme}://{parts.netloc}", LOGIN_BY_NAME[name],
           next_path=parts.path + (f"?{parts.query}" if parts.query else ""))
    page.get_by_text(f"Connecté : {name}").first.wait_for(timeout=15_000)
    wait_for_app(page)


def quick_save(page, value: int, comment: str = "") -> None:
    box = page.get_by_label("Taux d'avancement (%)").first
    box.fill(str(value))
    if comment:
        page.get_by_role("textbox", name="Note pour le journal (facultatif)").first.fill(comment)
    page.get_by_role("button", name="Enregistrer le taux", exact=True).click()


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_quick_edit_from_objectifs(edit_server, page):
    target, _ = action_id(edit_server, "binche", "1.1.1.1.5")
    page.goto(f"{edit_server.url}/Objectifs?plan=binche&action={target}")
    wait_for_app(page)
    sign_in(page, "Claire Martin")
    quick_save(page, 65, "Centrale commandée")
    page.get_by_text("Enregistré : 1.1.1.1.5 → 65 %").wait_for(timeout=15_000)
    wait_for_app(page)
    assert metric(page, "Taux d'avancement") == "65\u00a0%"
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "journey-quick-edit")


def test_conflict_between_two_sessions_and_live_refresh(edit_server, browser):
    target, before = action_id(edit_server, "binche", "1.1.1.1.3")
    url = f"{edit_server.url}/Objectifs?plan=binche&action={target}"
    pages = []
    for name in ("Alice", "Bob"):
        context = browser.new_context(locale="fr-BE", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        sign_in(page, name)
        pages.append(page)
    alice, bob = pages
    # A third viewer on the overview, to see the change arrive without reloading.
    viewer_context = browser.new_context(locale="fr-BE", viewport={"width": 1400, "height": 1000})
    viewer = viewer_context.new_page()
    viewer.goto(f"{edit_server.url}/?plan=binche")
    wait_for_app(viewer)
    mean_before = metric(viewer, "Taux d'avancement moyen")

    quick_save(alice, 95, "Travaux terminés")
    alice.get_by_text("Enregistré : 1.1.1.1.3 → 95 %").wait_for(timeout=15_000)
    quick_save(bob, 70)  # Bob still has the version he opened
    conflict = bob.get_by_text(re.compile("modifiée par quelqu'un d'autre"))
    conflict.wait_for(timeout=15_000)
    text = bob.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert "Alice : Taux d'avancement « 60 » → « 95 »" in text
    shot(bob, "journey-conflict")
    bob.get_by_role("button", name=re.compile("Réappliquer ma modification")).click()
    bob.get_by_text("Enregistré : 1.1.1.1.3 → 70 %").wait_for(timeout=15_000)
    _, after = action_id(edit_server, "binche", "1.1.1.1.3")
    assert (before.progress, after.progress) == (60, 70)

    # The viewer's overview moves by itself (live refresh every few seconds).
    viewer.wait_for_function(
        "(old) => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
        ".some((e, i) => i === 1 && e.innerText.trim() !== old)", arg=mean_before, timeout=20_000)
    assert metric(viewer, "Taux d'avancement moyen") != mean_before
    for p in (alice, bob, viewer):
        p.context.close()


def test_bulk_edit_with_one_invalid_cell_saves_nothing(edit_server, page):
    page.goto(f"{edit_server.url}/Mise_à_jour?plan=saint-ghislain&os=1")
    wait_for_app(page)
    sign_in(page, "Claire Martin")
    page.get_by_role("tab", name="Tableau (plusieurs actions)").click()
    edit = table_editor(page)
    edit(["ArrowRight"] * 6, "N" * 320)  # 1.1.1, Chef de projet: over the 300-character limit
    edit(["ArrowDown", "ArrowLeft"], "Nadia Leroy")  # 1.1.2, Chef de projet: valid, must not land
    page.get_by_role("button", name="Enregistrer le tableau").click()
    page.get_by_text("Rien n'a été enregistré").wait_for(timeout=15_000)
    assert "« Chef de projet » est trop long" in page.locator("[data-testid='stMain']").inner_text()
    _, second = action_id(edit_server, "saint-ghislain", "1.1.2")
    assert second.project_lead is None
    shot(page, "journey-bulk-invalid")


def test_undo_from_the_journal(edit_server, page):
    # Its own change to undo (another session's save), so the journey does not depend on the
    # journeys before it.
    target, before = action_id(edit_server, "binche", "1.1.1.1.4")
    engine = make_engine(edit_server.database_url)
    services.set_progress(engine, target, before.version, 5, CLAIRE_MARTIN, "Essai")
    engine.dispose()
    page.goto(f"{edit_server.url}/Journal?plan=binche")
    wait_for_app(page)
    sign_in(page, "Bob")
    page.locator("[data-testid='stSelectbox']").filter(has_text="Modification").click()
    page.get_by_role("option", name=re.compile("Claire Martin — action 1.1.1.1.4")).click()
    page.get_by_role("button", name="Annuler cette modification").click()
    page.get_by_text(re.compile("Modification annulée")).wait_for(timeout=15_000)
    _, after = action_id(edit_server, "binche", "1.1.1.1.4")
    assert after.progress == before.progress  # back to the plan's value
    shot(page, "journey-undo")
