"""Results: one ``Measurement`` per figure, the markdown table, the targets, benchmarks/README.md.

Every figure is the median of several runs with its spread (min–max), its ratio to the floor
measured in the same run (same backend and scale), and how it grows from S to M to L.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCALE_COLUMNS = ("S", "M", "L")
ALL = "-"  # a measurement that does not depend on the backend or the scale
COLUMNS = ("Measure", "Backend", "Floor", "S", "M", "L", "Growth S→M→L")
README = Path(__file__).resolve().parent / "README.md"
RESULTS_JSON = Path(__file__).resolve().parent / "results.json"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


@dataclass
class Measurement:
    key: str  # stable id, e.g. "server.overview.warm.default"
    label: str  # what the table says
    backend: str  # sqlite | postgresql | ALL
    scale: str  # S | M | L | ALL
    unit: str  # ms | MB
    samples: list[float] = field(default_factory=list)
    floor: str | None = None  # key of the measurement this one is divided by
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


def find(results: Sequence[Measurement], key: str, backend: str, scale: str) -> Measurement | None:
    """The measurement for (key, backend, scale), falling back to backend/scale-independent ones."""
    for b, s in ((backend, scale), (backend, ALL), (ALL, scale), (ALL, ALL)):
        for m in results:
            if m.key == key and m.backend == b and m.scale == s and m.samples:
                return m
    return None


def ratio(results: Sequence[Measurement], m: Measurement) -> float | None:
    if not m.floor or not m.samples:
        return None
    floor = find(results, m.floor, m.backend, m.scale)
    if floor is None or not floor.median:
        return None
    return m.median / floor.median


def _number(value: float, unit: str) -> str:
    if unit == "MB" or value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def cell(results: Sequence[Measurement], m: Measurement | None) -> str:
    if m is None:
        return ""
    if not m.samples:
        return m.note or "n/a"
    text = f"**{_number(m.median, m.unit)} {m.unit}**"
    if len(m.samples) > 1:
        text += f" [{_number(min(m.samples), m.unit)}–{_number(max(m.samples), m.unit)}]"
    r = ratio(results, m)
    if r is not None:
        text += f" ×{r:.1f}" if r < 100 else f" ×{r:.0f}"
    return text


def growth(row: dict[str, Measurement | None]) -> str:
    medians = [row[s].median if row.get(s) is not None and row[s].samples else None for s in SCALE_COLUMNS]
    if medians[0] is None or not medians[0] or sum(v is not None for v in medians) < 2:
        return ""
    return " → ".join("?" if v is None else f"{v / medians[0]:.2g}" for v in medians)


def table_rows(results: Sequence[Measurement]) -> list[dict[str, str]]:
    """One row per (measure, backend), scales as columns, in the order measured."""
    grouped: dict[tuple[str, str], dict] = {}
    for m in results:
        row = grouped.setdefault((m.key, m.backend), {"label": m.label, "floor": m.floor})
        if m.scale == ALL:
            row["S"] = m
            row["all_scales"] = True
        else:
            row[m.scale] = m
    floor_labels = {m.key: m.label for m in results}
    out = []
    for (key, backend), row in grouped.items():
        cells = {s: cell(results, row.get(s)) for s in SCALE_COLUMNS}
        if row.get("all_scales"):
            cells["M"] = cells["L"] = "(same)"
        out.append({
            "Measure": row["label"],
            "Backend": "both" if backend == ALL else backend,
            "Floor": "(floor)" if not row["floor"] else floor_labels.get(row["floor"], row["floor"]),
            **cells,
            "Growth S→M→L": "" if row.get("all_scales") else growth(row),
        })
    return out


def markdown(rows: Iterable[dict[str, str]], columns: Sequence[str] = COLUMNS) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines)


OVERVIEW_WARM = "server.overview.warm.default"
LIVE_REFRESH_MS = 2000  # ui.frame.LIVE_REFRESH_SECONDS (checked by tests/test_benchmarks.py)


@dataclass
class Check:
    """One line of a target: where it was measured, the value shown, and whether it holds."""
    where: str
    shown: str
    met: bool


@dataclass
class Target:
    text: str
    checks: Callable[[Sequence[Measurement]], list[Check]]


def _pairs(results: Sequence[Measurement], key: str, scales: Sequence[str]) -> list[Measurement]:
    return [m for m in results if m.key == key and m.samples and m.scale in scales]


def _warm_pages(results: Sequence[Measurement]) -> list[Measurement]:
    return [m for m in results if m.key.startswith("server.") and m.key.endswith(".warm.default")
            and m.key != OVERVIEW_WARM and m.samples]


def _page_name(m: Measurement) -> str:
    return m.label.split(":", 1)[0]


def pages_against_overview(limit: float, scales: Sequence[str] = ("S", "L")):
    """Every page's warm run divided by the overview's warm run, same backend and scale: the
    worst page is shown."""
    def checks(results):
        out = []
        for overview in _pairs(results, OVERVIEW_WARM, scales):
            pages = [m for m in _warm_pages(results) if (m.backend, m.scale) == (overview.backend, overview.scale)]
            if not pages:
                continue
            worst = max(pages, key=lambda m: m.median)
            value = worst.median / overview.median
            out.append(Check(f"{overview.backend} {overview.scale}", f"{_page_name(worst)} ×{value:.2f}",
                             value <= limit))
        return out
    return checks


def growth_from_s_to_l(limit: float):
    def checks(results):
        out = []
        for large in [m for m in _warm_pages(results) + _pairs(results, OVERVIEW_WARM, ("L",)) if m.scale == "L"]:
            small = find(results, large.key, large.backend, "S")
            if small is None or small.scale != "S":
                continue
            out.append((large.backend, _page_name(large), large.median / small.median))
        worst: dict[str, tuple[str, float]] = {}
        for backend, page, value in out:
            if backend not in worst or value > worst[backend][1]:
                worst[backend] = (page, value)
        return [Check(backend, f"{page} ×{value:.2f}", value <= limit) for backend, (page, value) in worst.items()]
    return checks


def ratio_to_floor(key: str, limit: float, scales: Sequence[str]):
    def checks(results):
        out = []
        for m in _pairs(results, key, scales):
            value = ratio(results, m)
            if value is None:
                out.append(Check(f"{m.backend} {m.scale}", "no floor", False))
            else:
                out.append(Check(f"{m.backend} {m.scale}", f"×{value:.2f}", value <= limit))
        return out
    return checks


def ratio_between(key: str, other: str, limit: float, scales: Sequence[str], at_least: bool = False):
    """``key``'s median divided by ``other``'s (same backend and scale): at most ``limit``, or
    at least ``limit`` when ``at_least``."""
    def checks(results):
        out = []
        for m in _pairs(results, key, scales):
            base = find(results, other, m.backend, m.scale)
            if base is None or not base.median:
                out.append(Check(f"{m.backend} {m.scale}", f"nothing to divide by ({other})", False))
                continue
            value = m.median / base.median
            out.append(Check(f"{m.backend} {m.scale}", f"×{value:.1f}",
                             value >= limit if at_least else value <= limit))
        return out
    return checks


def edit_within_refresh(period_ms: float):
    """Median at most one live-refresh period, the worst sample at most two."""
    def checks(results):
        out = []
        for m in _pairs(results, "browser.edit_visible", SCALE_COLUMNS):
            worst = max(m.samples)
            out.append(Check(f"{m.backend} {m.scale}",
                             f"median {_number(m.median, 'ms')} ms, worst {_number(worst, 'ms')} ms of {len(m.samples)}",
                             m.median <= period_ms and worst <= 2 * period_ms))
        return out
    return checks


TARGETS = [  # issue 16: ratios measured in the same run
    Target("Every page's warm server run ≤ 2× the overview's, at S and at L (worst page shown)",
           pages_against_overview(2)),
    Target("No page's warm server run grows more than 1.5× from S to L (worst page shown)",
           growth_from_s_to_l(1.5)),
    Target("First chart visible (warm) ≤ 1.2× the one-chart floor page, at S and at L",
           ratio_to_floor("browser.first_chart.warm", 1.2, ("S", "L"))),
    Target("The textbook overview ≥ 50× the overview's warm run at L",
           ratio_between("server.textbook", OVERVIEW_WARM, 50, ("L",), at_least=True)),
    Target(f"An edit visible in another open session: median ≤ one live refresh ({LIVE_REFRESH_MS // 1000} s), "
           "worst ≤ two", edit_within_refresh(LIVE_REFRESH_MS)),
    Target("The PDF report (97 fiches) ≤ 5× the PowerPoint deck of the same plan",
           ratio_between("export.report", "export.deck", 5, SCALE_COLUMNS)),
    Target("Server memory with 10 sessions at L ≤ 3.5× the empty page's",
           ratio_to_floor("memory.sessions10", 3.5, ("L",))),
]


def check_targets(results: Sequence[Measurement]) -> list[dict[str, str]]:
    rows = []
    for t in TARGETS:
        checks = t.checks(results)
        if not checks:
            rows.append({"Target": t.text, "Measured": "not measured", "Met": "?"})
            continue
        rows.append({"Target": t.text, "Measured": "; ".join(f"{c.where}: {c.shown}" for c in checks),
                     "Met": "yes" if all(c.met for c in checks) else "**no**"})
    return rows


# -- README ------------------------------------------------------------------------------------

def save_json(results: Sequence[Measurement], meta: dict, path: Path = RESULTS_JSON) -> None:
    path.write_text(json.dumps({"meta": meta, "results": [asdict(m) for m in results]},
                               ensure_ascii=False, indent=1) + "\n")


def load_json(path: Path = RESULTS_JSON) -> tuple[dict, list[Measurement]] | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data["meta"], [Measurement(**m) for m in data["results"]]


def changes_since(previous: tuple[dict, list[Measurement]] | None, results: Sequence[Measurement],
                  commits: list[str], threshold: float = 0.25) -> str:
    """What changed since the previous run: the commits in between, and the figures that moved
    by more than ``threshold`` (noise on a shared 2-core machine is around 10-20 %)."""
    if previous is None:
        return "First run: there is no previous run to compare with."
    meta, before = previous
    lines = [f"Previous run: {meta.get('date', '?')} at commit {meta.get('commit', '?')}."]
    if commits:
        lines.append("Commits since then: " + "; ".join(commits[:30]) + ("…" if len(commits) > 30 else "") + ".")
    else:
        lines.append("No commit since then (same code; differences are noise or the working tree).")
    moved = []
    for m in results:
        old = next((b for b in before if b.key == m.key and b.backend == m.backend and b.scale == m.scale
                    and b.samples), None)
        if old is None or not m.samples or not old.median:
            continue
        change = m.median / old.median - 1
        if abs(change) >= threshold:
            moved.append(f"- {m.label} ({m.backend}, {m.scale}): {_number(old.median, m.unit)} → "
                         f"{_number(m.median, m.unit)} {m.unit} ({change:+.0%})")
    new = [m for m in results if m.samples and not any(b.key == m.key for b in before)]
    if new:
        lines.append("New measures: " + ", ".join(sorted({m.label for m in new})) + ".")
    lines.append("Figures that moved by 25 % or more:" if moved else "No figure moved by 25 % or more.")
    return "\n".join(lines + moved)


def results_section(results: Sequence[Measurement], meta: dict, changes: str) -> str:
    machine = meta["machine"]
    return "\n".join([
        START,
        f"## Latest results: {meta['date']}",
        "",
        f"Commit `{meta.get('commit', '?')}`{' (with uncommitted changes)' if meta.get('dirty') else ''}; "
        f"mode `{meta['mode']}`; total {meta['duration_s']:.0f} s.",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()) + ".",
        "",
        "Cells: **median** [min–max] ×ratio to the floor named in the Floor column (same backend, "
        f"same scale). Runs per figure: {meta['runs']}. Growth: the median at M and L divided by "
        "the median at S.",
        "",
        markdown(table_rows(results)),
        "",
        "### Targets",
        "",
        markdown(check_targets(results), ("Target", "Measured", "Met")),
        "",
        "### What changed since the previous run",
        "",
        changes,
        END,
    ])


def write_readme(section: str, path: Path = README) -> None:
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
