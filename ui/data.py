"""Cached loaders. Heavy reads are keyed by the plan's revision, which writes bump, so a rerun
reads nothing until somebody changes the plan; ``invalidate()`` after a write makes the writer's
own session see it at once."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import pickle

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from db.engine import database_url, get_engine
from pst_data import queries
from pst_data.cli import tell_first_admin
from pst_data.seed import ensure_ready
from pst_data.uow import read_session

# Shared by every session of the server: at most one revision query (0.3-0.6 ms at 262 plans)
# per quarter second, and a save made elsewhere (another server, the CLI) reaches the live
# refresh at most this late (benchmarks/README.md, issue 16).
REVISION_TTL_SECONDS = 0.25


@st.cache_resource(show_spinner="Préparation de la base de données…")
def engine() -> Engine:
    """One engine per server process; the schema is upgraded and the demo seeded on first use."""
    eng = get_engine(database_url())
    tell_first_admin(ensure_ready(eng))  # in the terminal that started the server, once
    return eng


@st.cache_data(ttl=REVISION_TTL_SECONDS, show_spinner=False)
def revisions() -> dict[str, int]:
    with read_session(engine()) as session:
        return queries.revisions(session)


@st.cache_data(max_entries=16, show_spinner=False)
def plans(revision_key: str) -> list[dict]:
    with read_session(engine()) as session:
        return queries.list_plans(session)


@st.cache_data(max_entries=16, show_spinner=False)
def labels(revision_key: str) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.label_table(session)


@st.cache_data(max_entries=64, show_spinner=False)
def actions(plan: dict, revision: int, today: dt.date) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.actions_frame(session, plan, today)


@st.cache_data(max_entries=64, show_spinner=False)
def objectives(plan_id: int, revision: int) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.objectives_frame(session, plan_id)


@st.cache_data(max_entries=64, show_spinner=False)
def recent_changes(plan_id: int, revision: int, limit: int = 10, since: dt.date | None = None) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.recent_changes(session, plan_id, limit, since)


@st.cache_data(max_entries=256, show_spinner=False)
def fiche(action_id: int, revision: int) -> dict | None:
    with read_session(engine()) as session:
        return queries.action_fiche(session, action_id)


@st.cache_data(max_entries=256, show_spinner=False)
def history(action_id: int, revision: int) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.action_history(session, action_id)


@st.cache_data(max_entries=8, show_spinner=False)
def comparison(revision_key: str, today: dt.date) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.comparison_frame(session, today)


@st.cache_data(max_entries=64, show_spinner=False)
def my_actions(account_id: int, plan_ids: frozenset | None, revision_key: str, today: dt.date) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.my_actions(session, account_id, plan_ids, today)


@st.cache_data(max_entries=64, show_spinner=False)
def meetings(plan_id: int, revision: int) -> list[dict]:
    from pst_data.meetings import list_meetings

    with read_session(engine()) as session:
        return list_meetings(session, plan_id)


def bureau_calendar(plan_id: int, revision: int, today: dt.date):
    """The last and next Bureau of the plan (pst_data.rules.follow_up.calendar over its meetings)."""
    from pst_data.rules.follow_up import calendar

    return calendar(meetings(plan_id, revision), today)


def revision_key() -> str:
    """A short digest of every plan's revision (changes when any plan changes). A digest, not
    the tuple of pairs: st.cache_data hashes its arguments on every call, and 262 pairs cost
    ~7 ms a run at the L scale (benchmarks/README.md)."""
    return _digest(tuple(sorted(revisions().items())))


@functools.lru_cache(maxsize=64)
def _digest(pairs: tuple) -> str:
    return hashlib.blake2b(repr(pairs).encode(), digest_size=12).hexdigest()


def invalidate() -> None:
    """After a write: forget the revision poll so this session reloads what changed now."""
    revisions.clear()


@st.cache_data(max_entries=32, show_spinner=False)
def journal(plan_id: int, revision: int, start, end, people: tuple, os_codes: tuple) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.journal(session, plan_id, start, end, people, os_codes)


@st.cache_data(max_entries=32, show_spinner=False)
def journal_people(plan_id: int, revision: int) -> list[str]:
    with read_session(engine()) as session:
        return queries.journal_people(session, plan_id)


@st.cache_data(max_entries=32, show_spinner=False)
def progress_events(plan_id: int, revision: int) -> pd.DataFrame:
    with read_session(engine()) as session:
        return queries.progress_events(session, plan_id)


def _filtered_actions(session, plan: dict, day: dt.date, filters) -> pd.DataFrame:
    """The actions an export covers: those the page shows (same filters)."""
    from pst_data.rules.filters import apply_filters

    return apply_filters(queries.actions_frame(session, plan, day), filters)


@st.cache_data(max_entries=8, show_spinner="Préparation du classeur…")
def workbook(plan: dict, revision: int, filters, today: dt.date) -> bytes:
    from pst_data.exports.excel import plan_workbook

    with read_session(engine()) as session:
        return plan_workbook(session, plan, _filtered_actions(session, plan, today, filters))


@st.cache_data(max_entries=8, show_spinner="Préparation de la présentation…")
def deck(plan: dict, revision: int, filters, since: dt.date, today: dt.date, filter_text: str,
         bureau: dt.date | None = None, reading: str | None = None) -> bytes:
    from pst_data.exports.deck import plan_deck

    with read_session(engine()) as session:
        return plan_deck(session, plan, _filtered_actions(session, plan, today, filters), since, today, filter_text,
                         bureau, reading)


@st.cache_data(max_entries=4, show_spinner="Rédaction du rapport d'évaluation…")
def report(plan: dict, revision: int, filters, kind: str, as_of: dt.date, today: dt.date, filter_text: str) -> bytes:
    from pst_data.exports.report import evaluation_report

    with read_session(engine()) as session:
        return evaluation_report(session, plan, kind, as_of, today, _filtered_actions(session, plan, as_of, filters),
                                 filter_text)


@st.cache_data(max_entries=16, show_spinner=False)
def actions_as_of(plan: dict, revision: int, as_of: dt.date) -> pd.DataFrame:
    from pst_data.as_of import plan_as_of

    with read_session(engine()) as session:
        return plan_as_of(session, plan, queries.actions_frame(session, plan, as_of), as_of).actions


@st.cache_data(max_entries=16, show_spinner=False)
def snapshots(plan_id: int, revision: int) -> pd.DataFrame:
    from pst_data.snapshots import list_snapshots

    with read_session(engine()) as session:
        return list_snapshots(session, plan_id)


@st.cache_data(max_entries=16, show_spinner=False)
def snapshot_actions(snapshot_id: int, taken_at: dt.datetime) -> pd.DataFrame:
    """A snapshot never changes once taken. ``taken_at`` is in the key because SQLite may give
    a deleted snapshot's id to the next one."""
    from pst_data.snapshots import snapshot_actions as load

    with read_session(engine()) as session:
        return load(session, snapshot_id)


