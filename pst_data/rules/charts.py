"""Plotly figures for the pages and exports: pure functions from aggregated frames to figures.

Every text a user reads on a chart (axis, labels, hover) is formatted the Belgian way; the
layout's ``separators`` makes plotly's own number formatting use the decimal comma too.

Plotly reads a subset of HTML (<b>, <br>, <a href>…) in every text and "%{…}" in hover
templates: the plan's text (codes, titles, labels, band and group names) goes through
``plotly_escape`` (after ``shorten``, so that an entity is never cut in two).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pst_data.rules import schedule
from pst_data.rules.formatting import fmt_percent, plural
from pst_data.rules.progress import NO_BAND, band_labels, weighted_mean
from pst_data.rules.text import plotly_escape as esc
from pst_data.rules.text import shorten

# Every colour reads at least 3:1 on white (WCAG 1.4.11, graphics): a bar is seen from the back
# of the room and by colour-weak eyes; the amber is a dark one for that reason.
BAND_COLOURS = ["#2e7d32", "#1976d2", "#b26a00", "#c62828", "#6a1b9a", "#00838f"]
NO_BAND_COLOUR = "#8a8a8a"
STATUS_COLOURS = {
    "À programmer": "#607d8b",
    "En cours": "#1976d2",
    "Finalisé": "#2e7d32",
    "Suspendu": "#b26a00",
    "Abandonné": "#c62828",
    "Non renseigné": "#8a8a8a",
}
FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=14)


def band_colours(bands: Sequence[dict[str, Any]] | None) -> dict[str, str]:
    labels = band_labels(bands)[:-1]
    colours = {label: BAND_COLOURS[i % len(BAND_COLOURS)] for i, label in enumerate(labels)}
    colours[NO_BAND] = NO_BAND_COLOUR
    return colours


def layout(fig: go.Figure, height: int, **kwargs: Any) -> go.Figure:
    fig.update_layout(
        separators=", ",
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        font=FONT,
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
        **kwargs,
    )
    return fig


NAME_WIDTH = 60  # characters of a bar's name (written above the bar, across the chart's width)


def _axis_names(rows: pd.DataFrame, code_col: str, title_col: str) -> list[str]:
    return [f"{esc(c)} · {esc(shorten(str(t), NAME_WIDTH - len(str(c)) - 3))}" if c != t
            else esc(shorten(str(t), NAME_WIDTH))
            for c, t in zip(rows[code_col], rows[title_col], strict=True)]


def _names_above_bars(fig: go.Figure, count: int) -> None:
    """Each bar's name on its own line above the bar, not in a left margin: on a phone a margin
    of names would take two thirds of the chart; here the bars keep the whole width."""
    fig.update_yaxes(ticklabelposition="inside top", ticklabelshift=-14, ticklabelstandoff=0,
                     range=[-0.5, count - 0.5 + 0.35], automargin=True)
    fig.update_layout(bargap=0.5)


def progress_bars(
    rows: pd.DataFrame, code_col: str, title_col: str, title: str = "Taux d'avancement moyen"
) -> go.Figure:
    """One horizontal bar per group (OS, OO, label...) with its mean taux; counts in the hover."""
    rows = rows.iloc[::-1]  # plotly draws the first category at the bottom
    names = _axis_names(rows, code_col, title_col)
    values = [0 if pd.isna(v) else v for v in rows["mean_progress"]]
    texts = [fmt_percent(v) if not pd.isna(v) else "aucun taux" for v in rows["mean_progress"]]
    hover = [
        f"<b>{esc(c)}</b> {esc(t)}<br>Taux moyen : {fmt_percent(v)}<br>{plural(int(n), 'action')}, "
        f"dont {int(u)} sans taux<extra></extra>"
        for c, t, v, n, u in zip(rows[code_col], rows[title_col], rows["mean_progress"],
                                 rows["actions"], rows["unassessed"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=values, y=names, orientation="h", text=texts, textposition="outside",
            cliponaxis=False, marker_color="#1976d2", hovertemplate=hover,
        )
    )
    # Each bar prints its value: no tick labels (the names above the bars would hide the first ones).
    fig.update_xaxes(range=[0, 118], tickvals=[0, 25, 50, 75, 100], showticklabels=False,
                     showgrid=True, gridcolor="#eeeeee")
    _names_above_bars(fig, len(rows))
    return layout(fig, height=max(220, 60 * len(rows) + 90), title=title, showlegend=False)


def band_split(
    rows: pd.DataFrame, code_col: str, title_col: str, bands: Sequence[dict[str, Any]] | None,
    title: str = "Répartition des actions par bande d'évaluation",
) -> go.Figure:
    """Stacked bars: how many actions of each group fall in each evaluation band."""
    return _stacked_counts(rows, code_col, title_col, band_labels(bands), band_colours(bands), title)


def schedule_split(rows: pd.DataFrame, code_col: str, title_col: str,
                   title: str = "Répartition des actions par rapport au calendrier") -> go.Figure:
    """Stacked bars: how many actions of each group are in each schedule status."""
    return _stacked_counts(rows, code_col, title_col, list(schedule.STATUSES), schedule.COLOURS, title)


def _stacked_counts(rows: pd.DataFrame, code_col: str, title_col: str, categories: Sequence[str],
                    colours: dict[str, str], title: str) -> go.Figure:
    rows = rows.iloc[::-1]
    names = _axis_names(rows, code_col, title_col)
    fig = go.Figure()
    for label in categories:
        counts = rows[label].astype(int).tolist() if label in rows else [0] * len(rows)
        if not any(counts):
            continue
        fig.add_bar(
            x=counts, y=names, orientation="h", name=esc(label), marker_color=colours[label],
            text=[str(c) if c else "" for c in counts], textposition="inside",
            hovertemplate=[f"{n}<br>{esc(label)} : {plural(c, 'action')}<extra></extra>"
                           for n, c in zip(names, counts, strict=True)],
        )
    # A fixed range: with names above the bars, plotly's own range would make room for them on
    # the left. Each segment prints its count, so no tick labels.
    totals = [sum(int(rows[label].iloc[i]) for label in categories if label in rows) for i in range(len(rows))]
    fig.update_xaxes(range=[0, max(totals, default=1) * 1.05 or 1], showticklabels=False, showgrid=True,
                     gridcolor="#eeeeee")
    _names_above_bars(fig, len(rows))
    fig.update_layout(legend_traceorder="normal")
    layout(fig, height=max(260, 60 * len(rows) + 180), title=title, barmode="stack")
    # The legend at the figure's foot, under the axis title (not on it): anchored to the
    # container, with room kept for it.
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left"),
                      margin=dict(b=90))
    return fig


def schedule_bars(rows: pd.DataFrame, code_col: str, title_col: str,
                  title: str = "Taux d'avancement et taux attendu aujourd'hui") -> go.Figure:
    """One bar per group (``progress.schedule_rollup``): its taux, coloured by where it stands
    against the calendar, and a black tick at the taux its actions' dates expect today."""
    rows = rows.iloc[::-1]
    names = _axis_names(rows, code_col, title_col)
    actual = [None if pd.isna(v) else float(v) for v in rows["actual"]]
    expected = [None if pd.isna(v) else float(v) for v in rows["expected"]]
    texts = [f"{fmt_percent(a)} · attendu {fmt_percent(e)}" if a is not None else "sans dates ni taux comparables"
             for a, e in zip(actual, expected, strict=True)]
    hover = [
        f"<b>{n}</b><br>{esc(s)}<br>Taux : {fmt_percent(a)} · attendu aujourd'hui : {fmt_percent(e)}<br>"
        f"sur {plural(int(c), 'action')} suivie{'s' if c > 1 else ''} et datée{'s' if c > 1 else ''} "
        f"({plural(int(t), 'action')} en tout)<extra></extra>"
        for n, s, a, e, c, t in zip(names, rows["schedule"], actual, expected, rows["compared"], rows["actions"],
                                    strict=True)]
    fig = go.Figure(go.Bar(
        x=[a or 0 for a in actual], y=names, orientation="h", marker_color=[schedule.COLOURS[s] for s in rows["schedule"]],
        hovertemplate=hover, name="Taux"))
    fig.add_scatter(
        x=expected, y=names, mode="markers", name="Attendu aujourd'hui", hoverinfo="skip",
        marker=dict(symbol="line-ns", size=26, line=dict(width=4, color="#1b1b1b"), color="#1b1b1b"))
    # The value after whichever ends last, the bar or the tick: never written over the tick.
    fig.add_scatter(
        x=[max(a or 0, e or 0) + 1.5 for a, e in zip(actual, expected, strict=True)], y=names, mode="text",
        text=texts, textposition="middle right", hoverinfo="skip", cliponaxis=False, name="")
    fig.update_xaxes(range=[0, 135], tickvals=[0, 25, 50, 75, 100], showticklabels=False, showgrid=True,
                     gridcolor="#eeeeee")
    _names_above_bars(fig, len(rows))
    return layout(fig, height=max(220, 60 * len(rows) + 90), title=title, showlegend=False)


