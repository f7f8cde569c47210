"""Export and report generation times for Charleroi's plan (97 actions) at each scale: the Excel
workbook, the PowerPoint deck and the PDF evaluation report (97 fiches). Each run reads what it
needs from the database and builds the file, as the download button or the CLI does."""

from __future__ import annotations

import datetime as dt
import importlib
import time

from sqlalchemy.orm import Session

from benchmarks.pages import FLOOR_RUN
from benchmarks.report import Measurement
from db.engine import get_engine
from pst_data import queries
from pst_data.rules import clock

NOT_YET = "pas encore disponible"


def _builder(module: str, name: str):
    """The export function, or None while the module does not exist (it is being written)."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _excel(session, plan, today):
    from pst_data.exports.excel import plan_workbook

    return plan_workbook(session, plan, queries.actions_frame(session, plan, today))


def _deck(session, plan, today):
    build = _builder("pst_data.exports.deck", "plan_deck")
    actions = queries.actions_frame(session, plan, today)
    return build(session, plan, actions, today - dt.timedelta(days=30), today,
                 "Aucun filtre : toutes les actions du plan.")


def _report(session, plan, today):
    build = _builder("pst_data.exports.report", "evaluation_report")
    return build(session, plan, "finale", today, today)


EXPORTS = (  # key, label, module and function that must exist, builder
    ("export.excel", "Excel export (Charleroi)", "pst_data.exports.excel", "plan_workbook", _excel),
    ("export.deck", "PowerPoint deck (Charleroi)", "pst_data.exports.deck", "plan_deck", _deck),
    ("export.report", "PDF evaluation report, finale (Charleroi, 97 fiches)", "pst_data.exports.report",
     "evaluation_report", _report),
)


def run(url: str, backend: str, scale: str, runs: int, slow_runs: int, log=print) -> list[Measurement]:
    engine = get_engine(url)
    today = clock.today()
    results = []
    with Session(engine) as session:
        plan = next(p for p in queries.list_plans(session) if p["slug"] == "charleroi")
    for key, label, module, name, build in EXPORTS:
        m = Measurement(key, label, backend, scale, "ms", [], FLOOR_RUN)
        results.append(m)
        if _builder(module, name) is None:
            m.note = NOT_YET
            continue
        count = runs if key == "export.excel" else slow_runs
        with Session(engine) as session:  # not measured: imports and first-use setup, as a server has them
            build(session, plan, today)
        for _ in range(count):
            with Session(engine) as session:
                started = time.perf_counter()
                data = build(session, plan, today)
                m.samples.append((time.perf_counter() - started) * 1000)
            if not data:
                raise RuntimeError(f"{key}: empty file")
        log(f"    {label:<55} {min(m.samples):7.0f} ms ({len(data) // 1024} KiB)")
    return results
