"""``python -m benchmarks [--quick]``: build the scales, run every benchmark, print the table and
write it to benchmarks/README.md (``make bench``)."""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pst_data.rules import clock

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(pg_version: str | None, chromium: str | None) -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    import streamlit

    return {
        "CPU": cpu, "cores": str(os.cpu_count()), "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(terse=True), "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version, "PostgreSQL": pg_version or "not available",
        "Chromium": chromium or "not available", "Streamlit": streamlit.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs per figure (iterating)")
    parser.add_argument("--scales", default="S,M,L", help="comma-separated subset of S,M,L")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-browser", action="store_true", help="server-side figures only")
    parser.add_argument("--no-readme", action="store_true", help="print the table, write nothing")
    parser.add_argument("--smoke", action="store_true",
                        help="S on SQLite, one run of everything server-side (default filters), nothing written: a few seconds, "
                             "so the benchmark code cannot rot (the test suite runs it)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.quick, args.scales, args.backends, args.no_browser, args.no_readme = True, "S", "sqlite", True, True

    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)

    from benchmarks import browser, exports, pages, report, scales

    started = time.perf_counter()

    def section(title: str) -> None:
        print(f"== [{time.perf_counter() - started:4.0f} s] {title}", flush=True)

    cold, warm, edit = (1, 1, 1) if args.smoke else (1, 2, 3) if args.quick else (3, 5, 10)
    slow = 1 if args.quick else 3
    wanted_scales = [s.strip().upper() for s in args.scales.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    pg_version = None
    if "postgresql" in backends:
        problem = scales.postgres_problem()
        if problem:
            print(f"skipping PostgreSQL: {problem}")
            backends.remove("postgresql")
        else:
            from sqlalchemy import create_engine, text

            engine = create_engine(scales.POSTGRES_ADMIN_URL)
            with engine.connect() as conn:
                pg_version = conn.scalar(text("SHOW server_version")).split()[0]
            engine.dispose()

    section("building the scales")
    for backend in backends:
        for scale in wanted_scales:
            print(f"  {backend} {scale}: {scales.counts(scales.ensure(scale, backend))}")

    results = []
    chromium_version = None
    with tempfile.TemporaryDirectory(prefix="pst-bench-") as tmp:
        work = Path(tmp)
        playwright = browser_handle = floor = None
        if not args.no_browser:
            from playwright.sync_api import sync_playwright

            playwright = sync_playwright().start()
            browser_handle = browser.launch(playwright)
            chromium_version = browser_handle.version
            section("browser floor")
            floor = browser.Floor(browser_handle, work)
            results += floor.once(warm)
        try:
            for backend in backends:
                for scale in wanted_scales:
                    with scales.working_copy(scale, backend, work) as url:
                        section(f"{backend} {scale}: server-side runs (AppTest)")
                        # The smoke run only proves the code runs: one filter is enough.
                        filters = {"default": {}} if args.smoke else pages.FILTERS
                        results += pages.run(url, backend, scale, cold, warm, filters=filters)
                        section(f"{backend} {scale}: exports")
                        results += exports.run(url, backend, scale, warm, slow)
                        if browser_handle is not None:
                            section(f"{backend} {scale}: Chromium and memory")
                            results += floor.paint_and_chart(backend, scale, max(3, cold))
                            results += browser.run_app(browser_handle, url, backend, scale, work,
                                                       cold, warm, edit)
                            if scale != "M":  # S and L show the textbook's trend; M adds a minute
                                results += browser.run_textbook(browser_handle, url, backend, scale,
                                                                work, 2)
        finally:
            if floor is not None:
                floor.close()
            if browser_handle is not None:
                browser_handle.close()
                playwright.stop()

    commit = _git("rev-parse", "--short", "HEAD")
    meta = {
        "date": clock.now().strftime("%Y-%m-%d %H:%M"),
        "commit": commit, "dirty": bool(_git("status", "--porcelain")),
        "mode": "quick" if args.quick else "full",
        "runs": f"server cold {cold}, warm {warm}; browser cold {cold} (server restarts), warm {warm}; "
                f"edits {edit}; exports {warm} (Excel), {slow} (deck, report) after one run not measured; memory 1 per server start",
        "duration_s": time.perf_counter() - started,
        "machine": machine(pg_version, chromium_version),
    }
    print()
    print(report.markdown(report.table_rows(results)))
    print()
    print(report.markdown(report.check_targets(results), ("Target", "Measured", "Met")))
    if not args.no_readme:
        previous = report.load_json()
        commits = []
        if previous and previous[0].get("commit") and commit:
            commits = [c for c in _git("log", "--oneline", f"{previous[0]['commit']}..HEAD").splitlines() if c]
        changes = report.changes_since(previous, results, commits)
        report.write_readme(report.results_section(results, meta, changes))
        report.save_json(results, meta)
        print(f"\nwritten to {report.README.relative_to(ROOT)} ({meta['duration_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
