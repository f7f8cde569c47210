"""Steps the journeys share: find an action in a server's database, log in from the page one is
on, save a taux with the quick edit, read a metric.

(The editing journeys that were here repeated page tests: quick edit, conflict and undo are in
tests/test_edit_pages.py (AppTest); the grid typed into and refused is
test_hostile_edit_journeys.py; a save seen live by another page is test_two_servers_journey.py.)"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, OperationalObjective, Plan, StrategicObjective
from tests.browser.conftest import log_in
from tests.pages_support import LOGIN_BY_NAME
from tests.browser.server import wait_for_app


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