@st.cache_data(max_entries=32, show_spinner=False)
def indicators(plan_id: int, revision: int) -> list[dict]:
    from pst_data.indicator_store import plan_indicators

    with read_session(engine()) as session:
        return plan_indicators(session, plan_id)


@st.cache_data(max_entries=32, show_spinner=False)
def follow_up(plan: dict, revision: int, filters, today: dt.date, ref):
    """The overview's follow-up section (pandas groupbys): once per revision, filters and day,
    not on every rerun."""
    from pst_data.rules.filters import apply_filters
    from pst_data.rules.follow_up import summary

    return summary(apply_filters(actions(plan, revision, today), filters), ref)


# The loaders below take the plan as ``_plan``, keyed by its id and revision (a plan's fields
# change only with its revision): st.cache_data hashing the plan's dict costs milliseconds a call.
# They keep their result with st.cache_resource, which hands out the object itself instead of an
# unpickled copy on every rerun (another few milliseconds): the pages only read what they get.

def calendar_section(plan: dict, revision: int, filters, today: dt.date):
    """The overview's calendar figures (pst_data.aggregates.calendar_section): once per revision,
    filters and day, not on every rerun."""
    return _calendar_section(plan["id"], revision, filters, today, plan)


@st.cache_resource(max_entries=32, show_spinner=False)
def _calendar_section(plan_id: int, revision: int, filters, today: dt.date, _plan: dict):
    from pst_data.rules.filters import apply_filters
    from pst_data.aggregates import calendar_section as build

    return build(apply_filters(actions(_plan, revision, today), filters), _plan, today)


def label_views(plan: dict, revision: int, filters, today: dt.date, label_names: tuple[str, ...]):
    """The Labels page's tables (pst_data.aggregates.label_views): once per revision, filters, day and
    set of labels, not on every rerun."""
    return _label_views(plan["id"], revision, filters, today, label_names, plan)


@st.cache_resource(max_entries=32, show_spinner=False)
def _label_views(plan_id: int, revision: int, filters, today: dt.date, label_names: tuple, _plan: dict):
    from pst_data.rules.filters import apply_filters
    from pst_data.aggregates import label_views as build

    return build(apply_filters(actions(_plan, revision, today), filters), label_names, _plan)


def label_versus(plan: dict, revision: int, filters, today: dt.date, label: str):
    """One label against the rest of the plan (pst_data.aggregates.label_vs_rest), cached likewise."""
    return _label_versus(plan["id"], revision, filters, today, label, plan)


@st.cache_resource(max_entries=32, show_spinner=False)
def _label_versus(plan_id: int, revision: int, filters, today: dt.date, label: str, _plan: dict):
    from pst_data.rules.filters import apply_filters
    from pst_data.aggregates import label_vs_rest

    return label_vs_rest(apply_filters(actions(_plan, revision, today), filters), label, _plan["evaluation_bands"])


def change_digest(plan: dict, revision: int, filters, today: dt.date, since: dt.date):
    """« Ce qui a changé » since ``since`` for the actions the filters show (aggregates.change_digest)."""
    return _change_digest(plan["id"], revision, filters, today, since, plan)


