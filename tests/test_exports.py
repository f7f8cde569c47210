"""The Excel export: opened back with openpyxl, its values are the database's."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from sqlalchemy.orm import Session

from pst_data import queries, services
from tests.conftest import TODAY
from pst_data.exports.deck import plan_deck
from pst_data.exports.excel import plan_workbook
from pst_data.rules.filters import Filters, apply_filters
from pst_data.rules.formatting import fmt_percent
from tests.people import ALICE, CLAIRE_MARTIN

ROOT = Path(__file__).resolve().parent.parent


def _workbook(engine, slug, filters=None):
    with Session(engine) as s:
        plan = next(p for p in queries.list_plans(s) if p["slug"] == slug)
        actions = queries.actions_frame(s, plan)
        if filters:
            actions = apply_filters(actions, filters)
        return load_workbook(io.BytesIO(plan_workbook(s, plan, actions))), actions


def _rows(ws):
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]


def test_excel_values_equal_the_database(seeded_engine):
    wb, actions = _workbook(seeded_engine, "binche")
    assert wb.sheetnames == ["Chiffres par OS", "OS", "OO", "Actions", "Sous-actions"]
    sheet = wb["Actions"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    rows = _rows(sheet)
    assert [r["Code"] for r in rows] == actions["code"].tolist()
    assert [r["Taux d'avancement"] for r in rows] == actions["progress"].astype(object).tolist()
    first = rows[0]
    assert first["Priorité"] == "Très haute" and first["Fin"] == "2024"
    assert first["Chef de projet"] == "Service Juridique"
    progress_col = [c.value for c in sheet[1]].index("Taux d'avancement") + 1
    assert sheet.cell(row=2, column=progress_col).number_format == '0" %"'
    figures = {r["OS"]: r for r in _rows(wb["Chiffres par OS"])}
    assert round(figures["1.4"]["Taux moyen"], 1) == 90.0
    per_os = wb["Chiffres par OS"]
    headers = [c.value for c in per_os[1]]
    assert headers.count("Sans taux") == 1  # the band « Sans taux » is that column already
    assert per_os.cell(row=2, column=headers.index("Taux moyen") + 1).number_format == '0.0" %"'  # 58,9 %, not 59 %
    dated = [c.value for c in sheet[1]].index("Échéance (date)") + 1
    assert isinstance(sheet.cell(row=2, column=dated).value, dt.datetime)  # a real date, shown dd/mm/yyyy
    assert sheet.cell(row=2, column=dated).number_format == "DD/MM/YYYY"
    assert "Début (date)" in [c.value for c in sheet[1]]
    assert sum(r["Actions"] for r in figures.values()) == 47
    assert len(_rows(wb["OS"])) == 9 and len(_rows(wb["OO"])) == 33
    assert len(_rows(wb["Sous-actions"])) == 212


def test_excel_respects_the_filters(seeded_engine):
    wb, actions = _workbook(seeded_engine, "charleroi", Filters(plan="charleroi", priority1=True))
    assert len(_rows(wb["Actions"])) == 42 == len(actions)


def test_formula_looking_text_stays_text(seeded_engine):
    with Session(seeded_engine) as s:
        plan = next(p for p in queries.list_plans(s) if p["slug"] == "ecaussinnes")
        row = queries.actions_frame(s, plan).iloc[0]
    services.update_action(seeded_engine, int(row["id"]), int(row["version"]),
                           {"title": '=HYPERLINK("http://x.invalid","clic")', "project_lead": "+32 470 00 00 00",
                            "comment": "@SUM(A1:A2)"}, ALICE)
    wb, _ = _workbook(seeded_engine, "ecaussinnes")
    sheet = wb["Actions"]
    headers = [c.value for c in sheet[1]]
    title = sheet.cell(row=2, column=headers.index("Intitulé") + 1)
    assert title.value == '=HYPERLINK("http://x.invalid","clic")' and title.data_type == "s"
    lead = sheet.cell(row=2, column=headers.index("Chef de projet") + 1)
    assert lead.value == "+32 470 00 00 00" and lead.data_type == "s"
    comment = sheet.cell(row=2, column=headers.index("Commentaire") + 1)
    assert comment.data_type == "s"


def _cli_with_saint_ghislain(cli, tmp_path):
    """``run(*args)``: the command line on a database of its own holding Saint-Ghislain."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def run(*args):
        return cli(*args, url=url)

    assert run("import", str(ROOT / "pst_data/plans/saint-ghislain.yaml")).returncode == 0
    return run


