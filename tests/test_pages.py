"""Pages driven with Streamlit's AppTest; expected figures are computed here from the plan files."""

from __future__ import annotations

import pytest

from db.engine import make_engine
from pst_data.exchange.plan_file import iter_actions
from pst_data.rules.formatting import fmt_euro, fmt_percent
from tests.pages_support import metrics, no_exception, open_page, plotly_specs

SLUGS = ["charleroi", "binche", "bernissart", "saint-ghislain", "ecaussinnes"]


@pytest.fixture
def db_url(app_db_url):
    return app_db_url


def expected(plan_files, slug, keep=lambda os_, oo, a: True):
    actions = [(os_, oo, a) for os_, oo, a in iter_actions(plan_files[slug]) if keep(os_, oo, a)]
    rated = [a["progress"] for _, _, a in actions if a["progress"] is not None]
    mean = sum(rated) / len(rated) if rated else None
    return len(actions), mean, len(actions) - len(rated)


@pytest.mark.parametrize("slug", SLUGS)
def test_overview_figures_equal_the_plan_files(db_url, plan_files, slug):
    at = open_page("dashboard.py", db_url, plan=slug)
    no_exception(at)
    count, mean, unrated = expected(plan_files, slug)
    shown = metrics(at)
    assert shown["Actions"] == str(count)
    assert shown["Taux d'avancement moyen"] == fmt_percent(mean)
    assert shown["Sans taux"] == str(unrated)
    assert at.title[0].value.startswith(plan_files[slug]["organisation"])


def test_binche_overview_charts_and_stated_figures(db_url, plan_files):
    at = open_page("dashboard.py", db_url, plan="binche")
    assert metrics(at)["Taux d'avancement moyen"] == "58,9\u00a0%"
    bars = plotly_specs(at)[0]["data"][0]
    plan = plan_files["binche"]
    for os_ in plan["strategic_objectives"]:
        rates = [a["progress"] for oo in os_["operational_objectives"] for a in oo["actions"]]
        label = next(y for y in bars["y"] if y.startswith(f"{os_['code']} · "))
        value = bars["x"][bars["y"].index(label)]
        assert value == pytest.approx(sum(rates) / len(rates))
        assert bars["text"][bars["y"].index(label)] == fmt_percent(sum(rates) / len(rates))
    stated = at.dataframe[-1].value if len(at.dataframe) else None
    table = next(df.value for df in at.dataframe if "Concordance" in df.value.columns)
    rows = dict(zip(table["Indicateur"], table["Concordance"], strict=True))
    assert rows["Actions « Réalisé »"] == "oui"
    assert rows["Actions « À réorienter »"] == "écart"
    assert rows["Taux de réussite annoncé"] == "oui"  # 59 % is the fiches' mean (58,9 %)
    assert stated is not None


def test_url_filters_give_exactly_that_view(db_url, plan_files):
    at = open_page("dashboard.py", db_url, plan="charleroi", priority="1", label="États généraux")
    no_exception(at)
    count, _, _ = expected(plan_files, "charleroi",
                           lambda os_, oo, a: a["priority"] == "Niveau 1" and "États généraux" in a["labels"])
    assert metrics(at)["Actions"] == str(count)
    assert at.sidebar.toggle[0].value is True
    assert at.sidebar.multiselect[0].value == ["États généraux"]
    assert "priorité Niveau 1" in at.caption[0].value


def test_unknown_plan_and_label_in_url_say_so_in_french(db_url):
    at = open_page("dashboard.py", db_url, plan="mons", label="PCS")
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "Le plan « mons » n'existe pas" in warnings
    assert "Label inconnu ignoré : PCS" in warnings
    assert metrics(at)["Actions"] == "97"  # falls back to the first plan


def test_filter_matching_nothing_reads_well(db_url):
    at = open_page("dashboard.py", db_url, plan="binche", q="zzzz introuvable")
    no_exception(at)
    assert metrics(at)["Actions"] == "0"
    assert any("Aucune action ne correspond aux filtres" in i.value for i in at.info)


