"""The Bureau presentation: slides built from the data, walked with Précédent / Suivant, the
projector mode, and long lists spread over slides that fit (pure rules first)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pandas as pd

from pst_data.rules import schedule
from pst_data.rules.formatting import fmt_percent
from pst_data.slides import LATE_COLUMNS, TABLE_BUDGET, build_deck, wrapped_lines
from tests.pages_support import no_exception, open_page
from ui.slides import slide_html

TODAY = dt.date(2026, 12, 1)


def _slide_html(at) -> str:
    return next(h.proto.body for h in at.get("html") if "pst-slide" in h.proto.body)


def _text(fragment: str) -> str:
    return re.sub(r"[ \n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def slide_title(at) -> str:
    return _text(re.search(r"<h1[^>]*>(.*?)</h1>", _slide_html(at), re.S).group(1))


def slide_text(at) -> str:
    return _text(re.sub(r"<style>.*?</style>", "", _slide_html(at), flags=re.S))


def previous(at) -> None:
    next(b for b in at.button if b.label == "◀ Précédent").click()
    at.run()


def back_to(at, title: str) -> None:
    """Turn back until the slide's title starts with ``title``."""
    for _ in range(10):
        if slide_title(at).startswith(title):
            return
        previous(at)
    raise AssertionError(f"no slide « {title} » before {slide_title(at)}")


def figures(at) -> dict[str, str]:
    found = re.findall(r"pst-figure-value'>(.*?)</div><div class='pst-figure-label'>(.*?)</div>", _slide_html(at))
    return {_text(label): _text(value) for value, label in found}


def test_presentation_walks_title_os_changes_and_late_slides(app_db_url, plan_files):
    at = open_page("pages/7_Présentation.py", app_db_url, plan="binche")
    no_exception(at)
    assert slide_title(at) == "CPAS de Binche — suivi du PST"
    assert figures(at)["Taux moyen"] == "58,9\u00a0%"
    assert figures(at)["Actions"] == "47"
    assert "1 / 19" in slide_text(at)
    # Binche's plan ended in 2024: its slides speak its evaluation legend, not its calendar.
    assert "Couleur : bande d'évaluation du taux moyen" in slide_text(at)
    next(b for b in at.button if b.label == "Suivant ▶").click()
    at.run()
    os_ = plan_files["binche"]["strategic_objectives"][0]
    rates = [a["progress"] for oo in os_["operational_objectives"] for a in oo["actions"]]
    assert slide_title(at) == f"OS {os_['code']} · {os_['title']}"
    assert figures(at)["Taux moyen"] == fmt_percent(sum(rates) / len(rates))
    assert figures(at)["Priorité « Très haute »"] == "1"
    assert "Priorité « Très haute » : 1.1.1.1.1" in slide_text(at)
    # The last slides by URL: the trajectory and its forecast, the health of the open actions;
    # before them the late projects, continued from the slides before.
    at.query_params["slide"] = "99"
    at.run()
    assert slide_title(at) == "Trajectoire et projection (suite)"
    back_to(at, "Santé des actions en cours")
    assert "Aucune action en cours n'est déclarée en difficulté, à surveiller ou en pause." in slide_text(at)
    assert "Non renseignée 47 · 0 action non mise à jour depuis 60 jours ou plus" in slide_text(at)
    previous(at)
    assert slide_title(at) == "Projets en retard (suite)"
    assert "45 actions dont l'échéance est dépassée, la plus en retard d'abord" in slide_text(at)
    at.query_params["slide"] = "11"
    at.run()
    assert slide_title(at) == "Ce qui a changé depuis le 24/10/2026"  # no Bureau on the calendar: 30 days
    assert "Aucune action n'a changé depuis cette date." in slide_text(at)


def test_presentation_respects_filters(app_db_url):
    at = open_page("pages/7_Présentation.py", app_db_url, plan="charleroi", label="États généraux")
    no_exception(at)
    assert figures(at)["Actions"] == "36"
    assert "labels : États généraux" in slide_text(at)


def test_late_slide_of_a_plan_whose_late_actions_have_no_taux(app_db_url):
    """Saint-Ghislain's late actions have no taux (pd.NA): shown as "—", not a crash."""
    at = open_page("pages/7_Présentation.py", app_db_url, plan="saint-ghislain", slide="99")
    back_to(at, "Projets en retard")
    no_exception(at)
    assert "<td>—</td>" in _slide_html(at)


def test_actions_without_due_dates_are_late_once_the_plan_s_period_is_over(app_db_url):
    at = open_page("pages/7_Présentation.py", app_db_url, plan="charleroi", slide="99")
    back_to(at, "Projets en retard")
    no_exception(at)
    assert "fin du plan (31/12/2024)" in slide_text(at)  # Charleroi's fiches give no échéance


def test_a_plan_without_due_dates_or_period_says_so_instead_of_no_late_project():
    actions = _actions(2, 1, "Sans date").assign(end_date=None, due_date=None, is_late=False,
                                                  expected_progress=None, schedule=schedule.NO_DATES)
    late = next(s for s in build_deck(PLAN, actions, NO_CHANGES, TODAY, TODAY, "tous") if s.kind == "late")
    assert late.rows is None
    assert late.empty == "Aucune action n'a d'échéance, et le plan n'a pas de période : le retard ne peut pas être calculé."