def test_cli_writes_the_workbook(cli, tmp_path):
    run = _cli_with_saint_ghislain(cli, tmp_path)
    out = tmp_path / "sg.xlsx"
    done = run("export", "--plan", "saint-ghislain", "--format", "xlsx", "--output", str(out))
    assert done.returncode == 0, done.stderr
    rows = [r for r in _rows(load_workbook(out)["Actions"]) if r["Code action"] and not r["Code sous-action"]]
    assert len(rows) == 34 and rows[0]["Statut"] == "En cours"  # the template: one row per action
    summary = tmp_path / "synthese.xlsx"
    done = run("export", "--plan", "saint-ghislain", "--format", "xlsx-synthese", "--output", str(summary))
    assert done.returncode == 0, done.stderr
    assert load_workbook(summary).sheetnames[0] == "Chiffres par OS"
    missing = run("export", "--plan", "saint-ghislain", "--format", "xlsx")
    assert missing.returncode == 2 and "--output" in missing.stderr


def _deck(engine, slug, filters=None, since=dt.date(2026, 1, 1)):
    with Session(engine) as s:
        plan = next(p for p in queries.list_plans(s) if p["slug"] == slug)
        actions = queries.actions_frame(s, plan)
        if filters:
            actions = apply_filters(actions, filters)
        content = plan_deck(s, plan, actions, since, TODAY, "tous les projets")
    return Presentation(io.BytesIO(content)), actions


def _texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def test_deck_has_the_page_s_slides_with_figures_charts_and_every_late_project(seeded_engine, plan_files):
    deck, _ = _deck(seeded_engine, "binche")
    objectives = plan_files["binche"]["strategic_objectives"]
    titles = [slide.shapes.title.text for slide in deck.slides]
    # Long lists continue on further slides (9 OS, OS 1.1's 8 OO, 40 late projects), none is cut.
    os_titles = [t for t in titles if t.startswith("OS ")]
    assert list(dict.fromkeys(t.removesuffix(" (suite)") for t in os_titles)) == \
        [f"OS {o['code']} · {o['title']}" for o in objectives]
    assert titles[0] == "CPAS de Binche — suivi du PST"
    assert "58,9\u00a0%" in _texts(deck.slides[0])
    for os_ in objectives:
        slides = [s for s in deck.slides if s.shapes.title.text.removesuffix(" (suite)") == f"OS {os_['code']} · {os_['title']}"]
        rates = [a["progress"] for oo in os_["operational_objectives"] for a in oo["actions"]]
        assert fmt_percent(sum(rates) / len(rates)) in _texts(slides[0]), os_["code"]
        charts = [shape.chart for slide in slides for shape in slide.shapes if shape.has_chart]
        per_oo = [sum(r) / len(r) for r in ([a["progress"] for a in oo["actions"]]
                                             for oo in os_["operational_objectives"]) if r]
        assert [v for c in charts for v in c.plots[0].series[0].values] == pytest.approx([round(v, 1) for v in per_oo])
        assert list(charts[0].plots[0].categories)[0].startswith("OO " + os_["operational_objectives"][0]["code"] + " · ")
    late = [s for s in deck.slides if s.shapes.title.text.startswith("Projets en retard")]
    tables = [next(shape.table for shape in s.shapes if shape.has_table) for s in late]
    assert [tables[0].cell(0, j).text for j in range(6)] == ["Code", "Action", "Taux", "Échéance", "Retard",
                                                              "Chef de projet"]
    # The longest overdue first (Binche's earliest échéances passed at the end of 2020).
    assert tables[0].cell(1, 3).text == "31/12/2020" and tables[0].cell(1, 4).text == "2153 j"
    days = [int(t.cell(i, 4).text.removesuffix(" j")) for t in tables for i in range(1, len(t.rows))]
    assert days == sorted(days, reverse=True)
    # Every late project, over several slides: 40 past their échéance, 5 without one, past the
    # end of the plan's period (2019-2024).
    assert sum(len(t.rows) - 1 for t in tables) == 45
    assert f"{len(titles)} / {len(titles)}" in _texts(deck.slides[-1])


