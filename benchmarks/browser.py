"""Browser timings in headless Chromium (Debian's, driven by Playwright) against a real
``streamlit run`` server, and the server's memory.

- first chart visible: from navigation start (the page's performance.now() origin) to the first
  plotly chart drawn with a size; cold = first visit after the server started (its caches and
  the browser's empty), warm = a new page (new Streamlit session) once both are warm.
- filter change: from the click on "Priorité 1 uniquement" to every chart drawn with new data.
- edit visible: session B is open on the overview; the benchmark saves a taux through
  ``pst_data.services.set_progress`` (as another user's session or the CLI would) and times until
  B shows the new "Sans taux" count (Date.now() on both sides: same machine, same clock).
- memory: resident set size (VmRSS) of the server process with 1 and then 10 open sessions.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.report import ALL, Measurement
from db.engine import make_engine
from db.models import Action, OperationalObjective, Plan, StrategicObjective
from benchmarks.scales import BENCH_LOGIN
from pst_data.accounts import log_in_trusted
from pst_data.services import set_progress
from tests.browser.server import CHROMIUM_ARGS, StreamlitServer, chromium_path, wait_for_app
from ui.frame import LIVE_REFRESH_SECONDS

TIMEOUT_MS = 120_000
FLOOR_PAINT = "browser.floor.paint"
FLOOR_CHART = "browser.floor.chart"
FLOOR_RERUN = "browser.floor.rerun"
FLOOR_MEMORY_1 = "memory.floor.sessions1"
FLOOR_MEMORY_10 = "memory.floor.sessions10"

# Runs in every page before Streamlit: records when the first heading and the first chart are
# visible, and when the user last clicked (all on the page's performance.now() clock).
INIT_SCRIPT = """
window.__bench = {firstPaint: null, firstChart: null, clickAt: null};
document.addEventListener('click', () => { window.__bench.clickAt = performance.now(); }, true);
new MutationObserver((_, observer) => {
  const b = window.__bench;
  const seen = el => el && el.getBoundingClientRect().height > 0;
  if (b.firstPaint === null && seen(document.querySelector("[data-testid='stHeading'], h1")))
    b.firstPaint = performance.now();
  if (b.firstChart === null && seen(document.querySelector(
        "[data-testid='stPlotlyChart'] .main-svg, [data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")))
    b.firstChart = performance.now();
  if (b.firstPaint !== null && b.firstChart !== null) observer.disconnect();
}).observe(document, {childList: true, subtree: true, attributes: true});
"""
CHART_SIGNATURE = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot")]
  .map(g => JSON.stringify(g.data || null)).join('|')"""
METRIC_VALUE = """(label) => {
  const box = [...document.querySelectorAll("[data-testid='stMetric']")].find(m => m.innerText.includes(label));
  const value = box && box.querySelector("[data-testid='stMetricValue']");
  return value ? value.innerText.trim() : null;
}"""


def _new_context(browser):
    context = browser.new_context(locale="fr-BE", viewport={"width": 1400, "height": 1000})
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _check(page, what: str) -> None:
    if page.locator("[data-testid='stException']").count():
        raise RuntimeError(f"{what}: the page shows an exception")


