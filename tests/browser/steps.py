"""Steps the journeys share: find an action in a server's database, save a taux with the quick
edit, read a metric.

(The editing journeys that were here repeated page tests: quick edit, conflict and undo are in
tests/test_edit_pages.py (AppTest); the grid typed into and refused is
test_hostile_edit_journeys.py; a save seen live by another page is test_two_servers_journey.py.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Action, OperationalObjective, Plan, StrategicObjective


def action_id(server, slug, code) -> tuple[int, Action]:
    engine = make_engine(server.database_url)
    with Session(engine) as s:
        a = s.scalars(select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                      .where(Plan.slug == slug, Action.code == code)).one()
    engine.dispose()
    return a.id, a


def quick_save(page, value: int, comment: str = "") -> None:
    box = page.get_by_label("Taux d'avancement (%)").first
    box.fill(str(value))
    if comment:
        page.get_by_role("textbox", name="Note pour le journal (facultatif)").first.fill(comment)
    page.get_by_role("button", name="Enregistrer le taux", exact=True).click()


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()
