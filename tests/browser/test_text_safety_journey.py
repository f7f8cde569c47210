"""Markup typed into the plan (titles, descriptions, labels, names, comments, snapshot names…) is
shown as text in a real browser, on every page that shows it: no image fetched, no link, no
bold, no colour, and no stray backslash.

A small HTTP server of the test counts every request made to it: the markup's images and links
point there, so one fetch means some page rendered Markdown from user text.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session

from db.engine import make_engine
from pst_data import queries, services, snapshots
from pst_data.rules.charts import NAME_WIDTH
from pst_data.rules.text import WORD_JOINER, shorten
from tests.browser.conftest import ARTIFACTS, end_journey, journey_page, log_in, shot
from tests.browser.server import StreamlitServer, wait_for_app
from tests.conftest import TODAY
from tests.test_services import action
from pst_data import accounts
from pst_data.uow import Operator
from tests.people import PASSWORD

ACTION_CODE = "1.1.1.1.1"  # Binche's first project: priority « Très haute », OS 1.1, OO 1.1.1.1


class Counter:
    """An HTTP server on 127.0.0.1 that answers 404 and remembers every path asked."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _count(self):
                hits.append(self.path)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = do_POST = do_OPTIONS = _count

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def page(journey_context):
    """A tall window: Streamlit scrolls inside the page, so the screenshots show what fits."""
    yield journey_page(journey_context, {"width": 1400, "height": 3000})
    end_journey(journey_context)


@pytest.fixture(scope="module")
def counter():
    c = Counter()
    yield c
    c.stop()


def markup(port: int, tag: str) -> str:
    """What a user might type; ``tag`` says in the counter's log which field leaked."""
    return (f"<b>b</b> **gras** :red[rouge] ![x](http://127.0.0.1:{port}/{tag}.png) "
            f"[lien](http://127.0.0.1:{port}/{tag}) :material/home: www.exemple.be")


def label_name(port: int) -> str:  # a label name is at most 80 characters
    return f"**étiquette** :red[l] ![l](http://127.0.0.1:{port}/label.png)"


def author_name(port: int) -> str:
    return f"**Alice** ![a](http://127.0.0.1:{port}/auteur.png)"


SNAPSHOT_TAG = "snapshot"


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeded_sqlite_file, chromium, counter):
    """The app on a database where Binche's project 1.1.1.1.1, its OS and OO, a label, a
    comment, the author's name and a snapshot all carry markup (written with the services)."""
    path = tmp_path_factory.mktemp("browser-text-safety") / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, path)
    url = f"sqlite:///{path}"
    port = counter.port
    author, label = author_name(port), label_name(port)

    engine = make_engine(url)
    a = action(engine, "binche", ACTION_CODE)
    # The history names accounts: this account's name carries the markup.
    accounts.create_account(engine, Operator("tests"), "markup.author", "admin", name=author, password=PASSWORD)
    author = accounts.log_in_trusted(engine, "markup.author")
    services.save_label(engine, author, label, "#aa3366", markup(port, "label-description"))
    services.update_action(engine, a.id, a.version, {
        "title": markup(port, "action"),
        "description": f"Première ligne de la description\n{markup(port, 'description')}",
        "context": markup(port, "context"), "evaluation": markup(port, "evaluation"),
        "comment": markup(port, "fiche-comment"), "deliverables": markup(port, "deliverables"),
        "project_lead": markup(port, "lead"), "partners": [markup(port, "partner")],
        "services": [markup(port, "service")], "risks": [markup(port, "risk")],
        "indicators": [{"label": markup(port, "indicator"), "target": "100 %", "reached": None}],
        "sub_actions": [{"code": f"{ACTION_CODE}.z", "title": markup(port, "sub-action"),
                         "description": None, "evaluation": None}],
        "labels": [label],
    }, author, comment=markup(port, "comment"))
    with Session(engine) as s:
        plan = queries.find_plan(s, slug="binche")
        rows = queries.objectives_frame(s, plan["id"])
    oo = rows[rows["oo_code"] == "1.1.1.1"].iloc[0]
    services.save_objective(engine, "os", author, objective_id=int(oo["os_id"]), code=str(oo["os_code"]),
                            title=markup(port, "os"))
    services.save_objective(engine, "oo", author, objective_id=int(oo["oo_id"]), code=str(oo["oo_code"]),
                            title=markup(port, "oo"))
    snapshots.take_snapshot(engine, plan["id"], markup(port, SNAPSHOT_TAG)[:snapshots.NAME_MAX], author, TODAY,
                            note=markup(port, "snapshot-note"))
    engine.dispose()

    ARTIFACTS.mkdir(exist_ok=True)
    app = StreamlitServer(url, ARTIFACTS / "streamlit-browser-text-safety.log")
    app.wait_ready()
    yield app, a.id
    app.stop()