def test_sidebar_changes_and_filters_survive_a_page_switch(db_url):
    at = open_page("dashboard.py", db_url)
    assert metrics(at)["Actions"] == "97"
    at.sidebar.selectbox[0].select("binche").run()
    assert metrics(at)["Actions"] == "47"
    at.sidebar.toggle[1].set_value(True).run()  # late only
    late = metrics(at)["Actions"]
    at.switch_page("pages/2_Priorités.py").run()
    no_exception(at)
    assert at.sidebar.selectbox[0].value == "binche"
    assert at.sidebar.toggle[1].value is True
    assert "en retard" in at.caption[0].value
    assert late == "45"  # 40 past their échéance, 5 without one past the plan's end (2024)


def test_objectifs_tree_shows_empty_objectives(db_url):
    at = open_page("pages/1_Objectifs.py", db_url, plan="ecaussinnes")
    no_exception(at)
    labels = [e.label for e in at.expander]
    assert labels[0].startswith("**OS 1** · Être une commune qui équilibre")
    assert "aucun taux · 11 actions" in labels[0]
    oo_tables = [df.value for df in at.dataframe if "Objectif opérationnel" in df.value.columns]
    os2 = next(t for t in oo_tables if "2.4" in t["OO"].tolist())
    assert os2.set_index("OO").loc["2.4", "Actions"] == 0
    assert os2.set_index("OO").loc["2.5", "Actions"] == 0


def test_objectifs_opens_a_fiche_from_the_url(db_url):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.models import Action

    engine = make_engine(db_url)
    with Session(engine) as s:
        action_id = s.scalar(select(Action.id).where(Action.code == "1.1.1.1.1"))
    engine.dispose()
    at = open_page("pages/1_Objectifs.py", db_url, plan="binche", action=str(action_id))
    no_exception(at)
    shown = metrics(at)
    assert shown["Taux d'avancement"] == "80\u00a0%"
    assert shown["Échéance"] == "31/12/2024"
    assert shown["Priorité"] == "Très haute"
    assert any(m.value.startswith("### 1.1.1.1.1 — Réalisation d'un marché public") for m in at.markdown)


def test_priorites_page(db_url, plan_files):
    at = open_page("pages/2_Priorités.py", db_url, plan="charleroi")
    no_exception(at)
    assert metrics(at)["Actions « Niveau 1 »"] == "42"
    table = at.dataframe[0].value
    assert len(table) == 42 and table["Code"].iloc[0] == "1.1.1"
    no_scale = open_page("pages/2_Priorités.py", db_url, plan="ecaussinnes")
    assert any("n'a pas d'échelle de priorité" in i.value for i in no_scale.info)


def test_labels_page(db_url):
    at = open_page("pages/3_Labels.py", db_url, plan="charleroi")
    no_exception(at)
    table = at.dataframe[0].value.set_index("Label")
    assert table.loc["États généraux", "Actions"] == 36
    assert table.loc["PPI", "Actions"] == 0
    assert table.loc["Sans label", "Actions"] == 97 - 36
    assert any("Aucune action ne porte encore : PGP, PPI" in c.value for c in at.caption)


def test_comparaison_page(db_url, plan_files):
    at = open_page("pages/4_Comparaison.py", db_url)
    no_exception(at)
    table = at.dataframe[0].value.set_index("Plan")
    assert len(table) == 5
    assert table.loc["CPAS de Binche", "Taux moyen"] == fmt_percent(2770 / 47) == "58,9\u00a0%"
    assert table.loc["CPAS de Charleroi", "Actions"] == 97
    assert table.loc["CPAS de Charleroi", "Avec taux"] == 0


