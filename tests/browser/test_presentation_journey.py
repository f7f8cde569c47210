"""The monthly Bureau: a director walks the slides with the keyboard, then downloads the deck and
the evaluation report. (The presentation of a label filter given in the URL is a page test:
test_presentation.py.)"""

from __future__ import annotations

import io

from playwright.sync_api import expect
from pptx import Presentation
from pypdf import PdfReader

from tests.browser.conftest import shot
from tests.browser.server import wait_for_app
from tests.browser.test_dashboard_journeys import metric, no_exception


def heading(page) -> str:
    return page.locator(".pst-slide h1").first.inner_text().strip()


def figure(page, label: str) -> str:
    card = page.locator(".pst-figure").filter(has=page.locator(".pst-figure-label", has_text=label)).first
    return card.locator(".pst-figure-value").inner_text().strip()


def test_walk_the_bureau_presentation_with_the_keyboard(app_server, page, plan_files):
    page.goto(f"{app_server.url}/Présentation?plan=binche")
    wait_for_app(page)
    no_exception(page)
    assert heading(page) == "CPAS de Binche — suivi du PST"
    assert figure(page, "Taux moyen") == "58,9\u00a0%"
    assert "Diapositive 1 / 19" in page.locator("[data-testid='stMain']").inner_text()
    # Binche's plan ended in 2024: its slides speak its evaluation legend.
    assert "Couleur : bande d'évaluation du taux moyen" in page.locator(".pst-slide").inner_text()
    shot(page, "presentation-1-title")

    os_ = plan_files["binche"]["strategic_objectives"][0]
    page.locator(".pst-slide h1").click()  # focus the page, not a widget
    page.keyboard.press("ArrowRight")
    page.get_by_text("Diapositive 2 / 19").wait_for(timeout=15_000)
    wait_for_app(page)
    assert heading(page) == f"OS {os_['code']} · {os_['title']}"
    assert "slide=2" in page.url
    shot(page, f"presentation-2-os-{os_['code']}")
    page.keyboard.press("PageDown")  # a presenter's remote
    page.get_by_text("Diapositive 3 / 19").wait_for(timeout=15_000)
    wait_for_app(page)
    # Its eight OO held on one slide (its long title set smaller): the next slide is the next OS.
    second = plan_files["binche"]["strategic_objectives"][1]
    assert heading(page) == f"OS {second['code']} · {second['title']}"
    page.keyboard.press("ArrowLeft")
    page.get_by_text("Diapositive 2 / 19").wait_for(timeout=15_000)

    page.goto(f"{app_server.url}/Présentation?plan=binche&slide=16")
    wait_for_app(page)
    assert heading(page) == "Projets en retard (suite)"
    assert "45 actions dont l'échéance est dépassée" in page.locator(".pst-slide").inner_text()
    shot(page, "presentation-16-late")
    page.locator(".pst-slide h1").click()  # focus the page (after a navigation), not a widget
    page.keyboard.press("ArrowRight")  # the health of the open actions, then the forecast
    page.get_by_text("Diapositive 17 / 19").wait_for(timeout=15_000)
    # The counter can be drawn a moment before the slide: wait for the slide itself.
    expect(page.locator(".pst-slide h1").first).to_have_text("Santé des actions en cours", timeout=15_000)

    with page.expect_download() as download:
        page.get_by_role("button", name="PowerPoint").click()
    deck = Presentation(io.BytesIO(download.value.path().read_bytes()))
    assert len(deck.slides) == 19 and deck.slides[15].shapes.title.text == "Projets en retard (suite)"
    assert deck.slides[16].shapes.title.text == "Santé des actions en cours"
    assert deck.slides[-1].shapes.title.text == "Trajectoire et projection (suite)"


def test_download_the_evaluation_report(app_server, page):
    page.goto(f"{app_server.url}/Évaluation?plan=binche")
    wait_for_app(page)
    no_exception(page)
    assert metric(page, "Taux moyen aujourd'hui") == "58,9\u00a0%"
    shot(page, "evaluation-page")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Rapport PDF").click()
    assert download.value.suggested_filename.startswith("evaluation-finale-binche-")
    reader = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    assert "Évaluation finale" in reader.pages[0].extract_text()
    assert sum("FICHE ACTION" in p.extract_text() for p in reader.pages) >= 47