def test_deck_follows_filters_and_lists_recent_changes(seeded_engine):
    with Session(seeded_engine) as s:
        plan = next(p for p in queries.list_plans(s) if p["slug"] == "charleroi")
        first = queries.actions_frame(s, plan).iloc[0]
    services.set_progress(seeded_engine, int(first["id"]), int(first["version"]), 40, CLAIRE_MARTIN, "Lancé")
    deck, actions = _deck(seeded_engine, "charleroi", Filters(plan="charleroi", labels=("États généraux",)))
    assert "36" in _texts(deck.slides[0])
    changes = next(slide for slide in deck.slides if slide.shapes.title.text.startswith("Ce qui a changé"))
    table = next(shape.table for shape in changes.shapes if shape.has_table)
    row = [table.cell(1, j).text for j in range(3)]  # one line per action, what changed in words
    assert row == [f"{first['code']} · {first['title']}", "taux — → 40 % · « Lancé »", "Claire Martin"]


def test_cli_writes_deck_and_report_and_handles_snapshots(cli, tmp_path):
    from pypdf import PdfReader

    run = _cli_with_saint_ghislain(cli, tmp_path)
    deck_path, report_path = tmp_path / "sg.pptx", tmp_path / "sg.pdf"
    done = run("export", "--plan", "saint-ghislain", "--format", "pptx", "--output", str(deck_path))
    assert done.returncode == 0, done.stderr
    assert Presentation(str(deck_path)).slides[0].shapes.title.text.endswith("— suivi du PST")
    done = run("report", "--plan", "saint-ghislain", "--kind", "mi-parcours", "--output", str(report_path))
    assert done.returncode == 0, done.stderr
    assert "Évaluation à mi-parcours" in PdfReader(str(report_path)).pages[0].extract_text()

    assert run("snapshot", "take", "--plan", "saint-ghislain", "--name", "Bilan 2025").returncode == 0
    again = run("snapshot", "take", "--plan", "saint-ghislain", "--name", "Bilan 2025")
    assert again.returncode == 2 and "s'appelle déjà « Bilan 2025 »" in again.stderr
    listed = run("snapshot", "list", "--plan", "saint-ghislain")
    assert listed.stdout.startswith("Bilan 2025 · état au ") and "34 actions" in listed.stdout
    compared = run("snapshot", "compare", "--plan", "saint-ghislain", "--name", "Bilan 2025")
    assert compared.returncode == 0
    assert compared.stdout.splitlines()[1:] == ["1\t25\u00a0%\t25\u00a0%\t0\u00a0pt", "2\t—\t—\t—", "3\t—\t—\t—"]
    unknown = run("report", "--plan", "namur", "--output", str(report_path))
    assert unknown.returncode == 2 and "Plan « namur » inconnu." in unknown.stderr
    bad_day = run("report", "--plan", "saint-ghislain", "--as-of", "31/12/2024", "--output", str(report_path))
    assert bad_day.returncode == 2 and "date illisible « 31/12/2024 »" in bad_day.stderr
    for option, command in (("--depuis", ("export", "--plan", "saint-ghislain", "--format", "pptx", "--output",
                                          str(deck_path))),
                            ("--as-of", ("report", "--plan", "saint-ghislain", "--output", str(report_path)))):
        ancient = run(*command, option, "0001-01-01")
        assert ancient.returncode == 2 and "date hors limites « 0001-01-01 » (années 1900 à 2200)" in ancient.stderr
    nowhere = tmp_path / "pas-de-dossier" / "sg.pdf"
    missing = run("report", "--plan", "saint-ghislain", "--output", str(nowhere))
    assert missing.returncode == 2 and "Dossier introuvable" in missing.stderr and "Traceback" not in missing.stderr
    assert not nowhere.parent.exists()
