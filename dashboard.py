"""Vue d'ensemble: what a director opens every morning (the app's home page)."""

import datetime as dt

import pandas as pd
import streamlit as st

from pst_data.rules import schedule
from pst_data.rules.consistency import stated_vs_computed
from pst_data.rules.filters import apply_filters
from pst_data.rules.follow_up import reference
from pst_data.rules.formatting import fmt_date, plural
from pst_data.rules.progress import rollup, summarise
from pst_data.rules.text import md_escape
from pst_data.rules.timeline import PLAN_SCOPE
from pst_data.aggregates import changes_in_view, changes_table, element_titles, key_figures, schedule_line, schedule_meanings
from ui import data
from ui.components import cached_chart, cached_table, clicked_rows, download_button, reading_choice
from ui.frame import filter_summary, page_frame

ctx = page_frame("Vue d'ensemble", icon="📊")
plan, actions = ctx.plan, ctx.actions
bands = plan["evaluation_bands"]

head, colours, button = st.columns([4, 2, 1], vertical_alignment="bottom")
head.title(f"{md_escape(plan['organisation'])} — Vue d'ensemble")
download_button(
    button, "Excel", lambda: data.workbook(plan, ctx.revision, ctx.filters, ctx.today),
    f"pst-{plan['slug']}-{ctx.today:%Y-%m-%d}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    help="Les actions affichées (filtres compris), tous leurs champs, et les chiffres par OS.")
st.caption(f"{md_escape(plan['title'])} · {md_escape(plan['document'])} · {filter_summary(ctx, md_escape)}")
with colours:
    reading = reading_choice(plan, ctx.today, "overview_reading")
calendar_view = reading == schedule.CALENDAR
thresholds = schedule.Thresholds.of(plan)

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
for col, figure in zip(st.columns(6), key_figures(actions, bands, then, since), strict=True):
    col.metric(figure.label, figure.value, figure.delta, delta_color="off" if figure.delta_arrow == "off" else figure.delta_color,
               delta_arrow=figure.delta_arrow, help=figure.help)
calendar = data.calendar_section(plan, ctx.revision, ctx.filters, ctx.today)
plan_schedule = calendar.whole
st.caption(" ".join(md_escape(part) for part in (f"Évolution {since_named}." if then is not None else "",
                                                 f"Calendrier : {schedule_line(plan_schedule)}.") if part)
           + " « Finalisées » compte le statut déclaré ; les bandes d'évaluation ("
           + ", ".join(md_escape(b["label"]) for b in bands or []) + ") classent le taux d'avancement pour l'évaluation.")

if actions.empty:
    st.info("Aucune action ne correspond aux filtres choisis." if ctx.filters.active
            else "Ce plan ne contient encore aucune action.")
else:
    per_os = rollup(actions, ["os_code", "os_title"], bands)
    per_os_schedule = calendar.per_os
    st.subheader("Avancement par objectif stratégique")
    if summary.assessed == 0:
        st.info(f"Aucune de ces {summary.actions} actions n'a encore de taux d'avancement : "
                "le document source n'en donne pas. Les taux apparaîtront au fil des mises à jour.")
    left, right = st.columns(2)
    with left:
        bars = per_os_schedule if calendar_view else per_os
        clicked = clicked_rows(cached_chart("schedule_bars" if calendar_view else "progress_bars", bars, "os_code",
                                            "os_title", key="os_progress", on_select="rerun"), bars)
        if not clicked.empty:  # a bar opens its OS in Objectifs, with the same filters
            st.switch_page("pages/1_Objectifs.py", query_params={**ctx.filters.to_query_params(),
                                                                 "os": str(clicked["os_code"].iloc[0])})
        st.caption(("Barre : taux moyen des actions suivies et datées, colorée selon leur situation ; trait noir : "
                    "le taux que leurs dates attendent aujourd'hui. " if calendar_view else "")
                   + "Cliquez sur une barre pour ouvrir cet objectif.")
    with right:
        if calendar_view:
            cached_chart("schedule_split", per_os_schedule, "os_code", "os_title", key="os_schedule")
        else:
            cached_chart("band_split", per_os, "os_code", "os_title", bands, key="os_bands")

    left, right = st.columns(2)
    with left:
        cached_chart("status_split", actions[["status"]], key="status_split")
    with right:
        if calendar_view:
            st.subheader("Par rapport au calendrier")
            meanings = schedule_meanings(thresholds)
            cached_table([{"Situation": status, "Actions": count, "Ce que cela veut dire": meanings[status]}
                        for status, count in plan_schedule.counts.items() if count or status in schedule.COMPARED],
                       hide_index=True, width="stretch")
        else:
            st.subheader("Bandes d'évaluation")
            band_rows = [
                {"Bande": label, "Seuils": f"{b['min']}–{b['max']} %" if b else "—",
                 "Actions": count}
                for label, count in summary.band_counts.items()
                for b in [next((x for x in bands if x["label"] == label), None)]
            ]
            cached_table(band_rows, hide_index=True, width="stretch")

    st.subheader("Actions qui dérivent")
    drifting = calendar.drifting
    if drifting.empty:
        st.caption("Aucune action en cours n'est en retard sur son calendrier sans que son échéance soit déjà "
                   "dépassée." if plan_schedule.expected is not None or plan_schedule.counts[schedule.OVERDUE]
                   else "Aucune action n'a de dates (ni le plan de période) : rien à comparer au calendrier.")
    else:
        st.caption(f"{plural(len(drifting), 'action')} en retard sur le calendrier, échéance pas encore dépassée : "
                   "le plus grand écart d'abord. Le taux attendu va de 0 % au début de l'action à 100 % à son échéance.")
        cached_table(drifting, hide_index=True, width="stretch")
    overdue = calendar.overdue
    if not overdue.empty:
        with st.expander(f"Échéance dépassée : {plural(len(overdue), 'action')}", icon=":material/event_busy:"):
            cached_table(overdue, hide_index=True, width="stretch")

    st.subheader("Trajectoire et projection")
    os_titles = {f"OS {c}": t for c, t in zip(actions["os_code"], actions["os_title"], strict=True)}
    paths = data.trajectories(plan, ctx.revision, ctx.filters, ctx.today)
    scope = st.selectbox("Portée", options=list(paths), key="trajectory_scope",
                         format_func=lambda s: "Tout le plan (actions affichées)" if s == PLAN_SCOPE
                         else f"{s} · {os_titles.get(s, '')}")
    path = paths[scope]
    st.markdown(md_escape(path.forecast.sentence))
    cached_chart("trajectory", path.chart_rows, key="trajectory_chart")
    st.caption(f"Les actions suivies (ni abandonnées ni suspendues). Trait plein : leur taux moyen pondéré, "
               f"reconstruit de l'historique des modifications. Pointillés : le taux que leurs dates attendent (linéaire du début à l'échéance ; sans dates, la période "
               f"du plan). Projection : au rythme des 12 derniers mois de l'historique (ou depuis le premier taux), la "
               f"date où 100 % serait atteint ; il faut au moins {schedule.MIN_HISTORY_DAYS} jours d'historique et une "
               f"mise à jour, sinon aucune projection n'est faite.")

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
        cached_table(follow.by_lead, hide_index=True, width="stretch")
    with by_os:
        cached_table(follow.by_os, hide_index=True, width="stretch")
    if not follow.troubled.empty:
        st.markdown("**Actions en difficulté ou à surveiller**")
        cached_table(follow.troubled, hide_index=True, width="stretch")

    st.subheader("Budget et personnel")
    resources = data.resources(plan, ctx.revision, ctx.filters, ctx.today, "os")
    if resources.iloc[-1]["Budget (€)"] == "—" and resources.iloc[-1]["ETP"] == "—":
        st.caption("Aucune fiche de ces actions ne chiffre de budget ni d'ETP.")
    else:
        st.caption("Sommes des fiches ; « Sans budget » et « Sans ETP » comptent les actions qui n'en donnent pas : "
                   "la somme ne couvre qu'elles.")
        per_os, per_oo = st.tabs(["Par objectif stratégique", "Par objectif opérationnel"])
        with per_os:
            cached_table(resources, hide_index=True, width="stretch")
        with per_oo:
            cached_table(data.resources(plan, ctx.revision, ctx.filters, ctx.today, "oo"), hide_index=True, width="stretch")

# What changed since the last Bureau: one line per action, the housekeeping folded away.
digest_since = cal.last_bureau + dt.timedelta(days=1) if cal.last_bureau else ctx.today - dt.timedelta(days=30)
st.subheader(f"Ce qui a changé depuis le Bureau du {fmt_date(cal.last_bureau)}" if cal.last_bureau
             else "Ce qui a changé sur 30 jours")
# The filters of the sidebar apply here too.
digest, folded = data.change_digest(plan, ctx.revision, ctx.filters, ctx.today, digest_since)
if digest.empty:
    st.caption("Aucune action n'a changé depuis." if not ctx.filters.active
               else "Aucune des actions filtrées n'a changé depuis.")
else:
    cached_table(digest, hide_index=True, width="stretch")
with st.expander("Toutes les modifications, champ par champ"
                 + (f" (dont {plural(folded, 'modification')} d'organisation : labels, comptes, calendrier…)"
                    if folded else ""), icon=":material/history:"):
    latest = data.recent_changes(plan["id"], ctx.revision, 200)
    if ctx.filters.active:
        latest = latest[changes_in_view(latest, ctx.actions)]
    latest = latest.head(20)
    if latest.empty:
        st.caption("Aucune modification depuis l'import du plan.")
    else:
        cached_table(changes_table(latest, element_titles(ctx.all_actions)), hide_index=True, width="stretch")

objectives = data.objectives(plan["id"], ctx.revision)
figures = stated_vs_computed(plan, ctx.all_actions, objectives)
# Where the plan comes from: its document's own figures against its fiches, and the notes of its
# transcription. For whoever checks the data, folded for the director.
if figures or plan["notes"]:
    with st.expander("Source du plan : le document, ses chiffres et les notes de transcription", icon=":material/description:"):
        st.caption(md_escape(f"Document : {plan['document'] or 'non précisé'}."))
        if figures:
            st.caption("Les chiffres du tableau de bord sont calculés à partir des fiches (toutes les actions du plan, sans filtre).")
            cached_table(
                [{"Indicateur": f.what, "Document": f.stated, "Calculé des fiches": f.computed,
                  "Concordance": "oui" if f.agrees else "écart"} for f in figures],
                hide_index=True, width="stretch",
            )
        for note in plan["notes"]:
            st.markdown(f"- {md_escape(note)}")
    if figures and not all(f.agrees for f in figures):
        st.caption("Le document annonce certains chiffres autrement que ses fiches : voir « Source du plan » ci-dessus.")
