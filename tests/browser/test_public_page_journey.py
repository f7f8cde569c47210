"""The public page (art. 27ter: the PST published online): an anonymous visitor reads the plan
an admin published, and nothing else (no other plan, no history, no staff names unless chosen,
nothing that edits). The page and the login page are checked with axe-core for WCAG 2.1 A/AA,
and the keyboard reaches only visible things."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import text

from db.engine import make_engine
from pst_data import accounts, services
from pst_data.exchange.plan_file import iter_actions
from pst_data.rules.formatting import fmt_percent
from pst_data.uow import Operator
from tests.browser.conftest import _server, end_journey, journey_page, shot
from tests.browser.server import wait_for_app
from tests.browser.test_dashboard_journeys import no_exception
from ui.data import REVISION_TTL_SECONDS

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# Something that happened after the import: the public page shows its result (the new taux),
# never the journal of it (who, when, the comment, the old value).
EDITOR = "Agent Historique"
EDIT_COMMENT = "Relance du marché, note interne au service"
EDITED_CODE, OLD_TAUX, NEW_TAUX = "1.1.1.1.2", 40, 45
# st.table reads its cells as Markdown: a title typed with Markdown must show as typed.
EDITED_TITLE = "Rénovation **urgente** du bâtiment [voir](https://exemple.be) _accueil_ <b>social</b>"
SECTION = "[data-testid='stMain']"


@pytest.fixture(scope="module")
def public_server(tmp_path_factory, seeded_sqlite_file, chromium):
    server = _server(tmp_path_factory, seeded_sqlite_file, "browser-public")
    engine = make_engine(server.database_url)
    with engine.connect() as conn:
        action_id, version = conn.execute(text(
            "SELECT a.id, a.version FROM actions a "
            "JOIN operational_objectives oo ON oo.id = a.operational_objective_id "
            "JOIN strategic_objectives so ON so.id = oo.strategic_objective_id "
            "JOIN plans p ON p.id = so.plan_id WHERE p.slug = 'binche' AND a.code = :code"),
            {"code": EDITED_CODE}).one()
    services.update_action(engine, action_id, version, {"progress": NEW_TAUX, "title": EDITED_TITLE},
                           Operator(EDITOR), EDIT_COMMENT)
    server.engine = engine
    yield server
    engine.dispose()
    server.stop()


def publish(server, **plans: bool) -> None:
    """Publish exactly these plans (slug=True shows the chefs de projet's names), as an admin
    would, and give the server's revision poll time to see it."""
    with server.engine.connect() as conn:
        now = conn.execute(text("SELECT slug, id, published, published_names FROM plans")).all()
    changed = False
    for slug, plan_id, published, names in now:
        wanted = (slug in plans, plans.get(slug, False))
        if (bool(published), bool(names)) != wanted:
            accounts.publish_plan(server.engine, Operator("tests"), plan_id, *wanted)
            changed = True
    if changed:
        time.sleep(REVISION_TTL_SECONDS + 0.2)


def open_public(page, server, query: str = "plan=binche") -> str:
    page.goto(f"{server.url}/PST_public?{query}")
    wait_for_app(page)
    no_exception(page)
    return main_text(page)


def main_text(page) -> str:
    return page.locator(SECTION).inner_text().replace("\u2060", "")  # md_escape's word joiners


def tables(page) -> list[dict]:
    """Every st.table of the page: its accessible name, header row and body rows (cell texts)."""
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stTable'] table")].map(t => ({
        name: t.getAttribute('aria-label'),
        head: [...t.querySelectorAll('thead th')].map(c => c.innerText.trim()),
        rows: [...t.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('th, td')].map(
            c => c.innerText.replace(/\\u2060/g, '').trim())),
    }))""")


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA rules on the whole page (nothing excluded)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page, options=AXE_OPTIONS).response["violations"]


def axe_summary(violations: list[dict]) -> str:
    lines = [f"{len(violations)} règle(s) WCAG violée(s) :"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}) : {v['help']} — {len(v['nodes'])} élément(s) [{v['helpUrl']}]")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}")
            lines.append(f"      {node['html'][:160]}")
            lines.append("      " + node.get("failureSummary", "").replace("\n", " / ")[:300])
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{what}\n{axe_summary(violations)}"


def tall_shot(page, name: str) -> None:
    """The whole page in one picture: Streamlit scrolls inside its main area, so a full-page
    screenshot would stop at the window; the window is made as tall as the page instead."""
    size = page.viewport_size
    height = page.evaluate(f"() => document.querySelector(\"{SECTION}\").scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(height + 50, 16_000)})
    page.wait_for_timeout(400)
    shot(page, name)
    page.set_viewport_size(size)


def lead_of(plan: dict) -> str:
    """The name of a chef de projet who leads several of the plan's actions."""
    leads = Counter(a["project_lead"] for _, _, a in iter_actions(plan) if a["project_lead"])
    return leads.most_common(1)[0][0]


