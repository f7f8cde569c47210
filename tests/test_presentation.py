"""The Bureau presentation: slides built from the data, walked with Précédent / Suivant."""

from __future__ import annotations

from pst_data.formatting import fmt_percent
from tests.pages_support import metrics, no_exception, open_page


def test_presentation_walks_title_os_changes_and_late_slides(app_db_url, plan_files):
    at = open_page("pages/7_Présentation.py", app_db_url, plan="binche")
    no_exception(at)
    assert at.title[0].value == "CPAS de Binche — suivi du PST"
    assert metrics(at)["Taux moyen"] == "58,9\u00a0%"
    assert metrics(at)["Actions"] == "47"
    next(b for b in at.button if b.label == "Suivant ▶").click()
    at.run()
    os_ = plan_files["binche"]["strategic_objectives"][0]
    rates = [a["progress"] for oo in os_["operational_objectives"] for a in oo["actions"]]
    assert at.title[0].value == f"OS {os_['code']} · {os_['title']}"
    assert metrics(at)["Taux moyen"] == fmt_percent(sum(rates) / len(rates))
    assert metrics(at)["Priorité « Très haute »"] == "1.1.1.1.1"
    # 1 title + 9 OS + changes + late = 12 slides; jump to the last one by URL.
    at.query_params["slide"] = "12"
    at.run()
    assert at.title[0].value == "Projets en retard"
    assert any("40 action(s) dont l'échéance est dépassée" in m.value for m in at.markdown)
    at.query_params["slide"] = "11"
    at.run()
    assert at.title[0].value == "Ce qui a changé depuis le dernier Bureau"
    assert any("Aucune modification depuis cette date" in i.value for i in at.info)


def test_presentation_respects_filters(app_db_url):
    at = open_page("pages/7_Présentation.py", app_db_url, plan="charleroi", label="États généraux")
    no_exception(at)
    assert metrics(at)["Actions"] == "36"
    assert any("labels : États généraux" in m.value for m in at.markdown)


def test_late_slide_of_a_plan_whose_late_actions_have_no_taux(app_db_url):
    """Saint-Ghislain's late actions have no taux (pd.NA): shown as "—", not a crash."""
    at = open_page("pages/7_Présentation.py", app_db_url, plan="saint-ghislain", slide="99")
    no_exception(at)
    assert at.title[0].value == "Projets en retard"
    late = at.dataframe[0].value
    assert len(late) > 0 and "—" in set(late["Taux"])
