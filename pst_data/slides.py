"""The presentation to the Bureau permanent, as data: one slide after another. The page (normal and
projector mode) and the PowerPoint export show the same slides.

A slide holds at most what a projector shows readably: long lists (objectives, late projects,
changes) continue on further slides (« suite 2/3 ») instead of shrinking or scrolling. How many
rows fit is counted in lines: a long OS or OO title wraps, it is never cut.

Every text is plain (the plan's words as they are): the page escapes it as HTML, PowerPoint
writes it as text."""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pst_data.rules import schedule
from pst_data.rules.charts import band_colours
from pst_data.rules.follow_up import health_counts, open_actions
from pst_data.rules.formatting import fmt_date, fmt_percent, plural
from pst_data.rules.progress import NO_BAND, band_for, rollup, schedule_of, schedule_rollup, summarise, top_priority
from pst_data.rules.timeline import PLAN_SCOPE
from pst_data.aggregates import change_digest, changes_in_view, drifting_rows, element_titles, overdue_rows

# What one 16:9 slide holds at projector sizes (text of 22 px at 1920 × 1080), counted in lines
# of that text; the page's style (ui/slides.py) is drawn to the same measures.
BAR_NAME_WIDTH = 64  # characters of an OS/OO code and name per line, beside its bar
BAR_LINES = 2  # a bar's height (its value and action count), however short its name
TITLE_WIDTH = 62  # characters of a slide title per line (its lines count 1.9 of the text's)
SUBTITLE_WIDTH = 125  # characters of a subtitle per line
BAR_GAP = 0.5  # the space between two bars
ROW_GAP = 0.5  # a table row's padding
TITLE_SLIDE_BUDGET = 24.5  # the bars under the title slide's figures
OS_SLIDE_BUDGET = 25.0  # the bars under an OS slide's figures (one-line title, no note)
BARS_ONLY_BUDGET = 29.5  # a continuation slide: bars only (one-line title)
TABLE_BUDGET = 29.0  # a list slide (late projects, changes)
# A list's columns: their share of the slide's width (ui/slides.py) and characters per line.
LATE_COLUMNS = {"Code": (8, 0), "Action": (46, 60), "Taux": (7, 0), "Échéance": (11, 0), "Retard": (8, 0),
                "Chef de projet": (20, 22)}
DRIFT_COLUMNS = {"Code": (8, 0), "Action": (40, 52), "Taux": (7, 0), "Attendu": (9, 0), "Retard": (10, 0),
                 "Échéance": (11, 0), "Chef de projet": (15, 16)}
CHANGES_COLUMNS = {"Action": (38, 48), "Ce qui a changé": (44, 56), "Par": (18, 20)}
FORECAST_COLUMNS = {"Portée": (34, 42), "Taux": (10, 0), "Attendu": (10, 0), "Projection": (46, 58)}
HEALTH_COLUMNS = {"Code": (8, 0), "Action": (36, 46), "Santé": (13, 0), "Raison": (27, 34), "Chef de projet": (16, 18)}
# kind -> column -> share of the slide's width
TABLE_SHARES = {kind: {name: share for name, (share, _) in columns.items()}
                for kind, columns in (("late", LATE_COLUMNS), ("changes", CHANGES_COLUMNS), ("health", HEALTH_COLUMNS),
                                      ("drift", DRIFT_COLUMNS), ("forecast", FORECAST_COLUMNS))}
HEALTH_ORDER = ("En difficulté", "À surveiller", "En pause")


@dataclass
class Slide:
    kind: str  # title | overview | os | changes | late | drift | health | forecast
    title: str
    subtitle: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    note: str = ""  # one line under the figures (the top-priority codes of an OS)
    bars: pd.DataFrame | None = None  # code, name, mean_progress, expected, actions, unassessed, category, colour
    bars_title: str = ""
    legend_title: str = ""  # what the bars' colours say
    rows: pd.DataFrame | None = None  # a list to show (already in words)
    empty: str = ""  # what to say when there is nothing to list
    os_code: str | None = None
    part: tuple[int, int] | None = None  # (2, 3): the second of three slides of one list


def wrapped_lines(text: str, width: int) -> int:
    return max(1, len(textwrap.wrap(" ".join(str(text).split()), width)))


