"""Vue d'ensemble: what a director opens every morning (the app's home page)."""

import datetime as dt

import pandas as pd
import streamlit as st

from pst_data.consistency import stated_vs_computed
from pst_data.filters import apply_filters
from pst_data.follow_up import reference
from pst_data.formatting import fmt_date
from pst_data.progress import rollup, summarise
from pst_data.text import md_escape
from ui import data
from pst_data.views import changes_in_view, changes_table, element_titles, key_figures
from ui.components import cached_chart, clicked_rows, show_table
from ui.frame import filter_summary, page_frame

ctx = page_frame("Vue d'ensemble", icon="📊")
plan, actions = ctx.plan, ctx.actions
bands = plan["evaluation_bands"]

head, button = st.columns([5, 1], vertical_alignment="bottom")
head.title(f"{md_escape(plan['organisation'])} — Vue d'ensemble")
button.download_button(
    "Excel", data=lambda: data.workbook(plan, ctx.revision, ctx.filters, ctx.today),
    file_name=f"pst-{plan['slug']}-{ctx.today:%Y-%m-%d}.xlsx", icon=":material/download:",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    help="Les actions affichées (filtres compris), tous leurs champs, et les chiffres par OS.")
st.caption(f"{md_escape(plan['title'])} · {md_escape(plan['document'])} · {filter_summary(ctx, md_escape)}")

summary = summarise(actions["progress"].tolist(), actions["weight"].tolist(), bands)
# The trend: the same filters on the plan as it stood at the last Bureau, else at the last
# snapshot, else a month ago (rebuilt from the history).
snapshots = data.snapshots(plan["id"], ctx.revision)
cal = data.bureau_calendar(plan["id"], ctx.revision, ctx.today)
if cal.last_bureau is not None:  # the Bureau calendar sets the rhythm, when there is one
    then_day = cal.last_bureau
    since = since_named = f"depuis le Bureau du {fmt_date(then_day)}"
elif not snapshots.empty:
    last = snapshots.iloc[0]
    then_day = pd.Timestamp(last["as_of"]).date()
    # Metric deltas read Markdown: the snapshot's name (typed by a user) stays in the caption.
    since = f"depuis l'instantané du {fmt_date(then_day)}"
    since_named = f"depuis l'instantané « {last['name']} » du {fmt_date(then_day)}"
else:
    then_day = ctx.today - dt.timedelta(days=30)
    since = "sur 30 jours"
    since_named = f"sur 30 jours (depuis le {fmt_date(then_day)})"
then = apply_filters(data.actions_as_of(plan, ctx.revision, then_day), ctx.filters) if then_day < ctx.today else None
for col, figure in zip(st.columns(5), key_figures(actions, bands, then, since), strict=True):
    col.metric(figure.label, figure.value, figure.delta, delta_color="off" if figure.delta_arrow == "off" else figure.delta_color,
               delta_arrow=figure.delta_arrow, help=figure.help)
st.caption(md_escape(f"Évolution {since_named}." if then is not None else "")
           + " « Finalisées » compte le statut déclaré ; les bandes d'évaluation ("
           + ", ".join(md_escape(b["label"]) for b in bands or []) + ") classent le taux d'avancement.")

if actions.empty:
    st.info("Aucune action ne correspond aux filtres choisis." if ctx.filters.active
            else "Ce plan ne contient encore aucune action.")
else:
    per_os = rollup(actions, ["os_code", "os_title"], bands)
    st.subheader("Avancement par objectif stratégique")
    if summary.assessed == 0:
        st.info(f"Aucune de ces {summary.actions} actions n'a encore de taux d'avancement : "
                "le document source n'en donne pas. Les taux apparaîtront au fil des mises à jour.")
    left, right = st.columns(2)
    with left:
        clicked = clicked_rows(cached_chart("progress_bars", per_os, "os_code", "os_title", key="os_progress",
                                            on_select="rerun"), per_os)
        if not clicked.empty:  # a bar opens its OS in Objectifs, with the same filters
            st.switch_page("pages/1_Objectifs.py", query_params={**ctx.filters.to_query_params(),
                                                                 "os": str(clicked["os_code"].iloc[0])})
        st.caption("Cliquez sur une barre pour ouvrir cet objectif.")
    with right:
        cached_chart("band_split", per_os, "os_code", "os_title", bands, key="os_bands")

    left, right = st.columns(2)
    with left:
        cached_chart("status_split", actions[["status"]], key="status_split")
    with right:
        st.subheader("Bandes d'évaluation")
        band_rows = [
            {"Bande": label, "Seuils": f"{b['min']}–{b['max']} %" if b else "—",
             "Actions": count}
            for label, count in summary.band_counts.items()
            for b in [next((x for x in bands if x["label"] == label), None)]
        ]
        show_table(band_rows, hide_index=True, width="stretch")

