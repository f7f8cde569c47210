"""Results: one ``Measurement`` per figure, the markdown table, the targets, benchmarks/README.md.

Every figure is the median of several runs with its spread (min–max), its ratio to the floor
measured in the same run (same backend and scale), and how it grows from S to M to L.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable, Sequence
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


@dataclass
class Target:
    text: str
    key: str
    backend: str
    scale: str
    limit: float
    relative: bool  # limit is a ratio to the floor (else an absolute value in the unit)


TARGETS = [
    Target("Overview server run ≤ 1.5× the empty page at S (warm)", "server.overview.warm.default", "*", "S", 1.5, True),
    Target("Overview server run ≤ 3× the empty page at L (warm)", "server.overview.warm.default", "*", "L", 3, True),
    Target("First chart visible in Chromium < 1.5 s at S (warm)", "browser.first_chart.warm", "*", "S", 1500, False),
    Target("An edit visible in another session < 2 s", "browser.edit_visible", "*", "*", 2000, False),
    Target("Server memory < 300 MB with 10 sessions at L", "memory.sessions10", "*", "L", 300, False),
]


def check_targets(results: Sequence[Measurement]) -> list[dict[str, str]]:
    rows = []
    for t in TARGETS:
        matches = [m for m in results if m.key == t.key and m.samples
                   and t.backend in ("*", m.backend) and t.scale in ("*", m.scale)]
        if not matches:
            rows.append({"Target": t.text, "Measured": "not measured", "Met": "?"})
            continue
        parts, met = [], True
        for m in matches:
            value = ratio(results, m) if t.relative else m.median
            if value is None:
                parts.append(f"{m.backend} {m.scale}: no floor")
                met = False
                continue
            shown = f"×{value:.1f}" if t.relative else f"{_number(value, m.unit)} {m.unit}"
            parts.append(f"{m.backend} {m.scale}: {shown}")
            met &= value <= t.limit
        rows.append({"Target": t.text, "Measured": "; ".join(parts), "Met": "yes" if met else "**no**"})
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
