"""Priorités: the plan's top-priority projects and how far they are against the rest."""

import streamlit as st

from pst_data.rules import charts, schedule
from pst_data.rules.formatting import fmt_number, fmt_percent
from pst_data.rules.progress import schedule_of, summarise
from pst_data.rules.text import md_escape
from pst_data.aggregates import REST, TOP, action_rows, priority_vs_rest, schedule_line
from ui.components import chart, show_table
from ui.editing import edit_messages, editor_box, may_edit_action, quick_edit
from ui.frame import filter_summary, page_frame

ctx = page_frame("Priorités", icon="⭐", live=st.session_state.get("priority_quick") is None)
plan, actions = ctx.plan, ctx.actions
bands = plan["evaluation_bands"]
top = ctx.top_priority

st.title("Priorités")
st.caption(f"{md_escape(plan['organisation'])} · {filter_summary(ctx, md_escape)}")

if top is None:
    st.info("Ce plan n'a pas d'échelle de priorité : le document source ne hiérarchise pas ses "
            "actions. Une priorité peut être donnée à chaque action depuis sa fiche.")
    st.stop()

scale = " > ".join(md_escape(level) for level in plan["priority_scale"])
st.markdown(f"Priorité 1 de ce plan : **{md_escape(top)}** (échelle : {scale}).")
priority = actions[actions["is_top_priority"]]
others = actions[~actions["is_top_priority"]]
s_top = summarise(priority["progress"].tolist(), priority["weight"].tolist(), bands)
s_rest = summarise(others["progress"].tolist(), others["weight"].tolist(), bands)

cols = st.columns(5)
cols[0].metric(f"Actions « {md_escape(top)} »", fmt_number(s_top.actions, 0))
cols[1].metric("Taux moyen priorité 1", fmt_percent(s_top.mean_progress))
cols[2].metric("Taux moyen des autres", fmt_percent(s_rest.mean_progress))
cols[3].metric("Priorité 1 en retard", fmt_number(int(priority["is_late"].sum()), 0),
               help="Échéance dépassée, taux sous 100 %, ni finalisée ni abandonnée.")
cols[4].metric("Priorité 1 qui dérivent", fmt_number(int(priority["schedule"].isin(schedule.DRIFTING).sum()), 0),
               help="En retard sur leur calendrier, échéance pas encore dépassée.")
st.caption(md_escape(f"Calendrier de la priorité 1 : {schedule_line(schedule_of(priority, schedule.Thresholds.of(plan)))}."))

if priority.empty:
    st.info("Aucune action de priorité 1 ne correspond aux filtres choisis.")
else:
    st.subheader(f"Les projets « {md_escape(top)} »")
    show_table(action_rows(priority), hide_index=True, width="stretch",
                 column_config={"Taux": st.column_config.ProgressColumn(
                     "Taux", min_value=0, max_value=100, format="%.0f %%")})

    st.subheader("Mise à jour rapide")
    edit_messages()
    editable = priority[[may_edit_action(plan["id"], r) for r in priority.to_dict("records")]] \
        if editor_box(plan["id"]) else priority.iloc[0:0]
    if editable.empty:
        st.caption("Aucun de ces projets ne peut être mis à jour avec votre compte.")
    else:
        options = {int(r.id): f"{r.code} — {r.title}" for r in editable.itertuples()}
        chosen = st.selectbox("Projet prioritaire", list(options), format_func=options.get, index=None,
                              key="priority_quick", placeholder="Choisissez un projet (tapez son code)…")
        if chosen is not None:
            quick_edit(editable[editable["id"] == chosen].iloc[0].to_dict(), key="priorites")

    st.subheader("Priorité 1 et autres actions, par objectif stratégique")
    table = priority_vs_rest(actions, bands)
    if table["assessed"].sum() == 0:
        st.info("Aucune de ces actions n'a encore de taux d'avancement.")
    else:
        chart(charts.grouped_progress(table, "os_code", "os_title", "group", [TOP, REST]), key="prio_vs_rest")