@st.cache_resource(max_entries=32, show_spinner=False)
def _change_digest(plan_id: int, revision: int, filters, today: dt.date, since: dt.date, _plan: dict):
    from pst_data.rules.filters import apply_filters
    from pst_data.aggregates import change_digest as build, changes_in_view, element_titles

    plan = _plan
    everything = actions(plan, revision, today)
    changes = recent_changes(plan["id"], revision, None, since)
    if filters.active:
        changes = changes[changes_in_view(changes, apply_filters(everything, filters))]
    return build(changes, element_titles(everything))


@st.cache_data(max_entries=32, show_spinner=False)
def resources(plan: dict, revision: int, filters, today: dt.date, by: str) -> pd.DataFrame:
    from pst_data.rules.filters import apply_filters
    from pst_data.aggregates import resource_totals

    return resource_totals(apply_filters(actions(plan, revision, today), filters), by)


def frame_digest(rows: pd.DataFrame) -> str:
    """The cache key of a frame (a chart's input, the actions a page shows): st.cache_data hashes
    a frame argument itself at ~1 ms (object columns) on every call; a digest of its pickle costs
    ~0.04 ms, and equal pickles mean equal frames (two equal frames that pickle apart only miss
    the cache). Loaders take the frame as an ``_underscore`` argument, which it does not hash."""
    return hashlib.blake2b(pickle.dumps(rows, protocol=5), digest_size=16).hexdigest()


def objective_tree(plan: dict, revision: int, actions: pd.DataFrame, filtered: bool) -> list:
    """The Objectifs page's tree (pst_data.aggregates.objective_tree, with the plan's schedule
    thresholds) once per revision and set of actions shown, not on every rerun: it was a third
    of the page's warm run (benchmarks/README.md)."""
    return _objective_tree(plan, revision, frame_digest(actions), actions, filtered)


@st.cache_data(max_entries=32, show_spinner=False)
def _objective_tree(plan: dict, revision: int, digest: str, _actions: pd.DataFrame, filtered: bool) -> list:
    from pst_data.rules.schedule import Thresholds
    from pst_data.aggregates import objective_tree as tree

    return tree(objectives(plan["id"], revision), _actions, indicators(plan["id"], revision),
                plan["evaluation_bands"], filtered, Thresholds.of(plan))


def slides(plan: dict, revision: int, filters, actions: pd.DataFrame, since: dt.date, today: dt.date,
           filter_text: str, bureau: dt.date | None, reading: str) -> list:
    """The Présentation's slides (pst_data.slides.build_deck) once per revision, set of actions
    shown and period, not on every rerun (a slide turned): they were four fifths of the page's
    warm run (benchmarks/README.md)."""
    return _slides(plan, revision, filters, frame_digest(actions), actions, since, today, filter_text, bureau, reading)


@st.cache_data(max_entries=16, show_spinner=False)
def _slides(plan: dict, revision: int, filters, digest: str, _actions: pd.DataFrame, since: dt.date, today: dt.date,
            filter_text: str, bureau: dt.date | None, reading: str) -> list:
    from pst_data.slides import build_deck

    return build_deck(plan, _actions, recent_changes(plan["id"], revision, None, since), since, today, filter_text,
                      bureau=bureau, trajectories=trajectories(plan, revision, filters, today),
                      reading=reading)


@st.cache_data(max_entries=8, show_spinner=False)
def comparison_figures(revision_key: str, today: dt.date, slugs: tuple, bands_json: str) -> tuple[dict | None, dict]:
    """The Comparaison page's two figures (as dicts), built once per revision of any plan and per
    set of plans shown: at 262 plans they cost most of the page's run (benchmarks/README.md)."""
    from pst_data.rules import charts

    table = comparison(revision_key, today)
    table = table[table["slug"].isin(slugs)].reset_index(drop=True)
    band_names = list(dict.fromkeys(b for bands in table["bands"] for b in bands))
    assessed = table[table["assessed"] > 0]
    progress = charts.comparison_bars(assessed).to_dict() if not assessed.empty else None
    bands_frame = table.assign(**{b: [bands.get(b, 0) for bands in table["bands"]] for b in band_names})
    split = charts.band_split(bands_frame.assign(code=table["organisation"]), "code", "organisation",
                              json.loads(bands_json), title="Bandes d'évaluation par plan").to_dict()
    return progress, split


def trajectories(plan: dict, revision: int, filters, today: dt.date) -> dict:
    """The plan's and each OS's trajectory and forecast (pst_data.rules.timeline.trajectories) for the
    actions the filters show: rebuilt from the history once per revision, filters and day, not on
    every rerun."""
    return _trajectories(plan["id"], revision, filters, today, plan)


@st.cache_resource(max_entries=16, show_spinner=False)
def _trajectories(plan_id: int, revision: int, filters, today: dt.date, _plan: dict) -> dict:
    from pst_data.rules.filters import apply_filters
    from pst_data.rules.timeline import trajectories as build

    return build(progress_events(plan_id, revision), apply_filters(actions(_plan, revision, today), filters), _plan,
                 today)
