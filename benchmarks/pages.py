"""Server-side timings: each page's script run under ``streamlit.testing`` AppTest, cold (data
caches empty) and warm (second and later runs), with default filters and with a filter applied;
plus the floors (the empty page, the bare SQL aggregation behind the overview) and the textbook
overview.

AppTest runs the script in this process the way the server does (same caches, same session
state), without a browser: its time is the server's share of a page view.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from pathlib import Path

import streamlit as st
import streamlit.testing.v1.app_test as app_test_module
import streamlit.testing.v1.local_script_runner as local_runner_module
from sqlalchemy import case, func, select
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

from benchmarks.report import Measurement
from benchmarks.scales import BENCH_LOGIN, BENCH_PASSWORD
from db.engine import get_engine
from db.models import Action, OperationalObjective, Plan, StrategicObjective

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PAGES = (  # (label, script)
    ("Vue d'ensemble", "dashboard.py"),
    ("Objectifs", "pages/1_Objectifs.py"),
    ("Priorités", "pages/2_Priorités.py"),
    ("Labels", "pages/3_Labels.py"),
    ("Comparaison", "pages/4_Comparaison.py"),
    ("Mise à jour", "pages/5_Mise_à_jour.py"),
    ("Journal", "pages/6_Journal.py"),
    ("Présentation", "pages/7_Présentation.py"),
    ("Évaluation", "pages/8_Évaluation.py"),
    ("Mon compte", "pages/9_Mon_compte.py"),
    ("Administration", "pages/10_Administration.py"),
    ("PST public", "pages/11_PST_public.py"),
    ("Mes actions", "pages/12_Mes_actions.py"),
    ("Bureau et relances", "pages/13_Bureau_et_relances.py"),
    ("Indicateurs", "pages/14_Indicateurs.py"),
)
FILTERS = {"default": {}, "filtered": {"priority": "1"}}  # priority 1 = Charleroi's "Niveau 1"
TIMEOUT = 300
FLOOR_RUN = "server.floor"
FLOOR_SQL = "sql.floor"

# AppTest compiles the scripts anew on every run (a new ScriptCache each time); the server
# compiles each once. One shared cache makes AppTest's runs cost what the server's do.
_SCRIPT_CACHE = ScriptCache()
app_test_module.ScriptCache = local_runner_module.ScriptCache = lambda: _SCRIPT_CACHE


def log_in_as_directeur(url: str) -> None:
    """The pages run as the scale's directeur (edit controls drawn, as for the people who use
    them most): a real session, whose cookie AppTest cannot send, so the one function of
    ui/auth.py that reads it is replaced."""
    import ui.auth
    from pst_data import accounts

    engine = get_engine(url)
    token = accounts.log_in(engine, BENCH_LOGIN, BENCH_PASSWORD).token
    if token is None:
        raise RuntimeError(f"no benchmark account in {url}: rebuild the scale")
    ui.auth.request_token = lambda: token


def _key(script: str) -> str:
    return "overview" if script == "dashboard.py" else Path(script).stem.split("_", 1)[1].lower()


def _check(at: AppTest, script: str) -> None:
    if at.exception:
        raise RuntimeError(f"{script}: {[e.value for e in at.exception]}")


def _app(script: str, params: dict[str, str]) -> AppTest:
    """An AppTest on ``script`` as a user reaches it: app pages start at dashboard.py (their
    links resolve against it), benchmark pages are their own app."""
    if script.startswith("benchmarks/"):
        at = AppTest.from_file(str(ROOT / script), default_timeout=TIMEOUT)
    else:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
        if script != "dashboard.py":
            at.run()
            _check(at, "dashboard.py")
            at.switch_page(script)
    at.query_params.clear()
    for key, value in params.items():
        at.query_params[key] = value
    return at


def _timed_run(at: AppTest, script: str) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    _check(at, script)
    return elapsed


def quiet() -> None:
    """AppTest logs two warnings per run ("no runtime", "missing ScriptRunContext") on loggers
    Streamlit creates as it goes: hundreds of lines that hide the progress report."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def time_script(script: str, params: dict[str, str], cold_runs: int, warm_runs: int) -> tuple[list[float], list[float]]:
    """(cold samples, warm samples) in ms. Cold: every st.cache_data loader empty (the engine,
    a cache_resource, is kept: that is server start-up, not a page view)."""
    quiet()
    cold = []
    for _ in range(cold_runs):
        at = _app(script, params)
        st.cache_data.clear()
        cold.append(_timed_run(at, script))
    at = _app(script, params)
    at.run()  # warm the caches for this session and filter
    _check(at, script)
    warm = [_timed_run(at, script) for _ in range(warm_runs)]
    return cold, warm


def overview_sql(session, plan_id: int):
    """The bare aggregation behind the overview: per OS, actions, assessed, weighted mean taux."""
    assessed_weight = case((Action.progress.isnot(None), Action.weight), else_=0)
    return session.execute(
        select(StrategicObjective.code, func.count(Action.id), func.count(Action.progress),
               func.sum(Action.progress * Action.weight) / func.nullif(func.sum(assessed_weight), 0))
        .join(OperationalObjective, Action.operational_objective_id == OperationalObjective.id)
        .join(StrategicObjective, OperationalObjective.strategic_objective_id == StrategicObjective.id)
        .where(StrategicObjective.plan_id == plan_id)
        .group_by(StrategicObjective.code, StrategicObjective.position)
        .order_by(StrategicObjective.position)
    ).all()


def time_sql_floor(url: str, runs: int) -> list[float]:
    from sqlalchemy.orm import Session

    engine = get_engine(url)
    samples = []
    with Session(engine) as session:
        plan_id = session.scalar(select(Plan.id).order_by(Plan.id).limit(1))
        overview_sql(session, plan_id)  # connection and statement cache warm, as in the app
        for _ in range(runs):
            started = time.perf_counter()
            overview_sql(session, plan_id)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(url: str, backend: str, scale: str, cold_runs: int, warm_runs: int, log=print,
        pages=PAGES, filters=FILTERS) -> list[Measurement]:
    os.environ["PST_DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()  # the app's engine() is keyed by nothing: drop the previous URL's
    log_in_as_directeur(url)
    results = [Measurement(FLOOR_SQL, "Floor: bare SQL aggregation behind the overview", backend, scale,
                           "ms", time_sql_floor(url, max(warm_runs * 4, 10)))]
    _, warm = time_script("benchmarks/floor_page.py", {}, 0, warm_runs)
    results.append(Measurement(FLOOR_RUN, "Floor: empty page, server run", backend, scale, "ms", warm))
    cold, warm = time_script("benchmarks/textbook_overview.py", {}, 0, max(warm_runs // 2, 2))
    results.append(Measurement("server.textbook", "Textbook overview (read all, pandas), server run",
                               backend, scale, "ms", warm, FLOOR_RUN,
                               note="no cache: every run is cold"))
    for label, script in pages:
        for filter_name, params in filters.items():
            cold, warm = time_script(script, params, cold_runs, warm_runs)
            what = "" if filter_name == "default" else ", priority filter"
            key = f"server.{_key(script)}"
            results.append(Measurement(f"{key}.cold.{filter_name}", f"{label}: server run, cold{what}",
                                       backend, scale, "ms", cold, FLOOR_RUN))
            results.append(Measurement(f"{key}.warm.{filter_name}", f"{label}: server run, warm{what}",
                                       backend, scale, "ms", warm, FLOOR_RUN))
            log(f"    {label:<15} {filter_name:<8} cold {statistics.median(cold):7.0f} ms  "
                f"warm {statistics.median(warm):6.0f} ms")
    return results