def visible(page, selector: str = "[data-testid='stMain']") -> str:
    """The text a person reads there (word joiners are invisible)."""
    return page.locator(selector).inner_text().replace(WORD_JOINER, "")


def check(page, counter, name: str, *literals: str, selector: str = "[data-testid='stMain']") -> None:
    """The page ran without error, shows ``literals`` as typed, rendered none of the markup and
    fetched nothing from the counter; a screenshot goes to test-artifacts/."""
    wait_for_app(page)
    shot(page, f"text-safety-{name}")
    assert page.locator("[data-testid='stException']").count() == 0
    text = visible(page, selector)
    for literal in literals:
        assert literal in text, (name, literal)
    # A Markdown escape that shows means the text was escaped twice.
    assert not re.search(r"\\[!-/:-@\[-`{-~]", text), name
    port = counter.port
    assert page.locator(f"img[src*=':{port}/']").count() == 0, name
    assert page.locator(f"a[href*=':{port}/']").count() == 0, name
    # (The sidebar's « Se connecter » carries the page's address back to it, as a parameter of
    # our own /connexion link: that is not the user's text made into a link.)
    assert page.locator("a[href*='exemple.be']:not([href^='/connexion?'])").count() == 0, name
    assert page.locator("strong", has_text=re.compile("^gras$")).count() == 0, name
    assert page.locator(".stMarkdownColoredText").count() == 0, name
    assert counter.hits == [], (name, counter.hits)


def test_the_counter_sees_a_fetched_image(page, counter):
    """The control: an image that is rendered is fetched, and the counter sees it."""
    page.set_content(f"<img src='http://127.0.0.1:{counter.port}/control.png'>")
    page.wait_for_timeout(500)
    assert counter.hits == ["/control.png"]
    counter.hits.clear()


def test_overview_and_a_shared_link_carrying_markup(server, page, counter):
    app, _ = server
    port = counter.port
    page.goto(f"{app.url}/?plan=binche")
    check(page, counter, "overview", "CPAS de Binche — Vue d'ensemble")
    bars = page.locator("[data-testid='stPlotlyChart']").first
    assert "1.1 · <b>b</b> **gras** :red[rouge]" in bars.text_content()  # the OS title, shortened

    # A link someone sends: its search and its unknown label are quoted on the page.
    hostile = markup(port, "url")
    page.goto(f"{app.url}/?plan=binche&q={quote(markup(port, 'action'))}&label={quote(hostile)}")
    check(page, counter, "overview-shared-link",
          f"recherche « {markup(port, 'action')} »", f"Label inconnu ignoré : {hostile}.")
    bars = page.locator("[data-testid='stPlotlyChart']").first
    bars.locator(".bars path").first.hover(force=True)
    hover = bars.locator(".hoverlayer")
    hover.get_by_text("**gras**", exact=False).wait_for(timeout=10_000)
    assert "<b>b</b> **gras** :red[rouge] ![x](" in hover.text_content()
    shot(page, "text-safety-overview-hover")
    assert counter.hits == []


def test_objectifs_with_the_fiche_open(server, page, counter):
    app, action_id = server
    port = counter.port
    page.goto(f"{app.url}/Objectifs?plan=binche&action={action_id}")
    page.get_by_role("heading", name=f"{ACTION_CODE} — <b>b</b> **gras**").wait_for(timeout=15_000)
    check(page, counter, "objectifs-fiche",
          f"OS 1.1 · {markup(port, 'os')}",  # the expander's label
          f"{ACTION_CODE} — {markup(port, 'action')}",
          f"OS 1.1 · {markup(port, 'os')} › OO 1.1.1.1 · {markup(port, 'oo')}",
          label_name(port),  # its coloured tag
          f"Première ligne de la description\n{markup(port, 'description')}",
          markup(port, "context"), markup(port, "evaluation"), markup(port, "fiche-comment"),
          markup(port, "risk"))


