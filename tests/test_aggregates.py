"""How history rows read in the journal (pure functions of the rows)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pst_data.aggregates import change_summary, changes_table

AT = dt.datetime(2026, 11, 23, 9, 0)


def rows(*items) -> pd.DataFrame:
    return pd.DataFrame([{"changed_at": AT, "changed_by": "Alice", "comment": None, "old_value": None,
                          "new_value": None, "entity": "action", **item} for item in items])


def test_elements_and_values_read_as_words():
    table = changes_table(rows(
        {"kind": "update", "action_code": "1.1.3", "field": "progress", "old_value": "40", "new_value": "55"},
        {"kind": "update", "action_code": "7", "entity": "os", "field": "title", "old_value": "A", "new_value": "B"},
        {"kind": "update", "action_code": "7.1", "entity": "oo", "field": "position", "old_value": "2", "new_value": "0"},
        {"kind": "update", "action_code": "1.1.3", "field": "labels", "old_value": '["PPI", "PGP"]', "new_value": "[]"},
        {"kind": "update", "action_code": "label", "entity": "label", "field": "label_name",
         "old_value": "Climat", "new_value": "Plan climat"},
    ))
    assert table["Élément"].tolist() == ["1.1.3", "OS 7", "OO 7.1", "1.1.3", "Label"]
    assert table["Modification"].tolist() == ["40\u00a0% → 55\u00a0%", "A → B", "3ᵉ → 1ᵉ", "− PPI, − PGP",
                                              "Climat → Plan climat"]
    assert table["Champ"].tolist() == ["Taux d'avancement", "Intitulé", "Ordre", "Labels", "Nom du label"]


def test_list_changes_say_what_was_added_and_removed_and_elements_carry_their_title():
    table = changes_table(rows(
        {"kind": "update", "action_code": "1.1.3", "field": "labels", "old_value": "[]", "new_value": '["PGP"]'},
        {"kind": "update", "action_code": "1.1.3", "field": "labels", "old_value": None, "new_value": '["PGP", "PPI"]'},
        {"kind": "update", "action_code": "1.1.3", "field": "services",
         "old_value": '["Social", "RH"]', "new_value": '["RH", "Énergie"]'},
        {"kind": "update", "action_code": "1.1.3", "field": "partners", "old_value": '["A", "B"]', "new_value": '["B", "A"]'},
        {"kind": "update", "action_code": "1.1.3", "field": "progress", "old_value": None, "new_value": "20"},
        {"kind": "delete", "action_code": "1.2", "entity": "oo", "field": "objective", "old_value": "Logement"},
        {"kind": "create", "action_code": "9", "entity": "os", "field": "objective", "new_value": "Climat"},
        {"kind": "update", "action_code": "1.1.3", "field": "title", "old_value": "[brouillon] x", "new_value": "x"},
    ), titles={("action", "1.1.3"): "Créer un guichet social", ("os", "9"): "Climat"})
    assert table["Modification"].tolist() == [
        "+ PGP", "+ PGP, + PPI", "+ Énergie, − Social", "nouvel ordre : B, A", "— → 20\u00a0%",
        "suppression", "création", "[brouillon] x → x"]
    assert table["Élément"].tolist()[:1] == ["1.1.3 · Créer un guichet social"]
    assert table["Élément"].tolist()[5:7] == ["OO 1.2", "OS 9 · Climat"]


def test_a_change_is_named_by_what_it_did():
    deleted_os = rows({"kind": "delete", "action_code": "1.2.5", "field": "action"},
                      {"kind": "delete", "action_code": "1", "entity": "os", "field": "objective"})
    assert change_summary(deleted_os) == "suppression de OS 1 et de ses actions"
    assert change_summary(rows({"kind": "delete", "action_code": "1.2.5", "field": "action"})) == \
        "suppression de l'action 1.2.5"
    assert change_summary(rows({"kind": "create", "action_code": "7.1", "entity": "oo", "field": "objective"})) == \
        "création de OO 7.1"
    assert change_summary(rows({"kind": "update", "action_code": "1.1.3", "field": "progress"},
                               {"kind": "update", "action_code": "1.1.3", "field": "status"})) == \
        "action 1.1.3 : Taux d'avancement, Statut"
    assert change_summary(rows({"kind": "update", "action_code": "2", "entity": "os", "field": "position"},
                               {"kind": "update", "action_code": "1", "entity": "os", "field": "position"})) == \
        "ordre des OS"


def _frame(progress, status=None, late=None, end=None, schedule=None):
    n = len(progress)
    end = end or [dt.date(2024, 12, 31)] * n
    return pd.DataFrame({"progress": progress, "weight": [1.0] * n, "status": status or ["En cours"] * n,
                         "is_late": late or [False] * n, "end_date": end, "due_date": end,
                         "expected_progress": [None if e is None else 50.0 for e in end],
                         "schedule": schedule or ["Dans les temps"] * n})


def test_key_figures_say_what_they_cannot_compute_instead_of_zero():
    from pst_data.aggregates import key_figures

    figures = {f.label: f for f in key_figures(_frame([None, None], end=[None, None]), None)}
    assert figures["Taux d'avancement moyen"].value == "—"
    assert "le document source n'en donne pas" in figures["Taux d'avancement moyen"].help
    assert figures["En retard"].value == "—" and "Aucune action n'a d'échéance" in figures["En retard"].help
    assert figures["Qui dérivent"].value == "—" and "le calendrier ne peut rien attendre" in figures["Qui dérivent"].help
    assert figures["Sans taux"].value == "2"
    assert "bande « Réalisé »" in figures["Finalisées (statut)"].help  # a status is not a band


def test_key_figures_show_the_trend_since_the_last_bureau():
    from pst_data.aggregates import key_figures

    then = _frame([40.0, 50.0], late=[True, False], schedule=["Échéance dépassée", "Dans les temps"])
    now = _frame([45.0, 50.0, 70.0], status=["Finalisé", "En cours", "En cours"], late=[False, False, False],
                 schedule=["Terminé", "Très en retard", "En retard sur le calendrier"])
    figures = {f.label: f for f in key_figures(now, None, then, "depuis « Bureau de novembre »")}
    assert figures["Taux d'avancement moyen"].value == "55\u00a0%"
    assert figures["Taux d'avancement moyen"].delta == "+10 pts depuis « Bureau de novembre »"
    assert figures["Actions"].delta == "+1 action depuis « Bureau de novembre »"
    assert figures["Finalisées (statut)"].delta == "+1 action depuis « Bureau de novembre »"
    late = figures["En retard"]
    assert late.delta == "-1 action depuis « Bureau de novembre »" and late.delta_color == "inverse"
    assert figures["Sans taux"].delta == "inchangé depuis « Bureau de novembre »"
    drifting = figures["Qui dérivent"]
    assert (drifting.value, drifting.delta, drifting.delta_color) == ("2", "+2 actions depuis « Bureau de novembre »",
                                                                      "inverse")
    assert figures["Sans taux"].delta_arrow == "off" and late.delta_arrow == "auto"
    assert all(f.delta is None for f in key_figures(now, None))  # no past: no trend


def test_one_rounding_rule_halves_away_from_zero_means_with_one_decimal():
    from pst_data.rules.formatting import fmt_percent

    assert fmt_percent(58.25) == "58,3\u00a0%" and fmt_percent(58.35) == "58,4\u00a0%"  # not to the even neighbour
    assert fmt_percent(58.94) == "58,9\u00a0%" and fmt_percent(59.0) == "59\u00a0%"
    assert fmt_percent(62.5, 0) == "63\u00a0%" and fmt_percent(0.05) == "0,1\u00a0%"


def test_a_chart_has_a_text_alternative_naming_each_bar():
    from pst_data.rules.charts import progress_bars, text_alternative

    rows = pd.DataFrame({"os_code": ["1", "2"], "os_title": ["Logement <b>digne</b>", "Emploi"],
                         "mean_progress": [54.66, None], "actions": [3, 2], "unassessed": [0, 2]})
    alt = text_alternative(progress_bars(rows, "os_code", "os_title", title="Taux moyen par OS").to_dict())
    assert alt == "Taux moyen par OS. 1 · Logement <b>digne</b> : 54,7\u00a0% ; 2 · Emploi : aucun taux"


def test_band_and_status_colours_read_on_white():
    from pst_data.rules.charts import BAND_COLOURS, NO_BAND_COLOUR, STATUS_COLOURS
    from pst_data.rules.text import contrast_ratio, text_colour_on

    for colour in [*BAND_COLOURS, NO_BAND_COLOUR, *STATUS_COLOURS.values()]:
        assert contrast_ratio(colour, "#ffffff") >= 3, colour  # WCAG 1.4.11, graphics
    for label_colour in ["#ff7f0e", "#2ca02c", "#1f77b4", "#ffff00", "#000000"]:  # a user's label colours
        assert contrast_ratio(text_colour_on(label_colour), label_colour) >= 4.5, label_colour


def test_a_label_against_the_rest_of_the_plan():
    from pst_data.aggregates import label_vs_rest

    actions = pd.DataFrame({"os_code": ["1", "1", "2"], "os_title": ["A", "A", "B"],
                            "labels": [["États généraux"], [], ["PPI", "États généraux"]],
                            "progress": [40.0, 80.0, None], "weight": [1.0] * 3, "is_late": [True, False, False]})
    table, per_os, groups = label_vs_rest(actions, "États généraux", None)
    assert groups == ["« États généraux »", "Les autres actions"]
    assert table.values.tolist() == [["« États généraux »", 2, "40\u00a0%", 1, 1],
                                     ["Les autres actions", 1, "80\u00a0%", 0, 0]]
    assert set(per_os["group"]) == set(groups)


def test_budgets_and_staff_add_up_per_os_and_say_how_many_fiches_give_none():
    from pst_data.aggregates import resource_totals

    actions = pd.DataFrame({"os_code": ["1", "1", "2"], "os_title": ["A", "A", "B"],
                            "budget": [1000.5, float("nan"), 250000.0], "staff_fte": [0.5, 1.25, float("nan")]})
    table = resource_totals(actions)
    assert table["OS"].tolist() == ["1", "2", "Total"]
    assert table["Budget (€)"].tolist() == ["1\u202f000,5\u00a0€", "250\u202f000\u00a0€", "251\u202f000,5\u00a0€"]
    assert table["Sans budget"].tolist() == ["1 / 2", "0 / 1", "1 / 3"]
    assert table["ETP"].tolist() == ["1,75", "—", "1,75"] and table["Sans ETP"].tolist() == ["0 / 2", "1 / 1", "1 / 3"]


def test_resources_add_up_per_oo_too():
    from pst_data.aggregates import resource_sentence, resource_totals

    actions = pd.DataFrame({"oo_code": ["1.1", "1.2", "1.2"], "oo_title": ["A", "B", "B"],
                            "budget": [100.0, float("nan"), 50.0], "staff_fte": [float("nan")] * 3})
    table = resource_totals(actions, "oo")
    assert table[["OO", "Objectif opérationnel", "Sans budget"]].values.tolist() == [
        ["1.1", "A", "0 / 1"], ["1.2", "B", "1 / 2"], ["Total", "Toutes les actions affichées", "1 / 3"]]
    assert resource_sentence(actions) == ("Budget des fiches : 150\u00a0€ (1 action sur 3 sans budget) · "
                                          "aucune fiche ne chiffre d'ETP.")


def test_the_objectives_tree_has_every_os_oo_and_action_and_a_filtered_one_only_what_it_touches(seeded_engine):
    from sqlalchemy.orm import Session

    from pst_data import queries, services
    from pst_data.rules.filters import Filters, apply_filters
    from pst_data.aggregates import objective_tree
    from tests.people import ANAIS
    from tests.test_services import action

    first = action(seeded_engine, "charleroi", "1.1.1")
    services.update_action(seeded_engine, first.id, first.version, {"progress": 40}, ANAIS)
    with Session(seeded_engine) as session:
        plan = next(p for p in queries.list_plans(session) if p["slug"] == "charleroi")
        objectives = queries.objectives_frame(session, plan["id"])
        actions = queries.actions_frame(session, plan, dt.date(2026, 11, 23))
    bands = plan["evaluation_bands"]

    tree = objective_tree(objectives, actions, [], bands, filtered=False)
    assert [b.os_code for b in tree] == list(dict.fromkeys(objectives["os_code"]))
    assert sorted(i for b in tree for i in b.action_ids) == sorted(actions["id"])
    assert sum(len(b.oo_rows) for b in tree) == objectives["oo_code"].dropna().nunique()
    block = next(b for b in tree if first.id in b.action_ids)
    assert block.line == "40\u00a0% · 14 actions (dont 13 sans taux)" and block.mean_progress == 40
    assert list(block.actions.columns[:3]) == ["OO", "Code", "Action"]
    assert next(r for r in block.oo_rows if r["OO"] == "1.1")["Taux moyen"] == "40\u00a0%"

    only_first = actions[actions["id"] == first.id]
    filtered = objective_tree(objectives, only_first, [], bands, filtered=True)
    assert [b.action_ids for b in filtered] == [[first.id]]
    assert [r["OO"] for r in filtered[0].oo_rows] == ["1.1"]


def test_typed_codes_are_taken_exactly_once_each_in_the_order_typed():
    from pst_data.rules.filters import typed_codes

    known = ["3.1.1", "3.1.4", "3.1.10", "3.1.2"]
    assert typed_codes("3.1.1, 3.1.2;3.1.1  3.1. 9.9", known) == (["3.1.1", "3.1.2"], ["3.1", "9.9"])
    assert typed_codes("", known) == ([], [])
    assert typed_codes("3.1.10", known) == (["3.1.10"], [])


def test_values_a_plan_lacks_are_dropped_and_named_in_the_singular_or_the_plural():
    from pst_data.rules.filters import Filters, restrict_to_plan

    options = {"services": ["Social"], "leads": ["Anne"], "os_codes": ["1", "2"]}
    parsed = restrict_to_plan(Filters(services=("Social", "Logement"), leads=("Bob", "Zoé"), os_codes=("1",)),
                              options, ["1", "2"])
    assert parsed.problems == ["Service absent de ce plan, ignoré : Logement.",
                               "Chefs de projet absents de ce plan, ignorés : Bob, Zoé."]
    assert (parsed.filters.services, parsed.filters.leads, parsed.filters.os_codes) == (("Social",), (), ("1",))


def test_an_import_is_not_shown_as_a_person_called_import():
    from pst_data.importer import IMPORT_OPERATOR

    table = changes_table(rows(
        {"kind": "import", "action_code": "1.1.3", "field": "progress", "new_value": "20", "changed_by": "import"},
        {"kind": "import", "action_code": "1.1.4", "field": "progress", "new_value": "20",
         "changed_by": IMPORT_OPERATOR.name}))
    assert table["Qui"].tolist() == ["Import d'un fichier", "Import d'un fichier"]
