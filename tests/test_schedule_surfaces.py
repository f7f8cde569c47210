"""The schedule where people look: a running plan (tests/running_plan.py, on 1 July 2026) is
described by its calendar on every surface, never by the evaluation legend; « à jour » means a
person updated; the command line gives the same figures; the trajectory and its forecast come
from the history."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy.orm import Session

from pst_data import cli, queries, services
from pst_data.exchange.workbook import plan_workbook, read_workbook
from pst_data.exports.deck import plan_deck
from pst_data.exports.report import evaluation_report
from pst_data.importer import import_plan
from pst_data.rules import charts, clock, schedule
from pst_data.rules.timeline import trajectories
from pst_data.slides import build_deck
from pst_data.uow import Operator
from tests.pages_support import metrics, no_exception, open_page, plotly_specs
from tests.people import ALICE, BOB, CHRIS
from tests.running_plan import NOW, PLAN_FILE, SLUG, actions_by_code, add_running_plan

TODAY = NOW.date()
ON_TIME_BLUE = schedule.COLOURS[schedule.ON_TIME]
RED = ("#c62828",)


@pytest.fixture
def running(seeded_engine, set_now):
    set_now(NOW)
    plan = add_running_plan(seeded_engine)
    return seeded_engine, plan


def _frame(engine, plan):
    with Session(engine) as s:
        return queries.actions_frame(s, plan, TODAY)


# -- the figures -------------------------------------------------------------------------------------

def test_halfway_an_action_at_50_is_on_time_and_one_at_20_far_behind_never_abandoned(running):
    engine, plan = running
    frame = _frame(engine, plan).set_index("code")
    assert frame.loc["1.1.1", ["progress", "band", "schedule"]].tolist() == [50, "En cours", schedule.ON_TIME]
    # The evaluation legend would call it « Abandonné »: the calendar says how far behind it is.
    assert frame.loc["1.1.2", ["progress", "band", "schedule"]].tolist() == [20, "Abandonné", schedule.FAR_BEHIND]
    assert frame.loc["1.2.1", "schedule"] == schedule.BEHIND
    assert frame.loc["1.1.3", "schedule"] == schedule.OVERDUE and bool(frame.loc["1.1.3", "is_late"])
    assert frame.loc["1.2.2", "schedule"] == schedule.DONE and frame.loc["2.1.2", "schedule"] == schedule.ABANDONED
    assert round(frame.loc["2.1.1", "expected_progress"], 1) == 24.9  # no dates: the plan's 2025-2030


def test_status_command_gives_each_action_its_schedule_and_the_forecasts(running, monkeypatch, capsys):
    engine, _plan = running
    monkeypatch.setenv("PST_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert cli.main(["status", "--plan", SLUG, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_code = {a["code"]: a for a in report["actions"]}
    assert (by_code["1.1.1"]["schedule"], by_code["1.1.2"]["schedule"], by_code["1.1.3"]["schedule"]) == \
        ("Dans les temps", "Très en retard", "Échéance dépassée")
    assert by_code["1.1.3"]["days_late"] == 92 and by_code["1.1.1"]["expected_progress"] == 49.6
    assert report["phase"] == "en cours" and report["as_of"] == "2026-07-01"
    assert report["summary"]["forecast"]["sentence"].startswith("À ce rythme, le plan atteindra 100 % vers ")
    assert report["summary"]["forecast"]["sentence"].endswith(" ; le plan se termine en 2030.")
    assert [o["code"] for o in report["objectives"]] == ["1", "2"]

    # As the plan stood on 1 March: 1.1.3 was at 40 %, its échéance (31/03) not passed yet.
    assert cli.main(["status", "--plan", SLUG, "--as-of", "2026-03-01"]) == 0
    text = capsys.readouterr().out
    assert "situation au 01/03/2026" in text and re.search(r"^1\.1\.3\t40\u00a0%\t\d+\u00a0%\tTrès en retard$", text, re.M)
    assert "Pas assez d'historique pour une projection (55 jours" in text
    for wrong, message in (("0001-01-01", "hors limites"), ("2026-07-02", "date à venir"), ("31/02/2026", "illisible")):
        try:
            code = cli.main(["status", "--plan", SLUG, "--as-of", wrong])
        except SystemExit as exc:  # argparse refuses an unreadable date itself
            code = exc.code
        assert code == 2 and message in capsys.readouterr().err


# -- every surface ----------------------------------------------------------------------------------

def test_the_slides_and_the_powerpoint_describe_the_calendar_while_the_plan_runs(running):
    engine, plan = running
    actions = _frame(engine, plan)
    deck = build_deck(plan, actions, pd.DataFrame(columns=["changed_at", "changed_by", "action_code", "field",
                                                           "old_value", "new_value", "comment", "kind", "entity"]),
                      TODAY, TODAY, "tous", bureau=dt.date(2026, 6, 16))
    bands = {b["label"] for b in plan["evaluation_bands"]}
    title = deck[0]
    assert not bands & {label for label, _ in title.figures}
    assert set(title.bars["category"]) <= set(schedule.STATUSES)
    assert title.bars.set_index("code").loc["OS 2", "colour"] == ON_TIME_BLUE
    kinds = [s.kind for s in deck]
    assert "drift" in kinds and kinds.index("drift") > kinds.index("late")
    drift = deck[kinds.index("drift")].rows
    assert drift["Code"].tolist() == ["1.1.2", "1.2.1"]  # the furthest behind first, 1.1.1 (on time) absent
    assert deck[kinds.index("changes")].title == "Ce qui a changé depuis le Bureau du 16/06/2026"

    with Session(engine) as s:
        pptx = Presentation(io.BytesIO(plan_deck(s, plan, actions, TODAY, TODAY, "tous", dt.date(2026, 6, 16))))
    chart = next(shape.chart for shape in pptx.slides[0].shapes if shape.has_chart)
    colours = [str(point.format.fill.fore_color.rgb) for point in chart.plots[0].series[0].points]
    assert colours == ["C62828", "1976D2"]  # OS 1 far behind, OS 2 on time
    assert [s.name for s in chart.plots[0].series] == ["Taux moyen", "Attendu aujourd'hui"]
    texts = " ".join(shape.text_frame.text for slide in pptx.slides for shape in slide.shapes if shape.has_text_frame)
    assert "Trajectoire et projection" in texts or any(
        "Trajectoire" in shape.text_frame.text for slide in pptx.slides for shape in slide.shapes
        if shape.has_text_frame)


def test_the_plan_map_colours_an_on_time_action_blue_and_a_late_one_by_its_calendar(running):
    engine, plan = running
    actions = _frame(engine, plan)
    figure = charts.plan_treemap(actions, thresholds=schedule.Thresholds.of(plan)).to_dict()["data"][0]
    colour = dict(zip(figure["ids"], figure["marker"]["colors"], strict=True))
    ids = actions.set_index("code")["id"]
    assert colour[f"a:{ids['1.1.1']}"] == ON_TIME_BLUE
    assert colour[f"a:{ids['1.1.2']}"] == schedule.COLOURS[schedule.FAR_BEHIND]
    assert colour[f"a:{ids['2.1.2']}"] not in RED  # abandoned: grey, no alarm


def test_the_final_report_still_applies_the_plan_s_legend(running):
    engine, plan = running
    with Session(engine) as s:
        content = evaluation_report(s, plan, "mi-parcours", TODAY, TODAY)
    text = " ".join(re.sub(r"[\u00a0\u202f]", " ", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages)
    assert "20 % · Abandonné" in text  # 1.1.2's fiche, by the plan's own legend
    # And where the plan stands against its calendar, with the forecast of the same day.
    assert "Calendrier : 52,3 % pour 62,3 % attendus au 01/07/2026 : très en retard" in text
    assert "Plan · À ce rythme, le plan atteindra 100 % vers" in text


def _app(seeded_sqlite_file, tmp_path, set_now):
    import shutil

    from db.engine import make_engine

    set_now(NOW)
    copy = tmp_path / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    add_running_plan(engine)
    return url, engine


def test_the_overview_of_a_running_plan_speaks_of_its_calendar(seeded_sqlite_file, tmp_path, set_now):
    url, _engine = _app(seeded_sqlite_file, tmp_path, set_now)
    at = open_page("dashboard.py", url, plan=SLUG)
    no_exception(at)
    assert metrics(at)["Qui dérivent"] == "2"
    assert any("Bureau du 16/06/2026. Calendrier : 52,3\u00a0% pour 62,3\u00a0% attendus aujourd'hui : très en retard"
               in c.value.replace("\\", "") for c in at.caption)
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(at)]
    assert "Taux d'avancement et taux attendu aujourd'hui" in titles
    assert "Répartition des actions par bande d'évaluation" not in titles
    split = next(spec for spec in plotly_specs(at)
                 if spec["layout"]["title"]["text"] == "Répartition des actions par rapport au calendrier")
    assert {trace["name"] for trace in split["data"]} <= set(schedule.STATUSES)
    frames = {tuple(df.value.columns): df.value for df in at.dataframe}
    drifting = next(v for k, v in frames.items() if "Retard" in k and "Attendu" in k)
    assert drifting["Code"].tolist() == ["1.1.2", "1.2.1"]
    assert any(m.value.startswith("À ce rythme, le plan atteindra 100 % vers") for m in at.markdown)
    # The person may choose the legend: then the bands are back.
    at.segmented_control(key="overview_reading").set_value(schedule.LEGEND).run()
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(at)]
    assert "Répartition des actions par bande d'évaluation" in titles


def test_the_public_page_of_a_running_plan_counts_by_calendar_not_by_legend(seeded_sqlite_file, tmp_path, set_now):
    url, engine = _app(seeded_sqlite_file, tmp_path, set_now)
    with Session(engine) as s:
        from db.models import Plan

        s.query(Plan).filter(Plan.slug == SLUG).update({"published": True})
        s.commit()
    at = open_page("pages/11_PST_public.py", url, plan=SLUG)
    no_exception(at)
    brief = next(m.value for m in at.markdown if "Taux d'avancement moyen" in m.value)
    lines = brief.splitlines()
    assert "- Très en retard : 1 action" in lines and "- Dans les temps : 2 actions" in lines
    assert "- Abandonné : 1 action" in lines  # the one declared abandoned, not the two below 30 %
    table = next(t.value for t in at.table if "Calendrier" in t.value.columns and "1.1.2" in t.value.index)
    assert table.loc["1.1.2", "Calendrier"] == "Très en retard"


# -- « à jour » means a person updated ------------------------------------------------------------

def test_after_an_import_from_the_excel_template_nobody_is_up_to_date_until_a_chef_saves(
        seeded_sqlite_file, tmp_path, set_now):
    import shutil

    from db.engine import make_engine
    from pst_data import accounts
    from pst_data.exchange.plan_file import load_plan_file

    set_now(NOW)
    copy = tmp_path / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    workbook = plan_workbook(load_plan_file(PLAN_FILE))
    import_plan(engine, read_workbook(workbook, "florival.xlsx"), ALICE)  # an admin creates the plan
    at = open_page("dashboard.py", url, plan=SLUG)
    no_exception(at)
    assert metrics(at)["À jour"] == "0 / 5"
    by_lead = next(df.value for df in at.dataframe if "Chef de projet" in df.value.columns
                   and "Dernière mise à jour" in df.value.columns)
    assert set(by_lead["Dernière mise à jour"]) == {"jamais"} and set(by_lead["À jour"]) == {0}

    with Session(engine) as s:
        plan = queries.find_plan(s, slug=SLUG)
    accounts.update_account(engine, Operator("tests"), CHRIS.login, plans=[SLUG])
    accounts.link_lead(engine, BOB, plan["id"], "MARTIN Paul", CHRIS.account_id)
    mine = actions_by_code(engine, TODAY).loc["1.1.2"]
    services.update_action(engine, int(mine["id"]), int(mine["version"]), {"progress": 25}, CHRIS)
    at = open_page("dashboard.py", url, plan=SLUG)
    assert metrics(at)["À jour"] == "1 / 5"
    by_lead = next(df.value for df in at.dataframe if "Chef de projet" in df.value.columns
                   and "Dernière mise à jour" in df.value.columns).set_index("Chef de projet")
    assert by_lead.loc["MARTIN Paul", "À jour"] == 1 and by_lead.loc["MARTIN Paul", "Dernière mise à jour"] == "01/07/2026"
    assert by_lead.loc["DUPONT Marie", "Dernière mise à jour"] == "jamais"


def test_a_later_import_that_changes_a_taux_counts_as_an_update_by_file(running):
    engine, plan = running
    from pst_data.exchange.plan_file import load_plan_file

    data = load_plan_file(PLAN_FILE)
    data["strategic_objectives"][1]["operational_objectives"][0]["actions"][0]["progress"] = 35  # 2.1.1
    import_plan(engine, data, BOB)
    frame = _frame(engine, plan).set_index("code")
    assert bool(frame.loc["2.1.1", "last_update_by_file"]) and frame.loc["2.1.1", "last_update_day"] == TODAY
    assert not bool(frame.loc["1.1.1", "last_update_by_file"])
    from pst_data.rules.follow_up import last_update_text

    assert last_update_text(_frame(engine, plan)[lambda f: f["code"] == "2.1.1"]) == "01/07/2026 (par fichier)"


# -- the trajectory -----------------------------------------------------------------------------------

def test_binche_s_trajectory_comes_from_its_history_against_the_expected_line(seeded_engine, set_now):
    with Session(seeded_engine) as s:
        binche = queries.find_plan(s, slug="binche")
    today = clock.today()

    def paths(day):
        with Session(seeded_engine) as s:
            actions = queries.actions_frame(s, binche, day)
            return trajectories(queries.progress_events(s, binche["id"]), actions, binche, day)

    fresh = paths(today)["Plan"]
    assert fresh.forecast.sentence.startswith("Pas assez d'historique pour une projection (0 jour")
    assert len(fresh.actual) == 1 and fresh.expected[-1][1] == 100.0  # 2019-2024 is over: all was due
    assert fresh.expected[0] == (dt.date(2019, 1, 1), 0.0)

    for days, step in ((40, 5), (100, 10), (130, 10)):
        set_now(dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10)))
        with Session(seeded_engine) as s:
            frame = queries.actions_frame(s, binche).set_index("code")
        for code in ("1.1.1.1.1", "1.1.2.1.1", "1.2.1.1.1"):
            row = frame.loc[code]
            services.update_action(seeded_engine, int(row["id"]), int(row["version"]),
                                   {"progress": min(99, int(row["progress"]) + step)}, BOB)
    later = paths(clock.today())
    plan_path = later["Plan"]
    assert len(plan_path.actual) == 4 and plan_path.actual["mean_progress"].is_monotonic_increasing
    assert plan_path.forecast.enough_history and plan_path.forecast.finish is not None
    assert plan_path.forecast.sentence.startswith("À ce rythme, le plan atteindra 100 % vers ")
    assert plan_path.forecast.sentence.endswith(" ; le plan s'est terminé en 2024.")
    assert "OS 1.1" in later and later["OS 1.1"].forecast.enough_history


# -- the plan's thresholds ------------------------------------------------------------------------------

def test_a_directeur_sets_the_plan_s_thresholds_and_the_statuses_follow(running):
    from pst_data.meetings import save_follow_up_settings
    from pst_data.rules.errors import EditError

    engine, plan = running

    def save(on_track, behind, actor=BOB):
        return save_follow_up_settings(engine, actor, plan["id"], stale_after_days=60, reminder_days_before=7,
                                       reminder_text=None, schedule_on_track=on_track, schedule_behind=behind)

    for on_track, behind, message in (("abc", "85", "Dans les temps à partir de"), ("95", "7,5", "Très en retard sous"),
                                      ("1e308", "85", "Dans les temps"), ("101", "85", "Dans les temps"),
                                      ("95", "0", "Très en retard sous"), ("80", "85", "doit être inférieur"),
                                      ("90", "90", "doit être inférieur"), ("9" * 5000, "85", "Dans les temps"),
                                      ("95", "٨٥", "Très en retard sous")):  # Arabic digits
        with pytest.raises(EditError, match=message):
            save(on_track, behind)
    assert (plan_now := _frame(engine, plan).set_index("code")).loc["1.2.1", "schedule"] == schedule.BEHIND
    assert save(" 85 ", "80") == ["schedule_on_track", "schedule_behind"]
    with pytest.raises(EditError):
        save("70", "50", CHRIS)  # a chef de projet does not set the plan's rules
    with Session(engine) as s:
        changed = queries.find_plan(s, slug=SLUG)
    assert (changed["schedule_on_track"], changed["schedule_behind"]) == (85, 80)
    # 44 % for 49,6 % expected is 88,7 %: behind with 95 %, on time with 85 %.
    assert _frame(engine, changed).set_index("code").loc["1.2.1", "schedule"] == schedule.ON_TIME
    assert plan_now.loc["1.1.2", "schedule"] == schedule.FAR_BEHIND


def test_the_trajectory_is_rebuilt_once_per_revision_not_on_every_rerun(seeded_sqlite_file, tmp_path, set_now,
                                                                         monkeypatch):
    import pst_data.rules.timeline as timeline
    from ui import data

    url, engine = _app(seeded_sqlite_file, tmp_path, set_now)
    built = []
    original = timeline.trajectories
    monkeypatch.setattr(timeline, "trajectories", lambda *a, **k: built.append(1) or original(*a, **k))
    at = open_page("dashboard.py", url, plan=SLUG)
    for _ in range(3):
        at.run()
    no_exception(at)
    assert len(built) == 1
    row = actions_by_code(engine, TODAY).loc["1.1.2"]
    services.update_action(engine, int(row["id"]), int(row["version"]), {"progress": 35}, CHRIS)
    data.invalidate()
    at.run()
    at.run()
    assert len(built) == 2


def test_the_drift_filter_keeps_the_actions_behind_their_calendar_and_travels_in_the_url(running):
    from pst_data.rules.filters import Filters, apply_filters, parse_query_params

    engine, plan = running
    parsed = parse_query_params({"plan": SLUG, "drift": "1"}, [SLUG], [], SLUG)
    assert parsed.filters == Filters(plan=SLUG, drifting=True) and parsed.problems == []
    assert parsed.filters.to_query_params() == {"plan": SLUG, "drift": "1"} and parsed.filters.active
    shown = apply_filters(_frame(engine, plan), parsed.filters)
    assert shown["code"].tolist() == ["1.1.2", "1.2.1"]
    assert parse_query_params({"plan": SLUG, "drift": "oui"}, [SLUG], [], SLUG).filters.drifting is False


def test_a_director_opens_the_drifting_actions_from_the_sidebar(seeded_sqlite_file, tmp_path, set_now):
    url, _engine = _app(seeded_sqlite_file, tmp_path, set_now)
    at = open_page("dashboard.py", url, plan=SLUG)
    toggle = next(t for t in at.sidebar.toggle if t.label == "Qui dérivent uniquement")
    toggle.set_value(True).run()
    no_exception(at)
    assert metrics(at)["Actions"] == "2" and at.query_params["drift"] == "1"
    assert any("Filtres : qui dérivent" in c.value for c in at.caption)
