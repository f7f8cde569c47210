"""Indicateurs: the result indicators of the OO and of the actions, measured over time: label,
unit, starting value, target and its year, dated values, progress towards the target."""

import pandas as pd
import streamlit as st

from pst_data import indicator_store
from pst_data.rules.charts import indicator_line
from pst_data.rules.formatting import plural
from pst_data.rules.indicators import fmt_value, indicator_row
from pst_data.rules.text import md_escape
from pst_data.services import indicators as indicator_writes
from ui import data
from ui.components import chart, show_table
from ui.editing import edit_messages, lead_of, run_write
from ui.frame import filter_summary, page_frame

def owner_name(indicator: dict) -> str:
    return f"Action {indicator['action_code']}" if indicator["action_code"] else f"OO {indicator['oo_code']}"


def typed(indicator: dict | None, key: str) -> str:
    """A stored number as the form shows it (« 1 234,5 »), or empty."""
    return fmt_value(indicator[key]) if indicator and indicator[key] is not None else ""


ctx = page_frame("Indicateurs", icon="📏", live=False)  # forms being typed must not redraw
plan = ctx.plan
st.title("Indicateurs")
st.caption(md_escape(f"{plan['organisation']} · les indicateurs de résultat des objectifs opérationnels et des actions, "
                     f"mesurés dans le temps · {filter_summary(ctx)}"))
edit_messages()

indicators = data.indicators(plan["id"], ctx.revision)
objectives = data.objectives(plan["id"], ctx.revision).dropna(subset=["oo_id"])
shown_oo = set(ctx.actions["oo_code"]) if ctx.filters.active else set(objectives["oo_code"])
shown_actions = set(ctx.actions["id"].astype(int))
visible = [i for i in indicators if (i["action_id"] in shown_actions if i["action_id"] else i["oo_code"] in shown_oo)]

if not visible:
    st.info("Aucun indicateur mesuré " + ("parmi les actions filtrées." if ctx.filters.active else "pour ce plan.")
            + (" Définissez-en un ci-dessous." if ctx.directs else ""))
else:
    table = pd.DataFrame([{"OO": i["oo_code"] or "—", "Action": i["action_code"] or "—", **indicator_row(i)}
                          for i in visible])
    show_table(table, hide_index=True, width="stretch")
    names = {i["id"]: owner_name(i) + " · " + i["label"] for i in visible}
    chosen_id = st.selectbox("Évolution de l'indicateur", list(names), format_func=names.get, key="indicator_chart")
    chosen = next(i for i in visible if i["id"] == chosen_id)
    if chosen["values"]:
        values = pd.DataFrame(chosen["values"])
        chart(indicator_line(values, chosen["label"], chosen["unit"], chosen["target"], chosen["target_year"]),
              key="indicator_line")
        show_table(pd.DataFrame({"Date": values["measured_on"].map(lambda d: d.strftime("%d/%m/%Y")),
                                 "Valeur": [fmt_value(v, chosen["unit"]) for v in values["value"]],
                                 "Note": values["note"], "Saisie par": values["by"]}),
                   hide_index=True, width="stretch")
    else:
        st.caption("Aucune valeur mesurée pour cet indicateur.")

actor = ctx.actor
led = {int(r["id"]) for r in ctx.all_actions.to_dict("records")
       if actor is not None and actor.leads(plan["id"], lead_of(r))}
measurable = [i for i in indicators if ctx.directs or (i["action_id"] in led)]
if measurable:
    st.subheader("Saisir une mesure")
    options = {i["id"]: owner_name(i) + " · " + i["label"] for i in measurable}
    with st.form("measure_form", clear_on_submit=True):
        which = st.selectbox("Indicateur", list(options), format_func=options.get)
        c1, c2 = st.columns(2)
        day = c1.date_input("Date de la mesure", value=ctx.today, format="DD/MM/YYYY", max_value=ctx.today)
        value = c2.text_input("Valeur mesurée", max_chars=30, placeholder="ex. 1 234,5")
        note = st.text_input("Note (facultative)", max_chars=indicator_store.NOTE_MAX)
        if st.form_submit_button("Enregistrer la mesure", type="primary"):
            run_write(lambda: indicator_writes.record_value(data.engine(), actor, which, day, value, note),
                      f"Mesure enregistrée : {options[which]}.")