def visit(context, url: str, wait_chart: bool = True):
    """Open ``url`` in a new page of ``context``; (page, first paint ms, first chart ms)."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.__bench.firstPaint !== null", timeout=TIMEOUT_MS)
    if wait_chart:
        page.wait_for_function("() => window.__bench.firstChart !== null", timeout=TIMEOUT_MS)
    bench = page.evaluate("() => window.__bench")
    return page, bench["firstPaint"], bench["firstChart"]


def filter_change(page) -> float:
    """Click "Priorité 1 uniquement"; ms until every chart is drawn again with other data."""
    wait_for_app(page, TIMEOUT_MS)
    before = page.evaluate(CHART_SIGNATURE)
    page.evaluate("() => { window.__bench.clickAt = null; }")
    page.locator("[data-testid='stSidebar'] [data-testid='stCheckbox']").filter(
        has_text="Priorité 1 uniquement").locator("label").click()
    done = page.wait_for_function(
        """(before) => {
          const state = document.querySelector('[data-test-script-state]');
          if (!state || state.getAttribute('data-test-script-state') !== 'notRunning') return false;
          const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
          if (!charts.length || !charts.every(c => c.querySelector('.js-plotly-plot .main-svg'))) return false;
          const now = [...document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot")]
            .map(g => JSON.stringify(g.data || null)).join('|');
          return now !== before && performance.now();
        }""", arg=before, polling="raf", timeout=TIMEOUT_MS)
    return done.json_value() - page.evaluate("() => window.__bench.clickAt")


def _unassessed_actions(url: str, slug: str) -> list[tuple[int, int]]:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return list(s.execute(
                select(Action.id, Action.version).join(OperationalObjective).join(StrategicObjective)
                .join(Plan).where(Plan.slug == slug, Action.progress.is_(None)).order_by(Action.id)).all())
    finally:
        engine.dispose()


def edit_visible(page, database_url: str, slug: str, runs: int, rng: random.Random) -> list[float]:
    """Save a taux from outside the page ``runs`` times; ms until the page shows it."""
    targets = _unassessed_actions(database_url, slug)[:runs]
    engine = make_engine(database_url)
    writer = log_in_trusted(engine, BENCH_LOGIN)  # another person saving, through the write path
    samples = []
    try:
        for action_id, version in targets:
            wait_for_app(page, TIMEOUT_MS)
            before = page.evaluate(METRIC_VALUE, "Sans taux")
            page.evaluate("""([js, before]) => {
              const read = eval(js);
              window.__bench.seenAt = null;
              const poll = () => {
                if (read('Sans taux') !== before) { window.__bench.seenAt = Date.now(); return; }
                requestAnimationFrame(poll);
              };
              poll();
            }""", [METRIC_VALUE, before])
            time.sleep(rng.uniform(0, LIVE_REFRESH_SECONDS))  # any phase of the page's refresh cycle
            set_progress(engine, action_id, version, 50, writer, "mesure")
            saved = time.time() * 1000
            page.wait_for_function("() => window.__bench.seenAt !== null", timeout=60_000)
            samples.append(page.evaluate("() => window.__bench.seenAt") - saved)
    finally:
        engine.dispose()
    return samples


def _open_sessions(context, base_url: str, slugs: list[str], count: int, path: str = "/") -> list:
    """``count`` more sessions (tabs: each has its own websocket, so its own Streamlit session),
    each on the next plan of ``slugs``; returns their pages. Each tab is opened once
    the previous one's script run is over; the browser may still be drawing (what the server
    holds per session is there by then, and 2 cores drawing 10 pages would take a minute)."""
    pages = []
    for i in range(count):
        page = context.new_page()
        pages.append(page)
        query = f"?plan={slugs[i % len(slugs)]}" if slugs else ""
        page.goto(f"{base_url}{path}{query}")
        page.wait_for_function(
            "() => window.__bench.firstPaint !== null && "
            "document.querySelector('[data-test-script-state]').getAttribute('data-test-script-state') === 'notRunning'",
            # A timer, not animation frames: with ten tabs drawing on two cores, frames of a
            # tab in the background come rarely and the live-refresh runs keep flipping the state.
            polling=100, timeout=TIMEOUT_MS)
        _check(page, "session")
    return pages


def _plan_slugs(url: str, limit: int = 10) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return list(s.scalars(select(Plan.slug).order_by(Plan.id).limit(limit)))
    finally:
        engine.dispose()


def run_app(browser, url: str, backend: str, scale: str, work_dir: Path, cold_runs: int,
            warm_runs: int, edit_runs: int, log=print) -> list[Measurement]:
    """Everything measured on the real app for one database (which it may write to)."""
    cold_paint, cold_chart, warm_paint, warm_chart, changes, edits, mem1, mem10 = ([] for _ in range(8))
    slugs = _plan_slugs(url)
    rng = random.Random(f"edit-{backend}-{scale}")
    clock = time.perf_counter()
    steps = []

    def step(name):
        nonlocal clock
        now = time.perf_counter()
        steps.append(f"{name} {now - clock:.0f}s")
        clock = now

    for start in range(cold_runs):
        with StreamlitServer(url, work_dir / f"app-{backend}-{scale}-{start}.log") as server:
            step("start")
            context = _new_context(browser)
            page, paint, chart = visit(context, server.url + "/")
            wait_for_app(page, TIMEOUT_MS)
            _check(page, "overview")
            cold_paint.append(paint)
            cold_chart.append(chart)
            time.sleep(1)
            mem1.append(server.rss_mb())
            step("cold")
            if start == 0:
                page.close()
                for _ in range(warm_runs):
                    page, paint, chart = visit(context, server.url + "/")
                    warm_paint.append(paint)
                    warm_chart.append(chart)
                    page.close()
                step("warm")
                page, _, _ = visit(context, server.url + "/")
                changes = [filter_change(page) for _ in range(warm_runs)]
                page.close()
                step("filter")
                page, _, _ = visit(context, server.url + "/")  # stays open: one of the 10 sessions
                if edit_runs:
                    edits = edit_visible(page, url, slugs[0], edit_runs, rng)
                    step("edit")
                others = _open_sessions(context, server.url, slugs, 9)
                time.sleep(2)
                mem10.append(server.rss_mb())
                for other in others:
                    other.close()
                step("sessions")
            context.close()
    log(f"    first chart cold {min(cold_chart):.0f} ms, warm {min(warm_chart):.0f} ms, "
        f"filter {min(changes):.0f} ms, edit {[round(e) for e in edits]}, RSS {mem1[0]:.0f}/{mem10[0]:.0f} MB"
        f" ({', '.join(steps)})")
    m = lambda key, label, unit, samples, floor: Measurement(key, label, backend, scale, unit, samples, floor)
    results = [
        m("browser.first_paint.cold", "Browser: first paint, cold server", "ms", cold_paint, FLOOR_PAINT),
        m("browser.first_chart.cold", "Browser: first chart visible, cold server", "ms", cold_chart, FLOOR_CHART),
        m("browser.first_paint.warm", "Browser: first paint, warm", "ms", warm_paint, FLOOR_PAINT),
        m("browser.first_chart.warm", "Browser: first chart visible, warm", "ms", warm_chart, FLOOR_CHART),
        m("browser.filter_change", "Browser: filter change → chart updated", "ms", changes, FLOOR_RERUN),
        m("memory.sessions1", "Server memory (RSS), 1 session", "MB", mem1, FLOOR_MEMORY_1),
        m("memory.sessions10", "Server memory (RSS), 10 sessions", "MB", mem10, FLOOR_MEMORY_10),
    ]
    if edits:
        results.insert(4, m("browser.edit_visible", "Edit saved → visible in another open session",
                            "ms", edits, FLOOR_RERUN))
    return results


def run_textbook(browser, url: str, backend: str, scale: str, work_dir: Path, runs: int) -> list[Measurement]:
    with StreamlitServer(url, work_dir / f"textbook-{backend}-{scale}.log", script="benchmarks/textbook_overview.py") as server:
        context = _new_context(browser)
        page, _, _ = visit(context, server.url + "/")  # warms the browser cache and the engine
        page.close()
        charts = []
        for _ in range(runs):
            page, _, chart = visit(context, server.url + "/")
            charts.append(chart)
            page.close()
        context.close()
    return [Measurement("browser.textbook.first_chart", "Browser: textbook overview, first chart visible",
                        backend, scale, "ms", charts, FLOOR_CHART)]


class Floor:
    """The floor page's server, kept running for the whole benchmark: its first paint and first
    chart are sampled again next to every (backend, scale) block, so each ratio compares figures
    taken under the same load (the machine is shared)."""

    def __init__(self, browser, work_dir: Path):
        self.server = StreamlitServer(None, work_dir / "floor.log", script="benchmarks/floor_page.py")
        self.server.wait_ready()
        self.context = _new_context(browser)

    def once(self, warm_runs: int) -> list[Measurement]:
        """Memory with 1 and 10 sessions, the toggle round trip, the Vega-Lite comparison."""
        server, context = self.server, self.context
        first, _, _ = visit(context, server.url + "/", wait_chart=False)
        wait_for_app(first, TIMEOUT_MS)
        time.sleep(1)
        mem1 = server.rss_mb()
        # Memory first, on the empty page only: the chart pages below import plotly and altair
        # into the server, which would count as "sessions" here.
        others = _open_sessions(context, server.url, [], 9)  # and the first page, still open: 10
        time.sleep(2)
        mem10 = server.rss_mb()
        for other in others + [first]:
            other.close()
        page, _, _ = visit(context, server.url + "/?chart=1")
        reruns = [filter_change(page) for _ in range(warm_runs)]
        page.close()
        vega = []
        for _ in range(warm_runs):
            page, _, chart = visit(context, server.url + "/?chart=vega")
            vega.append(chart)
            page.close()
        return [
            Measurement("browser.floor.vega", "Floor: one Vega-Lite chart instead (st.bar_chart), first chart visible",
                        ALL, ALL, "ms", vega),
            Measurement(FLOOR_RERUN, "Floor: one-chart page, toggle → chart updated", ALL, ALL, "ms", reruns),
            Measurement(FLOOR_MEMORY_1, "Floor: empty page server memory, 1 session", ALL, ALL, "MB", [mem1]),
            Measurement(FLOOR_MEMORY_10, "Floor: empty page server memory, 10 sessions", ALL, ALL, "MB", [mem10]),
        ]

    def paint_and_chart(self, backend: str, scale: str, runs: int) -> list[Measurement]:
        paints, charts = [], []
        for _ in range(runs):
            page, paint, _ = visit(self.context, self.server.url + "/", wait_chart=False)
            paints.append(paint)
            page.close()
            page, _, chart = visit(self.context, self.server.url + "/?chart=1")
            charts.append(chart)
            page.close()
        return [
            Measurement(FLOOR_PAINT, "Floor: empty page, first paint", backend, scale, "ms", paints),
            Measurement(FLOOR_CHART, "Floor: one-chart page, first chart visible", backend, scale, "ms", charts),
        ]

    def close(self) -> None:
        self.context.close()
        self.server.stop()


def launch(playwright):
    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium not found (make browser installs it)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