def test_priorites(server, page, counter):
    app, _ = server
    port = counter.port
    log_in(page, app.url, "bob", next_path="/Priorités?plan=binche")  # the quick edit is for those who may edit
    check(page, counter, "priorites", "Priorité 1 de ce plan : Très haute")
    # Options of a select box are plain text: the markup reads as typed, without backslashes.
    page.locator("[data-testid='stSelectbox']").filter(has_text="Projet prioritaire").click()
    page.keyboard.type(ACTION_CODE)
    option = page.get_by_role("option").first
    assert option.inner_text().replace(WORD_JOINER, "") == f"{ACTION_CODE} — {markup(port, 'action')}"
    shot(page, "text-safety-priorites-options")
    page.keyboard.press("Enter")
    page.get_by_text(f"Mise à jour rapide — {ACTION_CODE}").wait_for(timeout=15_000)
    check(page, counter, "priorites-quick-edit", f"Mise à jour rapide — {ACTION_CODE}")


def test_labels(server, page, counter):
    app, _ = server
    port = counter.port
    page.goto(f"{app.url}/Labels?plan=binche")
    check(page, counter, "labels", label_name(port))
    charts = " ".join(c.text_content() for c in page.locator("[data-testid='stPlotlyChart']").all())
    assert shorten(label_name(port), NAME_WIDTH) in charts  # the bar's name, as typed (shortened if long)


def test_journal(server, page, counter):
    app, _ = server
    port = counter.port
    page.goto(f"{app.url}/Journal?plan=binche")
    check(page, counter, "journal", "Journal des modifications")
    page.locator("[data-testid='stMultiSelect']").filter(has_text="Personnes").click()
    people = [o.inner_text() for o in page.get_by_role("option").all()]
    assert author_name(port) in people
    shot(page, "text-safety-journal-people")
    page.keyboard.press("Escape")
    check(page, counter, "journal-after-people", "Journal des modifications")


def test_presentation_slides_that_carry_the_plan_s_text(server, page, counter):
    """The title slide, the OS whose title and OO carry markup, the changes and the late
    projects (comments, names, action titles); the keyboard walk itself is
    test_presentation_journey's."""
    app, _ = server
    port = counter.port
    page.goto(f"{app.url}/Présentation?plan=binche")
    wait_for_app(page)
    total = int(re.search(r"Diapositive 1 / (\d+)", page.locator("[data-testid='stMain']").inner_text()).group(1))
    check(page, counter, "presentation-1", "CPAS de Binche — suivi du PST", f"Diapositive 1 / {total}")
    page.goto(f"{app.url}/Présentation?plan=binche&slide=2")
    page.get_by_text(f"Diapositive 2 / {total}").wait_for(timeout=15_000)
    wait_for_app(page)
    heading = page.locator(".pst-slide h1").first.inner_text().replace(WORD_JOINER, "")
    assert heading == f"OS 1.1 · {markup(port, 'os')}"
    check(page, counter, "presentation-2-os", "Priorité « Très haute »")
    # From the last slide back to the changes, with the keyboard (a rerun, not a page load per
    # slide): every slide of late projects and of changes.
    number = total
    page.goto(f"{app.url}/Présentation?plan=binche&slide={number}")
    while True:
        page.get_by_text(f"Diapositive {number} / {total}").wait_for(timeout=15_000)
        check(page, counter, f"presentation-{number}", f"Diapositive {number} / {total}")
        if page.locator(".pst-slide h1").first.inner_text().startswith("Ce qui a changé"):
            break
        page.locator(".pst-slide h1").first.click()  # the page has the keyboard, not a widget
        page.keyboard.press("ArrowLeft")
        number -= 1


def test_evaluation_with_a_snapshot(server, page, counter):
    app, _ = server
    port = counter.port
    name = markup(port, SNAPSHOT_TAG)[:snapshots.NAME_MAX]
    log_in(page, app.url, "bob", next_path="/Évaluation?plan=binche")  # deleting a snapshot: a directeur
    check(page, counter, "evaluation", f"{name} (état au ")
    page.get_by_role("button", name="Supprimer cet instantané").click()
    page.get_by_text("Supprimer définitivement « ", exact=False).wait_for(timeout=10_000)
    check(page, counter, "evaluation-delete", f"Supprimer définitivement « {name} » ?",
          selector="[data-testid='stPopoverBody']")