def _chunks(items: list[Any], cost, first_budget: float, budget: float) -> list[list[Any]]:
    """Consecutive chunks whose summed ``cost`` stays within the budget (the first chunk's own,
    then ``budget``), evened out: 9 bars make slides of 5 and 4, not of 8 and 1. An item
    bigger than a budget gets a chunk of its own."""
    costs = [cost(item) for item in items]

    def greedy(first: float, rest: float) -> list[list[Any]]:
        chunks: list[list[Any]] = [[]]
        used, limit = 0.0, first
        for item, c in zip(items, costs, strict=True):
            if chunks[-1] and used + c > limit:
                chunks.append([])
                used, limit = 0.0, rest
            chunks[-1].append(item)
            used += c
        return chunks

    chunks = greedy(first_budget, budget)
    if len(chunks) > 1:
        # The smallest fill that still needs no more slides: every slide about as full.
        low, high = max(costs), max(first_budget, budget)
        for _ in range(30):
            middle = (low + high) / 2
            if len(greedy(min(first_budget, middle), min(budget, middle))) <= len(chunks):
                high = middle
            else:
                low = middle
        chunks = greedy(min(first_budget, high), min(budget, high))
    return chunks


def _bars(rows: pd.DataFrame, code_col: str, title_col: str, prefix: str, bands,
          on_calendar: pd.DataFrame | None) -> pd.DataFrame:
    """The bars of a slide: with ``on_calendar`` (progress.schedule_rollup of the same groups,
    a running plan), each bar is its taux against the expected one, coloured by its schedule
    status; else its mean taux coloured by its evaluation band."""
    if on_calendar is not None:
        categories = on_calendar["schedule"].tolist()
        colours = [schedule.COLOURS[c] for c in categories]
        means, expected = on_calendar["actual"].tolist(), on_calendar["expected"].tolist()
    else:
        categories = [band_for(v, bands) for v in rows["mean_progress"]]
        palette = band_colours(bands)
        colours = [palette[c] for c in categories]
        means, expected = rows["mean_progress"].tolist(), [None] * len(rows)
    return pd.DataFrame({
        "code": [f"{prefix}{c}" for c in rows[code_col]],
        "name": [str(t) for t in rows[title_col]],
        "mean_progress": means,
        "expected": expected,
        "actions": rows["actions"].astype(int).tolist(),
        "unassessed": rows["unassessed"].astype(int).tolist(),
        "category": categories,
        "colour": colours,
    })


def _bar_cost(row: pd.Series) -> float:
    return max(wrapped_lines(f"{row['code']} {row['name']}", BAR_NAME_WIDTH), BAR_LINES) + BAR_GAP


def title_scale(title: str) -> float:
    """A long title is set smaller, on the page as in the PowerPoint (30, 24 or 20 points):
    an OS's full wording then takes two lines, not three, and leaves its bars on one slide."""
    return 1.0 if len(title) <= 60 else 0.8 if len(title) <= 100 else 2 / 3


def _title_extra(title: str) -> float:
    """The lines a long slide title takes beyond its first (at about twice the text's size)."""
    scale = title_scale(title)
    return 1.9 * scale * (wrapped_lines(title, int(TITLE_WIDTH / scale)) - 1)


def _split_bars(bars: pd.DataFrame, first_budget: float, budget: float) -> list[pd.DataFrame]:
    chunks = _chunks(list(range(len(bars))), lambda i: _bar_cost(bars.iloc[i]), first_budget, budget)
    return [bars.iloc[chunk].reset_index(drop=True) for chunk in chunks]


def _split_rows(rows: pd.DataFrame, columns: dict[str, tuple[int, int]]) -> list[pd.DataFrame]:
    def cost(i: int) -> float:
        return max(wrapped_lines(rows.iloc[i][c], width) for c, (_, width) in columns.items() if width) + ROW_GAP

    chunks = _chunks(list(range(len(rows))), cost, TABLE_BUDGET, TABLE_BUDGET)
    return [rows.iloc[chunk].reset_index(drop=True) for chunk in chunks]


def _parts(slides: list[Slide]) -> list[Slide]:
    """Number the slides of one list (« 2/3 ») and mark the continuations in their title."""
    if len(slides) > 1:
        for n, slide in enumerate(slides, start=1):
            slide.part = (n, len(slides))
            if n > 1:
                slide.title = f"{slide.title} (suite)"
    return slides


