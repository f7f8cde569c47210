"""Browser journeys: a real `streamlit run` server on a free port, driven by Playwright in
Debian's headless Chromium. Without Chromium they skip, except in CI where the run fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.server import CHROMIUM_ARGS, StreamlitServer, chromium_path
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # One xdist worker per journey file: its journeys share one server and run in order.
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def required_tool(path: str | None, message: str) -> str:
    """A program the journeys need: without it they skip and say why, except in CI, where a
    green run must mean they ran."""
    if path is None:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium():
    return required_tool(chromium_path(), "Chromium introuvable (apt-get install chromium) : parcours navigateur non exécutés")


def _server(tmp_path_factory, seeded_sqlite_file, name):
    path = tmp_path_factory.mktemp(name) / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, path)
    ARTIFACTS.mkdir(exist_ok=True)
    server = StreamlitServer(f"sqlite:///{path}", ARTIFACTS / f"streamlit-{path.parent.name}.log")
    server.wait_ready()
    return server


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, seeded_sqlite_file, chromium):
    """One server per worker, shared by the journey files that only read (a start costs
    several seconds): they must not change the plans."""
    server = _server(tmp_path_factory, seeded_sqlite_file, "browser")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def edit_server(tmp_path_factory, seeded_sqlite_file, chromium):
    """A server of its own for the journeys that write (they run in file order)."""
    server = _server(tmp_path_factory, seeded_sqlite_file, "browser-edit")
    yield server
    server.stop()


# One renderer process for the app's pages of a worker (process per site: every server listens on
# 127.0.0.1, one site whatever the port). The Streamlit code it compiled for a journey then serves
# the next: a page's first load costs about 4 s of the 2-core machine, the next ones under 2.
JOURNEY_ARGS = [*CHROMIUM_ARGS, "--process-per-site"]
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def browser(chromium):  # one Chromium per worker
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=JOURNEY_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def journey_context(browser):
    """The browser context the journeys share, one per worker (a context of its own cannot share
    the warm renderer): each journey opens its pages in it with no cookie, and leaves none."""
    context = browser.new_context(locale="fr-BE", viewport=VIEWPORT)
    yield context
    context.close()


def journey_page(context, viewport: dict[str, int] | None = None):
    """A new page of the shared context, as a new visitor's: no cookie (a journey that wants a
    session logs in)."""
    context.clear_cookies()
    page = context.new_page()
    if viewport and viewport != VIEWPORT:
        page.set_viewport_size(viewport)
    return page


def end_journey(context) -> None:
    """Close what the journey opened but one page, left on the server's health check (no script,
    no session) so that the site's renderer, and what it compiled, stay for the next journey."""
    from urllib.parse import urlsplit

    from playwright.sync_api import Error

    keeper = None
    for page in context.pages:
        url = urlsplit(page.url)
        if keeper is None and url.scheme == "http":
            try:
                if url.path != "/_stcore/health":
                    page.goto(f"http://{url.netloc}/_stcore/health")
                keeper = page
                continue
            except Error:  # its server is gone: another page, or none, keeps the renderer
                pass
        page.close()
    context.clear_cookies()


@pytest.fixture
def page(journey_context):
    page = journey_page(journey_context)
    yield page
    end_journey(journey_context)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def table_editor(page):
    """Select the first cell (Code) of the visible data editor and return ``edit(moves, text)``.

    The grid is a canvas: a cell is reached by position, then with the keyboard (typing on a
    selected cell starts editing it; Tab keeps the value and moves one cell right, where Enter
    would also submit the form)."""
    grid = page.locator("[data-testid='stDataFrame']:visible").first
    grid.wait_for()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 35 + 17)  # cell Code of the first row
    page.wait_for_timeout(300)

    def edit(moves: list[str], text: str) -> None:
        for key in moves:
            page.keyboard.press(key)
            page.wait_for_timeout(50)
        page.keyboard.press("Enter")  # open the cell editor
        page.wait_for_timeout(300)
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.wait_for_timeout(500)  # let the cell editor take the text before leaving it
        page.keyboard.press("Tab")
        page.wait_for_timeout(300)

    return edit


def log_in(page, base_url: str, login: str, password: str | None = None, next_path: str = "/",
           form: bool = False) -> None:
    """Log in as ``login`` and wait for ``next_path``. The session is opened in the server's
    database and its cookie given to the browser, as the login page does after its form (a page
    less per journey); ``form=True``, a password, or a server this process did not start: through
    the real login page (« Identifiant », « Mot de passe », « Se connecter »)."""
    from urllib.parse import quote

    from db.engine import make_engine
    from pst_data import accounts
    from pst_data.rules import clock
    from tests.browser.server import DATABASES, wait_for_app
    from tests.people import PASSWORD
    from ui.web import SESSION_COOKIE

    database_url = DATABASES.get(base_url)
    if not form and password is None and database_url is not None:
        engine = make_engine(database_url)
        try:
            with clock.kept():  # dated by the server's clock (the system's), not the tests' own
                clock.set_clock(None)
                session = accounts.log_in(engine, login, PASSWORD)
        finally:
            engine.dispose()
        assert session.token, session.message
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": session.token, "url": base_url,
                                   "httpOnly": True, "sameSite": "Strict"}])
        page.goto(base_url + quote(next_path, safe="/?=&%"))
        wait_for_app(page)
        return
    page.goto(f"{base_url}/connexion?suivant={quote(next_path, safe='/')}")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password or PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
