"""Two Streamlit server processes on one PostgreSQL database, as a CPAS (or a region) scales
past one machine: a login made on one is valid on the other (sessions live in the database),
and a taux saved through one shows in a page of the other within the live-refresh delay."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from pst_data.rules.formatting import fmt_percent
from tests.browser.conftest import ARTIFACTS, end_journey, journey_page, log_in, shot
from tests.browser.server import StreamlitServer, wait_for_app
from tests.browser.steps import action_id, metric, quick_save
from tests.conftest import IN_CI, POSTGRES_ADMIN_URL, POSTGRES_PROBLEM, RUN_ID, fill_seeded


@pytest.fixture(scope="module")
def postgres_url():
    if POSTGRES_PROBLEM:
        if IN_CI:
            pytest.fail(POSTGRES_PROBLEM)
        pytest.skip(POSTGRES_PROBLEM)
    from sqlalchemy.engine import make_url

    name = f"pst_test_{RUN_ID}_two_servers"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    fill_seeded(url)  # a CPAS's database: reading needs an account
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def servers(postgres_url, chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    first = StreamlitServer(postgres_url, ARTIFACTS / "streamlit-two-servers-a.log")
    second = StreamlitServer(postgres_url, ARTIFACTS / "streamlit-two-servers-b.log")
    try:
        first.wait_ready()
        second.wait_ready()
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_log_in_on_one_save_and_the_other_shows_it(servers, journey_context):
    first, second = servers
    target, before = action_id(first, "binche", "1.1.1.1.2")
    new_value = 5 if before.progress != 5 else 6
    on_first = journey_page(journey_context)
    on_second = journey_context.new_page()
    log_in(on_first, first.url, "claire.martin", next_path=f"/Objectifs?plan=binche&action={target}",
           form=True)  # through the first process's login page
    # The cookie set by the first process opens a session on the second (same database); its
    # overview follows the plan live (a page with an open fiche does not, on purpose).
    on_second.goto(f"{second.url}/?plan=binche")
    wait_for_app(on_second)
    assert "Connecté : Claire Martin" in on_second.locator("[data-testid='stSidebar']").inner_text()
    mean_before = metric(on_second, "Taux d'avancement moyen")

    quick_save(on_first, new_value, "Depuis le premier serveur")
    on_first.get_by_text(f"Enregistré : 1.1.1.1.2 → {new_value} %").wait_for(timeout=15_000)
    # The other process's page follows by itself (revision check every 2 s).
    on_second.wait_for_function(
        "before => { const m = [...document.querySelectorAll(\"[data-testid='stMetric']\")]"
        ".find(m => m.innerText.includes('Taux d\\'avancement moyen'));"
        " return m && !m.innerText.includes(before); }",
        arg=mean_before, timeout=20_000)
    # Binche as seeded: 47 actions whose taux add up to 2770.
    assert metric(on_second, "Taux d'avancement moyen") == fmt_percent((2770 - before.progress + new_value) / 47)
    shot(on_second, "two-servers-second-sees-the-save")
    end_journey(journey_context)
