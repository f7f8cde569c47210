"""The benchmark code, lightly: the generator's determinism, counts and proportions, the bulk
loader against the real schema, and the shape of the results table. (The benchmarks themselves
run with ``make bench``, not here.)"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy.orm import Session

from benchmarks import generate, report
from benchmarks.report import ALL, Measurement
from db.engine import make_engine
from db.migrate import upgrade
from db.models import STATUSES
from pst_data import queries
from pst_data.exchange.plan_file import validate_plan
from pst_data.importer import ensure_seed_labels


def test_generator_is_deterministic():
    first, again = generate.generate_plans(3), generate.generate_plans(3)
    assert [p.plan for p in first] == [p.plan for p in again]
    assert [p.history for p in first] == [p.history for p in again]
    assert generate.generate_plans(1, seed=1)[0].plan != first[0].plan


def test_generated_counts_and_shape():
    plans = generate.generate_plans(3)
    assert [p.plan["slug"] for p in plans] == ["cpas-gen-001", "cpas-gen-002", "cpas-gen-003"]
    for generated in plans:
        validate_plan(generated.plan)  # the app's own plan-file rules accept it
        actions = generated.actions
        assert 85 <= len(actions) <= 115
        assert 6 <= len(generated.plan["strategic_objectives"]) <= 10
        oo = sum(len(os_["operational_objectives"]) for os_ in generated.plan["strategic_objectives"])
        assert 12 <= oo <= 50
        assert sorted(generated.history) == sorted(a["code"] for a in actions)
        assert sum(len(rows) for rows in generated.history.values()) == 10 * len(actions)


def test_history_rows_look_like_the_apps():
    generated = generate.generate_plan(7)
    for action in generated.actions:
        rows = generated.history[action["code"]]
        assert [r["kind"] for r in rows] == ["import", "import"] + ["update"] * 8
        assert [r["version_after"] for r in rows] == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        assert rows[0]["change_id"] == rows[1]["change_id"]
        assert len({r["change_id"] for r in rows}) == 9
        assert [r["changed_at"] for r in rows] == sorted(r["changed_at"] for r in rows)
        assert {r["field"] for r in rows[2:]} <= {"progress", "status", "comment"}
        for field in ("progress", "status"):  # each update starts from the previous value
            values = [r for r in rows if r["field"] == field]
            for before, after in zip(values, values[1:]):
                assert after["old_value"] == before["new_value"]
        progress = [r["new_value"] for r in rows if r["field"] == "progress"][-1]
        assert progress == (None if action["progress"] is None else str(action["progress"]))
        assert action["status"] in STATUSES
        assert (action["status"] == "Finalisé") == (action["progress"] == 100)


def test_proportions_are_charleroi_like():
    actions = [a for p in generate.generate_plans(20) for a in p.actions]
    n = len(actions)
    assert abs(sum(a["priority"] == "Niveau 1" for a in actions) / n - 42 / 97) < 0.05
    labels = Counter(name for a in actions for name in a["labels"])
    assert abs(labels["États généraux"] / n - 36 / 97) < 0.05
    assert 0.05 < labels["PPI"] / n < 0.15 and 0.03 < labels["PGP"] / n < 0.13
    missing = sum(a["progress"] is None for a in actions) / n
    assert 0.07 < missing < 0.17


def test_bulk_insert_loads_what_the_app_reads(tmp_path):
    from benchmarks.scales import bulk_insert, counts

    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        ensure_seed_labels(session)
    plans = generate.generate_plans(2)
    bulk_insert(engine, plans)
    expected = sum(len(p.actions) for p in plans)
    assert counts(url) == {"plans": 2, "actions": expected, "history": 10 * expected}
    with Session(engine) as session:
        plan = queries.list_plans(session)[1]
        frame = queries.actions_frame(session, plan, dt.date(2026, 1, 1))
        assert len(frame) == len(plans[1].actions)
        assert frame["labels"].map(len).sum() == sum(len(a["labels"]) for a in plans[1].actions)
        assert queries.comparison_frame(session)["actions"].sum() == expected
        assert len(queries.recent_changes(session, plan["id"])) == 10
    engine.dispose()


def _fake_results() -> list[Measurement]:
    results = [
        Measurement("server.floor", "Floor: empty page", "sqlite", s, "ms", [2.0, 2.0, 3.0]) for s in "SML"
    ]
    results += [Measurement("server.overview.warm.default", "Overview warm", "sqlite", s, "ms", samples,
                            "server.floor")
                for s, samples in (("S", [4.0, 5.0, 4.0]), ("M", [6.0, 6.0]), ("L", [12.0, 11.0, 13.0]))]
    results.append(Measurement("memory.sessions10", "Memory 10 sessions", "sqlite", "L", "MB", [250.0]))
    results.append(Measurement("browser.floor.chart", "Floor: chart", ALL, ALL, "ms", [1000.0]))
    results.append(Measurement("export.report", "PDF report", "sqlite", "S", "ms", [], note="pas encore disponible"))
    return results


def test_table_has_one_row_per_measure_and_backend_and_a_column_per_scale():
    rows = report.table_rows(_fake_results())
    assert [list(r) for r in rows] == [list(report.COLUMNS)] * 5
    assert [r["Measure"] for r in rows] == ["Floor: empty page", "Overview warm", "Memory 10 sessions",
                                           "Floor: chart", "PDF report"]
    overview = rows[1]
    assert overview["S"] == "**4.00 ms** [4.00–5.00] ×2.0"
    assert overview["M"] == "**6.00 ms** [6.00–6.00] ×3.0"
    assert overview["L"].endswith("×6.0")
    assert overview["Growth S→M→L"] == "1 → 1.5 → 3"
    assert overview["Floor"] == "Floor: empty page"
    assert rows[3]["M"] == "(same)" and rows[3]["Backend"] == "both"
    assert rows[4]["S"] == "pas encore disponible"
    table = report.markdown(rows)
    assert table.splitlines()[0] == "| " + " | ".join(report.COLUMNS) + " |"
    assert len(table.splitlines()) == 2 + 5


def _target_results() -> list[Measurement]:
    """A run in which some targets hold and others do not."""
    def m(key, backend, scale, samples, floor=None, unit="ms", label=None):
        return Measurement(key, label or key, backend, scale, unit, samples, floor)

    return [
        m("server.overview.warm.default", "sqlite", "S", [10.0, 12.0], label="Vue d'ensemble: server run, warm"),
        m("server.overview.warm.default", "sqlite", "L", [11.0, 11.0], label="Vue d'ensemble: server run, warm"),
        m("server.objectifs.warm.default", "sqlite", "S", [15.0], label="Objectifs: server run, warm"),
        m("server.objectifs.warm.default", "sqlite", "L", [25.0], label="Objectifs: server run, warm"),
        m("server.journal.warm.default", "sqlite", "S", [5.0], label="Journal: server run, warm"),
        m("server.journal.warm.default", "sqlite", "L", [6.0], label="Journal: server run, warm"),
        m("server.objectifs.warm.filtered", "sqlite", "L", [500.0]),  # filtered runs are not in the targets
        m("server.textbook", "sqlite", "L", [600.0]),
        m("browser.floor.chart", ALL, ALL, [1000.0]),
        m("browser.first_chart.warm", "sqlite", "S", [1150.0], "browser.floor.chart"),
        m("browser.first_chart.warm", "sqlite", "L", [1300.0], "browser.floor.chart"),
        m("browser.edit_visible", "sqlite", "S", [900.0, 1500.0, 3900.0]),
        m("browser.edit_visible", "postgresql", "S", [1900.0, 2100.0, 4100.0]),
        m("export.deck", "sqlite", "S", [100.0]),
        m("export.report", "sqlite", "S", [480.0]),
        m("memory.floor.sessions10", ALL, ALL, [70.0], unit="MB"),
        m("memory.sessions10", "sqlite", "L", [240.0], "memory.floor.sessions10", unit="MB"),
    ]


def test_targets_are_the_issue_s_ratios_measured_in_the_same_run():
    rows = report.check_targets(_target_results())

    def row(start: str) -> dict[str, str]:
        return next(r for r in rows if r["Target"].startswith(start))

    pages = row("Every page")  # Objectifs at L: 25 / 11 > 2
    assert pages["Measured"] == "sqlite S: Objectifs ×1.36; sqlite L: Objectifs ×2.27" and pages["Met"] == "**no**"
    growth = row("No page")
    assert growth["Measured"] == "sqlite: Objectifs ×1.67" and growth["Met"] == "**no**"
    chart = row("First chart")
    assert chart["Measured"] == "sqlite S: ×1.15; sqlite L: ×1.30" and chart["Met"] == "**no**"
    textbook = row("The textbook")
    assert textbook["Measured"] == "sqlite L: ×54.5" and textbook["Met"] == "yes"
    edit = row("An edit")
    assert edit["Measured"] == ("sqlite S: median 1500 ms, worst 3900 ms of 3; "
                                "postgresql S: median 2100 ms, worst 4100 ms of 3")
    assert edit["Met"] == "**no**"  # PostgreSQL's median is over one period
    pdf = row("The PDF")
    assert pdf["Measured"] == "sqlite S: ×4.8" and pdf["Met"] == "yes"
    memory = row("Server memory")
    assert memory["Measured"] == "sqlite L: ×3.43" and memory["Met"] == "yes"


def test_a_target_nothing_measured_says_so():
    rows = report.check_targets([Measurement("server.floor", "Floor", "sqlite", "S", "ms", [2.0])])
    assert {r["Met"] for r in rows} == {"?"} and {r["Measured"] for r in rows} == {"not measured"}


def test_the_edit_target_uses_the_app_s_refresh_period():
    from ui.frame import LIVE_REFRESH_SECONDS

    assert report.LIVE_REFRESH_MS == LIVE_REFRESH_SECONDS * 1000


def test_readme_section_is_replaced_and_changes_are_reported(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("# Benchmarks\n\nAnalysis stays.\n")
    results = _fake_results()
    meta = {"date": "2026-11-23 12:00", "commit": "abc1234", "mode": "quick", "duration_s": 60,
            "runs": "few", "machine": {"CPU": "test", "cores": "2"}}
    first = report.changes_since(None, results, [])
    assert first.startswith("First run")
    report.write_readme(report.results_section(results, meta, first), path)
    report.write_readme(report.results_section(results, meta, "Second."), path)
    text = path.read_text()
    assert text.count(report.START) == 1 and "Analysis stays." in text and "Second." in text
    slower = [Measurement(m.key, m.label, m.backend, m.scale, m.unit, [v * 2 for v in m.samples], m.floor)
              for m in results]
    changes = report.changes_since((meta, results), slower, ["def5678 Faster charts"])
    assert "def5678 Faster charts" in changes and "Overview warm (sqlite, L): 12.0 → 24.0 ms (+100%)" in changes


@pytest.mark.parametrize("value,unit,text", [(0.456, "ms", "0.46"), (45.6, "ms", "45.6"), (456.4, "ms", "456"),
                                             (45.6, "MB", "46")])
def test_number_format(value, unit, text):
    assert report._number(value, unit) == text


@pytest.mark.bench
def test_the_benchmarks_still_run():
    """``python -m benchmarks --smoke``: S on SQLite, one run of every page and export, the
    results table and the targets, nothing written. A page the benchmark cannot run any more
    (an account it does not log in with, a renamed page) fails here, not on the next ``make bench``."""
    import subprocess
    import sys

    from tests.pages_support import ROOT

    done = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("sqlite S: server-side runs (AppTest)", "sqlite S: exports",
                 "| Vue d'ensemble: server run, warm | sqlite |", "PDF evaluation report"):
        assert line in done.stdout, line
    assert "Traceback" not in done.stderr


def test_a_ratio_without_its_floor_is_not_met():
    """A figure whose floor (or the figure it is divided by) was not measured fails its target
    and says why, rather than dropping out of it."""
    rows = report.check_targets([
        Measurement("browser.first_chart.warm", "First chart", "sqlite", "S", "ms", [1100.0], "browser.floor.chart"),
        Measurement("export.report", "PDF", "sqlite", "S", "ms", [900.0]),
    ])
    chart = next(r for r in rows if r["Target"].startswith("First chart"))
    pdf = next(r for r in rows if r["Target"].startswith("The PDF"))
    assert (chart["Measured"], chart["Met"]) == ("sqlite S: no floor", "**no**")
    assert pdf["Met"] == "**no**" and "nothing to divide by (export.deck)" in pdf["Measured"]