def test_nothing_is_shown_before_an_admin_publishes(public_server, page):
    publish(public_server)
    text_ = open_public(page, public_server)
    assert "Aucun plan n'est publié pour le moment." in text_
    assert "CPAS de Binche" not in text_ and "Situation au" not in text_
    assert page.locator("[data-testid='stTable'], [data-testid='stPlotlyChart']").count() == 0
    assert_accessible(page, "page publique sans plan publié")


def test_an_anonymous_visitor_reads_the_published_plan(public_server, page, plan_files):
    publish(public_server, binche=False)
    plan = plan_files["binche"]
    text_ = open_public(page, public_server)
    shot(page, "public-page")

    assert page.locator(f"{SECTION} h1").inner_text().strip() == "Programme stratégique transversal · CPAS de Binche"
    assert "Situation au " in text_ and "article 27ter" in text_
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    # No app around it: no sidebar, no menu.
    assert not page.locator("[data-testid='stSidebar']").is_visible()

    # The chart, its sentence and its table: every OS that has actions, with its taux.
    with_actions = [os_ for os_ in plan["strategic_objectives"]
                    if any(oo["actions"] for oo in os_["operational_objectives"])]
    chart = page.locator("[data-testid='stPlotlyChart']")
    assert chart.count() == 1 and chart.is_visible()
    assert "Graphique en barres" in chart.get_attribute("aria-label")
    assert (f"Le graphique montre le taux d'avancement moyen de chacun des {len(with_actions)} "
            "objectifs stratégiques") in text_
    os_table, *action_tables = tables(page)
    assert os_table["head"] == ["Objectif stratégique", "Taux moyen", "Actions", "Sans taux"]
    assert [row[0] for row in os_table["rows"]] == [f"OS {o['code']} · {o['title']}" for o in with_actions]
    assert all(row[1].endswith("%") for row in os_table["rows"])

    # OS and OO headings, in the plan's order.
    assert page.locator(f"{SECTION} h3").all_inner_texts() == [f"OS {o['code']} · {o['title']}" for o in with_actions]
    oos = [oo for o in with_actions for oo in o["operational_objectives"] if oo["actions"]]
    assert [h.replace("\u2060", "") for h in page.locator(f"{SECTION} h4").all_inner_texts()] == \
        [f"OO {oo['code']} · {oo['title']}" for oo in oos]

    # One table per OO; one row per action: code, title, status, taux (no chef de projet).
    assert len(action_tables) == len(oos)
    assert {t["name"] for t in action_tables} == {f"Actions de l'objectif opérationnel {oo['code']}" for oo in oos}
    assert all(t["head"] == ["Code", "Action", "Statut", "Taux d'avancement"] for t in action_tables)
    rows = {row[0]: row for t in action_tables for row in t["rows"]}
    actions = [a for _, _, a in iter_actions(plan)]
    assert list(rows) == [a["code"] for a in actions]
    for action in actions:
        code, title, status, taux = rows[action["code"]]
        edited = action["code"] == EDITED_CODE
        assert title == (EDITED_TITLE if edited else action["title"])
        assert status == (action["status"] or "non renseigné")
        assert taux == fmt_percent(NEW_TAUX if edited else action["progress"], 0), action["code"]
    assert rows["1.1.1.1.1"][3] == "80\u00a0%"
    assert page.locator("[data-testid='stTable'] :is(strong, em, a, b)").count() == 0

    # No staff names (the admin did not choose to show them), no journal, nothing that edits.
    lead = lead_of(plan)
    assert lead not in text_ and "Chef de projet" not in text_
    for private in (EDITOR, EDIT_COMMENT, "Historique", "Journal", "Dernières modifications", "Modifié"):
        assert private not in text_, private
    assert rows[EDITED_CODE][3] != fmt_percent(OLD_TAUX, 0)
    assert page.get_by_role("button", name="Enregistrer").count() == 0
    assert page.locator("input[type='text'], input:not([type]), textarea, [contenteditable='true']").count() == 0
    assert page.locator("[data-testid='stDataFrame'], [data-testid='stForm']").count() == 0

    assert_accessible(page, "page publique (bureau, 1400 px)")
    tall_shot(page, "public-page-whole")


