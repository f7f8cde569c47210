"""« Mes actions » of a running plan, in Chromium at a desk (1 440 px) and on a phone (390 px):
the action past its échéance says it is late and by how many days, the drifting ones say how far
behind they are, the most urgent first, with their whole titles and the taux in view. The
server's clock is the running plan's day (PST_NOW), not the machine's."""

from __future__ import annotations

import shutil

import pytest

from db.engine import make_engine
from tests.browser.conftest import ARTIFACTS, end_journey, journey_page, log_in, shot
from tests.browser.server import StreamlitServer
from tests.people import CHRIS
from tests.running_plan import NOW, add_running_plan

LONG_TITLE = "Former les assistants sociaux à l'accueil des personnes en situation de handicap"


@pytest.fixture(scope="module")
def schedule_server(tmp_path_factory, seeded_sqlite_file, chromium):
    from pst_data.rules import clock

    path = tmp_path_factory.mktemp("browser-schedule") / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, path)
    engine = make_engine(f"sqlite:///{path}")
    with clock.frozen(NOW):
        add_running_plan(engine)
    engine.dispose()
    ARTIFACTS.mkdir(exist_ok=True)
    server = StreamlitServer(f"sqlite:///{path}", ARTIFACTS / "streamlit-browser-schedule.log",
                             env={"PST_NOW": NOW.isoformat()})
    server.wait_ready()
    yield server
    server.stop()


@pytest.mark.parametrize("width, height", [(1440, 1000), (390, 844)], ids=["desk", "phone"])
def test_mes_actions_says_what_is_late_and_what_drifts_first(schedule_server, journey_context, width, height):
    page = journey_page(journey_context, {"width": width, "height": height})
    try:
        log_in(page, schedule_server.url, CHRIS.login, next_path="/Mes_actions")
        page.get_by_role("heading", name="Mes actions").wait_for(timeout=15_000)
        listing = page.locator(".st-key-my_actions_list")
        listing.get_by_text("En retard : échéance dépassée de 92 jours").wait_for(timeout=15_000)
        lines = [t for t in listing.inner_text().splitlines() if t.strip()]
        # The most urgent first: past its échéance, then the furthest behind, then behind.
        codes = [line.split(" · ")[0] for line in lines[::2]]
        assert codes == ["1.1.3", "1.1.2", "1.2.1", "2.1.2"], lines
        assert lines[3].startswith("Très en retard : 30 points sous les 50\u00a0% attendus")
        assert lines[5].startswith("En retard sur le calendrier : 6 points sous les 50\u00a0% attendus")
        assert "À jour" not in lines[1]
        whole = listing.get_by_text(f"1.1.2 · {LONG_TITLE}")
        box = whole.bounding_box()
        assert box["x"] + box["width"] <= width  # the whole title, wrapped on a phone, within the screen
        # The table: the code and the taux are the first two columns, both on screen.
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.scroll_into_view_if_needed()
        header = page.locator("[data-testid='stDataFrame']").first.bounding_box()
        assert header["x"] >= 0 and header["x"] + min(header["width"], 180) <= width
        assert page.locator("[data-testid='stException']").count() == 0
        shot(page, f"mes-actions-schedule-{width}")
    finally:
        end_journey(journey_context)