def test_a_new_label_is_created_from_the_labels_page(app_db_url):
    from tests.test_edit_pages import sign_in

    at = sign_in(open_page("pages/3_Labels.py", app_db_url, plan="charleroi"), "Alice")  # labels: admin
    next(t for t in at.text_input if t.label == "Nom").input("Plan de cohésion sociale")
    next(c for c in at.color_picker if c.label == "Couleur").pick("#aa3366")
    next(b for b in at.button if b.label == "Enregistrer le label").click()
    at.run()
    no_exception(at)
    assert any("Label « Plan de cohésion sociale » enregistré" in s.value for s in at.success)
    assert any("Plan de cohésion sociale" in m.value and "#aa3366" in m.value for m in at.markdown)
    shown = at.dataframe[0].value
    assert "Plan de cohésion sociale" in shown["Label"].tolist()


def test_the_home_page_of_a_plan_without_taux_or_dates_says_so(db_url, plan_files):
    at = open_page("dashboard.py", db_url, plan="charleroi")
    no_exception(at)
    shown = metrics(at)
    assert shown["Taux d'avancement moyen"] == "—"  # not « 0 »
    # No échéance in the document, but its period (2019-2024) is over and nothing is finished.
    assert shown["En retard"] == "97"
    assert shown["Sans taux"] == "97"
    # The transcription notes live, folded, in « Source du plan », not open on the home page.
    source = next(e for e in at.expander if e.label.startswith("Source du plan"))
    assert source.proto.expanded is False
    notes = plan_files["charleroi"]["notes"]
    assert notes and any(notes[0][:40] in m.value.replace("\\", "") for m in source.markdown)


def test_labels_page_compares_etats_generaux_with_the_rest(db_url):
    at = open_page("pages/3_Labels.py", db_url, plan="charleroi")
    no_exception(at)
    versus = next(df.value for df in at.dataframe if "Nombre" in df.value.columns)
    assert versus["Actions"].tolist() == ["« États généraux »", "Les autres actions"]
    assert versus["Nombre"].sum() == 97 and versus["Nombre"].iloc[0] == 36


def test_the_overview_sums_budgets_and_staff_of_the_fiches(db_url, plan_files):
    at = open_page("dashboard.py", db_url, plan="binche")
    no_exception(at)
    table = next(df.value for df in at.dataframe if "Sans budget" in df.value.columns)
    actions = [a for os_ in plan_files["binche"]["strategic_objectives"] for oo in os_["operational_objectives"]
               for a in oo["actions"]]
    budgets = [a["budget"] for a in actions if a.get("budget") is not None]
    total = table.iloc[-1]
    assert total["OS"] == "Total" and total["Sans budget"] == f"{len(actions) - len(budgets)} / {len(actions)}"
    assert total["Budget (€)"] == fmt_euro(sum(budgets))
    charleroi = open_page("dashboard.py", db_url, plan="charleroi")
    assert any(c.value == "Aucune fiche de ces actions ne chiffre de budget ni d'ETP." for c in charleroi.caption)


def test_objectifs_opens_a_fiche_chosen_by_its_code_and_says_so_in_the_url(db_url):
    """The drill-down: on Objectifs, « Ouvrir la fiche de l'action » opens the fiche and writes
    its id in the address (a link to it can be shared)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.models import Action

    engine = make_engine(db_url)
    with Session(engine) as s:
        action_id = s.scalar(select(Action.id).where(Action.code == "1.1.1.1.1"))
    engine.dispose()
    at = open_page("pages/1_Objectifs.py", db_url, plan="binche")
    assert not [m for m in at.metric if m.label == "Échéance"]  # no fiche yet
    at.selectbox(key="fiche_action").select(action_id).run()
    no_exception(at)
    assert metrics(at)["Taux d'avancement"] == "80\u00a0%" and metrics(at)["Échéance"] == "31/12/2024"
    assert any(m.value.startswith("### 1.1.1.1.1 — Réalisation d'un marché public") for m in at.markdown)
    assert at.query_params["action"] == str(action_id)