if not actions.empty:
    # Who has updated since the last Bureau (or within the plan's threshold): no filter needed.
    ref = reference(cal, ctx.today, plan["stale_after_days"])
    st.subheader("Mises à jour depuis le dernier Bureau" if ref.from_bureau else "Mises à jour récentes")
    follow = data.follow_up(plan, ctx.revision, ctx.filters, ctx.today, ref)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("À jour", f"{follow.fresh} / {follow.followed}", help=f"Actions en cours modifiées {ref.text}.")
    m2.metric("Pas encore", follow.followed - follow.fresh,
              help=f"Prochain Bureau le {fmt_date(cal.next_bureau)}." if cal.next_bureau else None)
    m3.metric(f"Sans mise à jour ≥ {plan['stale_after_days']} j", follow.stale,
              help="Actions en cours dont la dernière modification date de ce nombre de jours ou plus "
                   "(réglage du plan, page « Bureau et relances »).")
    m4.metric("En difficulté", follow.healths["En difficulté"], help="Santé déclarée par les chefs de projet.")
    st.caption(md_escape(f"Actions en cours, {ref.text}"
                         + (f" ; prochain Bureau le {fmt_date(cal.next_bureau)}" if cal.next_bureau else "")
                         + ". Santé : " + ", ".join(f"{h} {n}" for h, n in follow.healths.items()) + "."))
    if not ref.from_bureau:
        st.caption("Ajoutez les dates des Bureaux (page « Bureau et relances ») : « depuis le dernier Bureau » s'en servira.")
    by_lead, by_os = st.tabs(["Par chef de projet", "Par objectif stratégique"])
    with by_lead:
        show_table(follow.by_lead, hide_index=True, width="stretch")
    with by_os:
        show_table(follow.by_os, hide_index=True, width="stretch")
    if not follow.troubled.empty:
        st.markdown("**Actions en difficulté ou à surveiller**")
        show_table(follow.troubled, hide_index=True, width="stretch")

    st.subheader("Budget et personnel")
    resources = data.resources(plan, ctx.revision, ctx.filters, ctx.today, "os")
    if resources.iloc[-1]["Budget (€)"] == "—" and resources.iloc[-1]["ETP"] == "—":
        st.caption("Aucune fiche de ces actions ne chiffre de budget ni d'ETP.")
    else:
        st.caption("Sommes des fiches ; « Sans budget » et « Sans ETP » comptent les actions qui n'en donnent pas : "
                   "la somme ne couvre qu'elles.")
        per_os, per_oo = st.tabs(["Par objectif stratégique", "Par objectif opérationnel"])
        with per_os:
            show_table(resources, hide_index=True, width="stretch")
        with per_oo:
            show_table(data.resources(plan, ctx.revision, ctx.filters, ctx.today, "oo"), hide_index=True, width="stretch")

st.subheader("Dernières modifications")
changes = data.recent_changes(plan["id"], ctx.revision, 200)
if ctx.filters.active:  # the filters of the sidebar apply here too
    changes = changes[changes_in_view(changes, ctx.actions)]
changes = changes.head(10)
if changes.empty:
    st.caption("Aucune modification depuis l'import du plan." if not ctx.filters.active
               else "Aucune modification récente des actions filtrées.")
else:
    show_table(changes_table(changes, element_titles(ctx.all_actions)), hide_index=True, width="stretch")

objectives = data.objectives(plan["id"], ctx.revision)
figures = stated_vs_computed(plan, ctx.all_actions, objectives)
# Where the plan comes from: its document's own figures against its fiches, and the notes of its
# transcription. For whoever checks the data, folded for the director.
if figures or plan["notes"]:
    with st.expander("Source du plan : le document, ses chiffres et les notes de transcription", icon=":material/description:"):
        st.caption(md_escape(f"Document : {plan['document'] or 'non précisé'}."))
        if figures:
            st.caption("Les chiffres du tableau de bord sont calculés à partir des fiches (toutes les actions du plan, sans filtre).")
            show_table(
                [{"Indicateur": f.what, "Document": f.stated, "Calculé des fiches": f.computed,
                  "Concordance": "oui" if f.agrees else "écart"} for f in figures],
                hide_index=True, width="stretch",
            )
        for note in plan["notes"]:
            st.markdown(f"- {md_escape(note)}")
    if figures and not all(f.agrees for f in figures):
        st.caption("Le document annonce certains chiffres autrement que ses fiches : voir « Source du plan » ci-dessus.")
