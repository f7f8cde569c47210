"""Journeys a director makes where only a real browser shows the result: a change of plan kept in
the address and across pages, a bar of the home chart and a row of a table that open what they
show. (A shared URL's filters and the fiche opened by its code are page tests: test_pages.py.)"""

from __future__ import annotations

import re

from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import shot
from tests.browser.server import wait_for_app


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_switch_plan(app_server, page):
    page.goto(app_server.url)
    wait_for_app(page)
    assert page.get_by_role("heading", name="CPAS de Charleroi — Vue d'ensemble").is_visible()
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="CPAS de Saint-Ghislain").click()
    page.get_by_role("heading", name="CPAS de Saint-Ghislain — Vue d'ensemble").wait_for(timeout=15_000)
    wait_for_app(page)
    assert metric(page, "Actions") == "34"
    assert parse_qs(urlparse(page.url).query)["plan"] == ["saint-ghislain"]
    # The choice survives a page switch through the sidebar.
    page.locator("[data-testid='stSidebar']").get_by_text("Priorités").click()
    # The new page writes its filters into the address once its script has started: wait for it
    # (under load, "not running" can still be the state from before the switch).
    page.wait_for_function("() => location.pathname.includes('Priorit') && location.search.includes('saint-ghislain')",
                           timeout=15_000)
    wait_for_app(page)
    no_exception(page)
    shot(page, "journey-switch-plan")


def test_a_bar_of_the_home_page_opens_its_objective(app_server, page):
    page.goto(f"{app_server.url}/?plan=binche")
    wait_for_app(page)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    bar = chart.locator(".bars .point path").nth(7)  # bars are drawn bottom-up: the 8th is the 2nd OS, 1.2
    box = bar.bounding_box()  # plotly's drag layer is above the bars: click where the bar is, as a person does
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"/Objectifs\?.*os=1\.2"), timeout=15_000)
    wait_for_app(page)
    no_exception(page)
    assert "1.2" in page.locator("[data-testid='stMain']").inner_text()


def test_a_row_of_objectifs_opens_its_fiche(app_server, page):
    page.goto(f"{app_server.url}/Objectifs?plan=binche&os=1.2")  # one OS: its panel is open
    wait_for_app(page)
    grid = page.locator("[data-testid='stDataFrame']").nth(1)  # the OO table first, then the actions
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the first row's selection box, below the header
    page.wait_for_function("() => /action=\\d+/.test(location.search)", timeout=15_000)
    wait_for_app(page)
    heading = page.get_by_role("heading", name=re.compile(r"^1\.2\.1\.1\.1 — "))
    heading.wait_for(timeout=15_000)
    no_exception(page)
    shot(page, "journey-row-opens-fiche")