def build_deck(plan: dict[str, Any], actions: pd.DataFrame, changes: pd.DataFrame,
               since: dt.date, today: dt.date, filter_text: str, *, bureau: dt.date | None = None,
               trajectories: dict[str, Any] | None = None, reading: str | None = None) -> list[Slide]:
    """The Bureau's slides. ``changes``: the history since ``since`` (the day after the last
    Bureau, ``bureau``, when there is one); ``trajectories``: timeline.trajectories of the same
    actions (no forecast slide without); ``reading``: schedule.CALENDAR or LEGEND (default:
    the plan's phase)."""
    bands = plan["evaluation_bands"]
    reading = reading or schedule.default_reading(plan, today)
    thresholds = schedule.Thresholds.of(plan) if reading == schedule.CALENDAR else None
    total = summarise(actions["progress"].tolist(), actions["weight"].tolist(), bands)
    figures = [("Actions", str(total.actions)), ("Taux moyen", fmt_percent(total.mean_progress)),
               ("Sans taux", str(total.unassessed))]
    if thresholds is not None:
        whole = schedule_of(actions, thresholds)
        # The taux and the expected taux of the same actions (followed and dated).
        figures[2:] = [("Suivies : taux · attendu", f"{fmt_percent(whole.actual)} · {fmt_percent(whole.expected)}")]
        figures += [(label, str(whole.counts[status])) for status, label in (
            (schedule.ON_TIME, "Dans les temps"), (schedule.BEHIND, "En retard (calendrier)"),
            (schedule.FAR_BEHIND, "Très en retard"), (schedule.OVERDUE, "Échéance dépassée")) if whole.counts[status]]
        legend_title = "Couleur : situation par rapport au taux attendu aujourd'hui ; « attendu » : le taux que les dates attendent"
        bars_what = "Taux des actions suivies et datées, et taux attendu,"
    else:
        figures += [(label, str(count)) for label, count in total.band_counts.items() if count and label != NO_BAND]
        legend_title = "Couleur : bande d'évaluation du taux moyen"
        bars_what = "Taux d'avancement moyen"
    os_rollup = rollup(actions, ["os_code", "os_title"], bands)
    os_calendar = schedule_rollup(actions, ["os_code", "os_title"], thresholds) if thresholds is not None else None
    per_os = _bars(os_rollup, "os_code", "os_title", "OS ", bands, os_calendar)
    title = f"{plan['organisation']} — suivi du PST"
    subtitle = f"{plan['title']} · situation au {fmt_date(today)} · {filter_text}"
    first_budget = TITLE_SLIDE_BUDGET - _title_extra(title) - 1.1 * (wrapped_lines(subtitle, SUBTITLE_WIDTH) - 1)
    overview = _split_bars(per_os, first_budget, BARS_ONLY_BUDGET - _title_extra(title))
    deck = _parts([Slide("title" if n == 0 else "overview", title, subtitle if n == 0 else "",
                         figures if n == 0 else [], bars=chunk,
                         bars_title=f"{bars_what} par objectif stratégique", legend_title=legend_title)
                   for n, chunk in enumerate(overview)])

    top = top_priority(plan["priority_scale"])
    for _, os_row in os_rollup.iterrows():
        mine = actions[actions["os_code"] == os_row["os_code"]]
        oo_rollup = rollup(mine, ["oo_code", "oo_title"], bands)
        oo_calendar = schedule_rollup(mine, ["oo_code", "oo_title"], thresholds) if thresholds is not None else None
        per_oo = _bars(oo_rollup, "oo_code", "oo_title", "OO ", bands, oo_calendar)
        moved = changes[(changes["field"] == "progress") & changes["action_code"].isin(mine["code"])]
        figures = [("Taux moyen", fmt_percent(os_row["mean_progress"])), ("Actions", str(os_row["actions"])),
                   ("Sans taux", str(os_row["unassessed"])), ("Taux modifiés depuis le dernier Bureau", str(len(moved)))]
        if thresholds is not None:
            drifting = int(mine["schedule"].isin(schedule.DRIFTING).sum())
            figures.insert(3, ("Qui dérivent", str(drifting)))
        note = ""
        if top:
            prio = mine[mine["is_top_priority"]]
            figures.append((f"Priorité « {top} »", str(len(prio))))
            if len(prio):
                note = f"Priorité « {top} » : " + ", ".join(str(c) for c in prio["code"])
        title = f"OS {os_row['os_code']} · {os_row['os_title']}"
        first_budget = OS_SLIDE_BUDGET - _title_extra(title) - (wrapped_lines(note, 130) if note else 0)
        chunks = _split_bars(per_oo, first_budget, BARS_ONLY_BUDGET - _title_extra(title))
        deck += _parts([Slide("os", title, "",
                              figures if n == 0 else [], note if n == 0 else "", bars=chunk,
                              bars_title=f"{bars_what} par objectif opérationnel",
                              legend_title=legend_title, os_code=os_row["os_code"])
                        for n, chunk in enumerate(chunks)])

    shown = changes[changes_in_view(changes, actions)]
    digest, folded = change_digest(shown, element_titles(actions))
    digest = digest.drop(columns=["Dernière modification"])
    since_text = f"depuis le Bureau du {fmt_date(bureau)}" if bureau else f"depuis le {fmt_date(since)}"
    subtitle = (f"{since_text} : {plural(len(digest), 'action')} modifiée{'s' if len(digest) > 1 else ''}"
                + (f" (et {plural(folded, 'modification')} d'organisation non montrée{'s' if folded > 1 else ''})"
                   if folded else ""))
    deck += _parts([Slide("changes", f"Ce qui a changé {since_text}", subtitle, rows=chunk if len(chunk) else None,
                          empty="Aucune action n'a changé depuis cette date.")
                    for chunk in (_split_rows(digest, CHANGES_COLUMNS) if len(digest) else [digest])])

    no_dates = actions.empty or actions["due_date"].isna().all()
    late_rows = overdue_rows(actions, today)
    subtitle = f"{plural(len(late_rows), 'action')} dont l'échéance est dépassée, la plus en retard d'abord"
    deck += _parts([Slide("late", "Projets en retard", subtitle, rows=chunk if len(chunk) else None,
                          empty="Aucune action n'a d'échéance, et le plan n'a pas de période : le retard ne peut pas "
                                "être calculé."
                          if no_dates else "Aucun projet en retard.")
                    for chunk in (_split_rows(late_rows, LATE_COLUMNS) if len(late_rows) else [late_rows])])
    if thresholds is not None:
        drift = drifting_rows(actions).drop(columns=["Situation"])
        subtitle = (f"{plural(len(drift), 'action')} en retard sur le calendrier, échéance pas encore dépassée : "
                    "le plus grand écart d'abord")
        deck += _parts([Slide("drift", "Actions qui dérivent", subtitle, rows=chunk if len(chunk) else None,
                              empty="Aucune action en cours n'est en retard sur son calendrier.")
                        for chunk in (_split_rows(drift, DRIFT_COLUMNS) if len(drift) else [drift])])
    deck += _health_slides(plan, actions)
    if trajectories:
        deck += _forecast_slides(trajectories, actions)
    return deck