def test_the_keyboard_reaches_only_visible_things(public_server, page):
    publish(public_server, binche=False)
    open_public(page, public_server)
    stops = []
    for n in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
            if (!e || e === document.body) return null;
            const r = e.getBoundingClientRect();
            return {tag: e.tagName, name: (e.getAttribute('aria-label') || e.innerText || '').slice(0, 40),
                    visible: e.checkVisibility({opacityProperty: true, visibilityProperty: true})
                             && r.width > 0 && r.height > 0}; }""")
        if focused is None or (stops and focused == stops[0]):  # left the page, or came round
            break
        stops.append(focused)
        if n == 0:
            shot(page, "public-page-keyboard")  # the first stop, as a keyboard user sees it
    assert stops, "la touche Tab n'atteint rien sur la page publique"
    assert all(s["visible"] for s in stops), stops


def test_a_plan_not_published_is_never_shown(public_server, page, plan_files):
    publish(public_server, binche=False)
    text_ = open_public(page, public_server, "plan=charleroi")
    assert "plan=binche" in page.url
    assert "CPAS de Binche" in page.locator(f"{SECTION} h1").inner_text()
    assert "Charleroi" not in text_
    for os_ in plan_files["charleroi"]["strategic_objectives"]:
        assert os_["title"] not in text_
    assert page.locator("[data-testid='stSelectbox']").count() == 0  # one plan published: nothing to choose


def test_names_show_when_the_admin_chose_so_also_on_a_phone(public_server, journey_context, plan_files):
    publish(public_server, binche=True)
    lead = lead_of(plan_files["binche"])
    page = journey_page(journey_context, {"width": 400, "height": 900})
    try:
        text_ = open_public(page, public_server)
        action_tables = tables(page)[1:]
        assert all(t["head"] == ["Code", "Action", "Statut", "Taux d'avancement", "Chef de projet"]
                   for t in action_tables)
        rows = {row[0]: row for t in action_tables for row in t["rows"]}
        led = [a["code"] for _, _, a in iter_actions(plan_files["binche"]) if a["project_lead"] == lead]
        assert led and all(rows[code][4].replace("\n", " ") == lead for code in led), [rows[c] for c in led]
        assert EDITOR not in text_  # the names are the chefs de projet's, not the journal's
        # On a phone the actions read as blocks, and no table is wider than the screen (its box
        # would scroll sideways, out of the keyboard's reach), down to WCAG's 320 px.
        assert page.locator(".st-key-public_actions tbody tr").first.evaluate(
            "r => getComputedStyle(r).display") == "block"
        for width in (400, 320):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(300)
            assert page.evaluate("""() => [...document.querySelectorAll("[data-testid='stTable'] > div")]
                .filter(d => d.scrollWidth > d.clientWidth + 1).length""") == 0, width
            assert_accessible(page, f"page publique avec les noms (téléphone, {width} px)")
        page.set_viewport_size({"width": 400, "height": 900})
        tall_shot(page, "public-page-phone")
    finally:
        end_journey(journey_context)


def test_the_login_page_is_accessible(public_server, page):
    page.goto(f"{public_server.url}/connexion")
    page.get_by_label("Identifiant").wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    assert_accessible(page, "page de connexion")
    shot(page, "login-page")
    page.get_by_label("Identifiant").fill("personne")
    page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("alert").wait_for()
    assert_accessible(page, "page de connexion, après un mot de passe refusé")
    shot(page, "login-page-error")
    page.set_viewport_size({"width": 400, "height": 800})
    assert_accessible(page, "page de connexion (téléphone, 400 px)")