if ctx.directs:
    st.subheader("Définir un indicateur")
    oo_options = {int(r.oo_id): f"OO {r.oo_code} · {r.oo_title}" for r in objectives.itertuples()}
    action_options = {int(r.id): f"Action {r.code} · {r.title}" for r in ctx.all_actions.itertuples()}
    editable = {None: "➕ Nouvel indicateur", **{i["id"]: owner_name(i) + " · " + i["label"] for i in indicators}}
    target = st.selectbox("Indicateur", list(editable), format_func=editable.get, key="indicator_edit")
    current = next((i for i in indicators if i["id"] == target), None)
    owner = kind = None
    if current is None:  # outside the form: the list below follows the choice at once
        kind = st.radio("Il mesure", ["oo", "action"], horizontal=True, key="indicator_owner_kind",
                        format_func={"oo": "un objectif opérationnel", "action": "une action"}.get)
        choices = oo_options if kind == "oo" else action_options
        owner = st.selectbox("Objectif opérationnel" if kind == "oo" else "Action", list(choices),
                             format_func=choices.get, key=f"indicator_owner_{kind}")
    with st.form("indicator_form"):
        label = st.text_input("Indicateur", value=current["label"] if current else "", max_chars=500,
                              placeholder="ex. Nombre de bénéficiaires du service de médiation de dettes")
        c1, c2, c3 = st.columns(3)
        unit = c1.text_input("Unité", value=(current or {}).get("unit") or "", max_chars=40, placeholder="ex. personnes, %, €")
        baseline = c2.text_input("Valeur de départ", value=typed(current, "baseline"), max_chars=30)
        baseline_year = c3.text_input("Année de départ", value=str((current or {}).get("baseline_year") or ""), max_chars=4)
        c4, c5 = st.columns(2)
        goal = c4.text_input("Cible", value=typed(current, "target"), max_chars=30)
        goal_year = c5.text_input("Année de la cible", value=str((current or {}).get("target_year") or ""), max_chars=4)
        if st.form_submit_button("Enregistrer l'indicateur", type="primary"):
            values = {"label": label, "unit": unit, "baseline": baseline, "baseline_year": baseline_year,
                      "target": goal, "target_year": goal_year}
            if current is None:
                run_write(lambda: indicator_writes.save_indicator(
                    data.engine(), actor, values, oo_id=owner if kind == "oo" else None,
                    action_id=owner if kind == "action" else None), f"Indicateur « {label.strip()} » défini.")
            else:
                run_write(lambda: indicator_writes.save_indicator(
                    data.engine(), actor, values, indicator_id=current["id"], expected_version=current["version"]),
                    f"Indicateur « {label.strip()} » enregistré.")
    if current is not None:
        with st.popover("Supprimer cet indicateur"):
            measures = len(current["values"])
            st.warning(md_escape(f"Supprimer « {current['label']} »"
                                 + ("" if not measures else " et sa mesure" if measures == 1
                                    else f" et ses {plural(measures, 'mesure')}")
                                 + " ? Le journal garde la trace de la suppression."))
            if st.button("Oui, supprimer", type="primary", key="indicator_delete"):
                run_write(lambda: indicator_writes.delete_indicator(data.engine(), actor, current["id"]),
                          f"Indicateur « {current['label']} » supprimé.")

# What the documents say, as text: the starting point for defining measured indicators.
documented = objectives[objectives["oo_indicators"].map(lambda v: bool(v))] if "oo_indicators" in objectives else objectives
if not documented.empty:
    with st.expander(f"Indicateurs cités par le document ({len(documented)} OO)"):
        st.caption("Le texte du plan adopté ; définissez-les ci-dessus (unité, départ, cible) pour les mesurer.")
        show_table(pd.DataFrame([{"OO": r.oo_code, "Indicateur (document)": text}
                                 for r in documented.itertuples() for text in r.oo_indicators]),
                   hide_index=True, width="stretch")