def _forecast_slides(trajectories: dict[str, Any], actions: pd.DataFrame) -> list[Slide]:
    """At the recent pace, when the plan and each OS would reach 100 %."""
    titles = dict(zip(actions["os_code"].astype(str), actions["os_title"].astype(str), strict=True))
    rows = []
    for scope, path in trajectories.items():
        name = "Tout le plan" if scope == PLAN_SCOPE else f"{scope} · {titles.get(scope[3:], '')}"
        rows.append({"Portée": name, "Taux": fmt_percent(path.current), "Attendu": fmt_percent(path.expected_today),
                     "Projection": path.forecast.sentence})
    table = pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))
    return _parts([Slide("forecast", "Trajectoire et projection",
                         "au rythme des 12 derniers mois de l'historique des taux (actions suivies)", rows=chunk)
                   for chunk in _split_rows(table, FORECAST_COLUMNS)])


def _health_slides(plan: dict[str, Any], actions: pd.DataFrame) -> list[Slide]:
    """The open actions their chefs de projet say are in trouble, watched or paused, and why."""
    followed = open_actions(actions)
    counts = health_counts(actions)
    troubled = followed[followed["health"].isin(HEALTH_ORDER)] if not followed.empty else followed
    if len(troubled):
        troubled = troubled.assign(_order=troubled["health"].map(HEALTH_ORDER.index)).sort_values("_order", kind="stable")
    rows = pd.DataFrame({"Code": troubled["code"].astype(str), "Action": troubled["title"].astype(str),
                         "Santé": troubled["health"].astype(str),
                         "Raison": troubled["health_reason"].fillna("—").astype(str),
                         "Chef de projet": troubled["project_lead"].fillna("—").astype(str)})
    stale = int(actions["is_stale"].sum()) if not actions.empty else 0
    subtitle = (" · ".join(f"{health} {count}" for health, count in counts.items())
                + f" · {plural(stale, 'action')} non mise{'s' if stale > 1 else ''} à jour depuis "
                  f"{plural(plan['stale_after_days'], 'jour')} ou plus")
    return _parts([Slide("health", "Santé des actions en cours", subtitle, rows=chunk if len(chunk) else None,
                         empty="Aucune action en cours n'est déclarée en difficulté, à surveiller ou en pause.")
                   for chunk in (_split_rows(rows, HEALTH_COLUMNS) if len(rows) else [rows])])