def trajectory(rows: pd.DataFrame, title: str = "Trajectoire : taux moyen et taux attendu") -> go.Figure:
    """The mean taux over time (rows of ``line`` "taux": after each day's changes, drawn as
    steps) against the taux the actions' dates expect (rows of ``line`` "attendu"); columns day,
    value, line (timeline.Trajectory.chart_rows)."""
    expected, actual = rows[rows["line"] == "attendu"], rows[rows["line"] == "taux"]
    fig = go.Figure()
    fig.add_scatter(x=[pd.Timestamp(d) for d in expected["day"]], y=expected["value"].tolist(), mode="lines",
                    name="Attendu (calendrier des actions)", line=dict(color="#5a6270", dash="dash", width=2),
                    hovertemplate="%{x|%m/%Y} : attendu %{y:.1f} %<extra></extra>")
    fig.add_scatter(x=[pd.Timestamp(d) for d in actual["day"]], y=actual["value"].tolist(),
                    mode="lines+markers", line_shape="hv", name="Taux moyen (historique)",
                    line=dict(color="#1565c0", width=3), marker=dict(size=6),
                    hovertemplate="%{x|%d/%m/%Y} : %{y:.1f} %<extra></extra>")
    fig.update_yaxes(range=[0, 105], ticksuffix=" %", gridcolor="#eeeeee")
    fig.update_xaxes(tickformat="%m/%Y")
    return layout(fig, 340, title=title)