def test_projector_mode_shows_the_slide_alone_with_a_way_back(app_db_url):
    at = open_page("pages/7_Présentation.py", app_db_url, plan="binche", slide="3", projecteur="1")
    no_exception(at)
    body = _slide_html(at)
    assert "[data-testid='stSidebar']" in body and "display: none" in body  # the framework's chrome hidden
    assert re.search(r"<a class='pst-counter' href='\?plan=binche&amp;slide=3' title='Quitter le mode projecteur'>"
                     r"3 / 19</a>", body)
    normal = open_page("pages/7_Présentation.py", app_db_url, plan="binche", slide="3")
    assert "[data-testid='stSidebar']" not in _slide_html(normal)
    assert any(b.label == "Mode projecteur" for b in normal.get("link_button"))


# -- the deck as data (no page) -------------------------------------------------------------

def _actions(n_os: int, oo_per_os: int, title: str, late: int = 0) -> pd.DataFrame:
    rows = []
    for o in range(1, n_os + 1):
        for k in range(1, oo_per_os + 1):
            rows.append({"os_code": str(o), "os_title": f"OS {title}", "oo_code": f"{o}.{k}",
                         "oo_title": f"OO {title}", "code": f"{o}.{k}.1", "title": f"Action {title}",
                         "progress": 50.0, "weight": 1.0, "is_top_priority": False,
                         "is_late": len(rows) < late, "end_date": dt.date(2024, 12, 31), "project_lead": "<b>X</b>",
                         "status": "En cours", "health": "En difficulté", "health_reason": f"Raison {title}",
                         "is_stale": False, "end_text": None, "expected_progress": 50.0, "schedule_gap": 0.0,
                         "due_date": dt.date(2024, 12, 31),
                         "schedule": schedule.OVERDUE if len(rows) < late else schedule.ON_TIME})
    return pd.DataFrame(rows)


PLAN = {"organisation": "CPAS <script>alert(1)</script>", "title": "PST", "evaluation_bands": None,
        "priority_scale": ["Haute"], "stale_after_days": 60}
NO_CHANGES = pd.DataFrame(columns=["changed_at", "changed_by", "action_code", "field", "old_value", "new_value",
                                   "comment", "kind", "entity"])


def test_long_lists_continue_on_further_slides_evenly_and_nothing_is_cut():
    long_title = "mot " * 60  # 240 characters: wraps on four lines beside its bar
    deck = build_deck(PLAN, _actions(30, 3, long_title, late=50), NO_CHANGES, TODAY, TODAY, "tous")
    overview = [s for s in deck if s.kind in ("title", "overview")]
    assert len(overview) > 2 and [s.part for s in overview] == [(n, len(overview)) for n in range(1, len(overview) + 1)]
    sizes = [len(s.bars) for s in overview]
    assert sum(sizes) == 30 and max(sizes) - min(sizes) <= 2  # evened out, no lonely last OS
    assert all(s.bars["name"].str.len().eq(len("OS " + long_title)).all() for s in overview)  # full names
    late = [s for s in deck if s.kind == "late"]
    assert sum(len(s.rows) for s in late) == 50 and late[1].title == "Projets en retard (suite)"
    for s in late:
        assert sum(wrapped_lines(t, LATE_COLUMNS["Action"][1]) + 0.5 for t in s.rows["Action"]) <= TABLE_BUDGET
    health = [s for s in deck if s.kind == "health"]
    assert sum(len(s.rows) for s in health) == 90 and health[1].title == "Santé des actions en cours (suite)"
    assert health[0].subtitle.startswith("Bon 0 · À surveiller 0 · En difficulté 90 · En pause 0")


def test_a_slide_shows_the_plan_s_text_as_text():
    deck = build_deck(PLAN, _actions(1, 1, "<img src=x onerror=alert(1)>", late=1), NO_CHANGES, TODAY, TODAY,
                      "tous")
    page = "".join(slide_html(s, n, len(deck)) for n, s in enumerate(deck, start=1))
    assert "<script>" not in page and "<img" not in page and "<b>X</b>" not in page
    assert "Raison &lt;img src=x onerror=alert(1)&gt;" in page  # the health slide's reason, as text
    assert "CPAS &lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;X&lt;/b&gt;" in page


def test_a_long_os_title_is_set_smaller_and_leaves_its_eight_oo_on_one_slide(app_db_url, plan_files):
    """Binche's OS 1.1 (a title of 139 characters, eight OO) broke after four OO with half the
    slide empty: its title, counted on three lines at full size, took the room of the bars."""
    from pst_data.slides import title_scale

    assert [title_scale("x" * n) for n in (60, 61, 100, 101)] == [1.0, 0.8, 0.8, 2 / 3]
    at = open_page("pages/7_Présentation.py", app_db_url, plan="binche", slide="2")
    no_exception(at)
    os_ = plan_files["binche"]["strategic_objectives"][0]
    assert len(os_["operational_objectives"]) == 8 and len(f"OS {os_['code']} · {os_['title']}") > 100
    html = _slide_html(at)
    assert "<h1 style='font-size: 1.53cqw'>" in html
    assert all(f"OO {oo['code']}" in slide_text(at) for oo in os_["operational_objectives"])
    at.query_params["slide"] = "3"
    at.run()
    assert slide_title(at).startswith("OS 1.2 ·")