def status_split(actions: pd.DataFrame, title: str = "Répartition par statut") -> go.Figure:
    statuses = actions["status"].fillna("Non renseigné")
    counts = statuses.value_counts()
    order = [s for s in STATUS_COLOURS if s in counts.index]
    fig = go.Figure(
        go.Bar(
            x=[counts[s] for s in order], y=order, orientation="h",
            marker_color=[STATUS_COLOURS[s] for s in order],
            text=[plural(int(counts[s]), "action") for s in order], textposition="auto",
            hovertemplate=[f"{s} : {plural(int(counts[s]), 'action')}<extra></extra>" for s in order],
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title="Nombre d'actions", showgrid=True, gridcolor="#eeeeee")
    return layout(fig, height=max(200, 44 * len(order) + 90), title=title, showlegend=False)


def plan_treemap(actions: pd.DataFrame, title: str = "Le plan, coloré par avancement",
                 thresholds: schedule.Thresholds | None = None) -> go.Figure:
    """Plan -> OS -> OO -> action, sized by number of actions, coloured by (mean) taux; with
    ``thresholds`` (a running plan), coloured by where each node stands against its calendar."""
    ids, labels, parents, values, colours, hovers = [], [], [], [], [], []

    def add(node_id, label, parent, rows: list):
        progress, weight = [r[4] for r in rows], [r[5] for r in rows]
        mean = weighted_mean(progress, weight)
        ids.append(node_id)
        labels.append(label)
        parents.append(parent)
        values.append(len(rows))
        hover = f"{label}<br>Taux moyen : {fmt_percent(mean)}<br>{plural(len(rows), 'action')}"
        if thresholds is None:
            colours.append(-10 if mean is None else mean)  # -10: grey "no taux" end of the scale
        else:
            if node_id.startswith("a:"):  # an action: its own status (overdue, suspended… say so)
                status, expected = rows[0][7], rows[0][6]
            else:
                result = schedule.summarise(progress, [r[6] for r in rows], [r[7] for r in rows], weight, thresholds)
                status, expected = result.status, result.expected
            colours.append(schedule.COLOURS[status])
            hover += f"<br>{esc(status)}" + (f" (attendu {fmt_percent(expected)})" if not pd.isna(expected) and
                                             expected is not None else "")
        hovers.append(hover)

    # Plain lists, grouped once: a frame per node (one per action) cost most of the page's run.
    expected = actions["expected_progress"].tolist() if thresholds is not None else [None] * len(actions)
    statuses = actions["schedule"].tolist() if thresholds is not None else [None] * len(actions)
    rows = list(zip(actions["id"], actions["os_code"], actions["oo_code"], actions["code"],
                    actions["progress"].tolist(), actions["weight"].tolist(), expected, statuses, strict=True))
    add("plan", "Plan", "", rows)
    tree: dict = {}
    for row in rows:
        tree.setdefault(row[1], {}).setdefault(row[2], []).append(row)
    for os_code, oos in tree.items():
        add(f"os:{os_code}", f"OS {esc(os_code)}", "plan", [r for oo_rows in oos.values() for r in oo_rows])
        for oo_code, oo_rows in oos.items():
            add(f"oo:{oo_code}", f"OO {esc(oo_code)}", f"os:{os_code}", oo_rows)
            for row in oo_rows:
                add(f"a:{row[0]}", esc(row[3]), f"oo:{oo_code}", [row])
    marker = dict(colors=colours) if thresholds is not None else dict(
        colors=colours, cmin=-10, cmax=100,
        colorscale=[[0, "#e0e0e0"], [0.0909, "#e0e0e0"], [0.0910, "#c62828"],
                    [0.55, "#b26a00"], [0.75, "#1976d2"], [1, "#2e7d32"]],
        colorbar=dict(title="Taux", ticksuffix=" %", tickvals=[0, 25, 50, 75, 100]))
    fig = go.Figure(
        go.Treemap(
            ids=ids, labels=labels, parents=parents, values=values, branchvalues="total", marker=marker,
            hovertemplate="%{customdata}<extra></extra>", customdata=hovers, maxdepth=3,
        )
    )
    return layout(fig, height=520, title=title)


def comparison_bars(rows: pd.DataFrame, title: str = "Taux d'avancement moyen par plan") -> go.Figure:
    frame = rows.rename(columns={"organisation": "name"}).assign(code=rows["organisation"])
    return progress_bars(frame, "code", "name", title=title)


def grouped_progress(rows: pd.DataFrame, code_col: str, title_col: str, group_col: str,
                     groups: Sequence[str], title: str = "Taux moyen par groupe") -> go.Figure:
    """Side-by-side bars per code: one bar per group (e.g. priority 1 vs the others)."""
    palette = ["#1976d2", "#607d8b", "#2e7d32", "#b26a00"]
    order = list(dict.fromkeys(rows[code_col]))
    titles = dict(zip(rows[code_col], rows[title_col], strict=False))
    fig = go.Figure()
    for i, group in enumerate(groups):
        part = rows[rows[group_col] == group].set_index(code_col).reindex(order)
        values = part["mean_progress"].tolist()
        fig.add_bar(
            name=esc(group), x=[f"OS {esc(c)}" for c in order], y=[None if pd.isna(v) else v for v in values],
            marker_color=palette[i % len(palette)],
            text=[fmt_percent(v) if not pd.isna(v) else "" for v in values], textposition="outside",
            hovertemplate=[
                f"<b>OS {esc(c)}</b> {esc(shorten(str(titles.get(c, ''))))}<br>{esc(group)} : {fmt_percent(v)}"
                f" ({plural(int(n) if not pd.isna(n) else 0, 'action')})<extra></extra>"
                for c, v, n in zip(order, values, part["actions"].tolist(), strict=True)
            ],
        )
    fig.update_yaxes(range=[0, 115], ticksuffix=" %", title="Taux moyen", gridcolor="#eeeeee")
    return layout(fig, height=420, title=title, barmode="group")


def text_alternative(figure: dict[str, Any], limit: int = 40) -> str:
    """What a chart says, in words, for screen readers: its title, then each bar's name and value
    (« 1.1 · Améliorer… : 54,7 % »). Plotly's texts are escaped for plotly: read back as text."""
    from html import unescape

    layout = figure.get("layout") or {}
    title = layout.get("title") or {}
    parts = [unescape(str(title.get("text") if isinstance(title, dict) else title or "Graphique"))]
    for trace in figure.get("data") or []:
        if trace.get("type") != "bar":
            continue
        names = trace.get("y") if trace.get("orientation") == "h" else trace.get("x")
        values = trace.get("text") or trace.get("x" if trace.get("orientation") == "h" else "y") or []
        series = unescape(str(trace.get("name") or ""))
        pairs = [f"{unescape(str(n))} : {v}" for n, v in zip(list(names or [])[::-1] if trace.get("orientation") == "h"
                                                             else names or [], list(values)[::-1]
                                                             if trace.get("orientation") == "h" else values, strict=False)
                 if v not in (None, "")]
        if pairs:
            parts.append((f"{series} — " if series else "") + " ; ".join(pairs[:limit]) + (" ; …" if len(pairs) > limit else ""))
    return ". ".join(parts)


def indicator_line(values: pd.DataFrame, label: str, unit: str | None, target: float | None,
                   target_year: int | None) -> go.Figure:
    """An indicator's measured values over time (``values``: measured_on, value), its target
    as a dashed line."""
    from pst_data.rules.indicators import fmt_value

    suffix = f" {unit}" if unit else ""
    fig = go.Figure(go.Scatter(
        x=[pd.Timestamp(d) for d in values["measured_on"]], y=[float(v) for v in values["value"]],
        mode="lines+markers", name="Mesures", line=dict(color="#1565c0", width=3), marker=dict(size=9),
        hovertemplate="%{x|%d/%m/%Y} : %{y:,.4~f}" + esc(suffix) + "<extra></extra>"))
    if target is not None:
        fig.add_hline(y=float(target), line=dict(color="#2e7d32", dash="dash", width=2),
                      annotation_text=esc(f"Cible{f' {target_year}' if target_year else ''} : "
                                          + fmt_value(target, unit)),
                      annotation_position="top left")
    layout(fig, 320, title=dict(text=esc(shorten(label, 90))), showlegend=False)
    fig.update_xaxes(tickformat="%d/%m/%Y")
    fig.update_yaxes(title_text=esc(unit or "Valeur"))
    return fig
