"""Évaluation: the report the law requires (mi-parcours, finale; as of any past day) and named
snapshots of the plan to compare later states with."""

import streamlit as st

from pst_data import services, snapshots
from pst_data.exports.report import KINDS
from pst_data.rules import charts
from pst_data.rules.formatting import fmt_date, fmt_number, fmt_percent, plural
from pst_data.rules.progress import summarise
from pst_data.rules.text import md_escape
from pst_data.services import snapshots as snapshot_writes
from pst_data.aggregates import (
    fmt_points,
    snapshot_action_table,
    snapshot_chart_rows,
    snapshot_list_table,
    snapshot_os_table,
    synergy_rows,
    synergy_sentence,
    synergy_suggestions,
)
from ui import data
from ui.components import chart, download_button, show_table
from ui.editing import edit_messages, run_write
from ui.frame import filter_summary, page_frame

ctx = page_frame("Évaluation", icon="📑")
plan = ctx.plan
bands = plan["evaluation_bands"]
st.title("Évaluation du PST")
st.caption(f"{md_escape(plan['organisation'])} · {md_escape(plan['title'])} · l'article 27ter de la loi organique impose une "
           "évaluation à mi-parcours et en fin de législature.")
edit_messages()

st.subheader("Rapport d'évaluation (PDF)")
c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
kind = c1.radio("Évaluation", list(KINDS), format_func=KINDS.get, horizontal=True, key="report_kind",
                index=1 if plan.get("period_end") and ctx.today.year >= plan["period_end"] else 0)
as_of = c2.date_input("Situation au", value=ctx.today, max_value=ctx.today, format="DD/MM/YYYY", key="report_as_of",
                      help="Le rapport peut décrire le plan tel qu'il était à une date passée, d'après l'historique.")
scope = filter_summary(ctx)
download_button(
    c3, "Rapport PDF", lambda: data.report(plan, ctx.revision, ctx.filters, kind, as_of, ctx.today, scope),
    f"evaluation-{kind}-{plan['slug']}-{as_of:%Y-%m-%d}.pdf", "application/pdf",
    icon=":material/download:", type="primary",
    help="Couverture, chiffres du plan, une page « En quelques chiffres » par OS, puis une fiche par action "
         "(tous les champs, taux, statut, derniers commentaires).")
st.caption(f"Périmètre : {filter_summary(ctx, md_escape).rstrip('.')}.")

then = data.actions_as_of(plan, ctx.revision, as_of) if as_of < ctx.today else ctx.all_actions
then_summary = summarise(then["progress"].tolist(), then["weight"].tolist(), bands)
now_summary = summarise(ctx.all_actions["progress"].tolist(), ctx.all_actions["weight"].tolist(), bands)
cols = st.columns(3)
delta = None
if as_of < ctx.today and then_summary.mean_progress is not None and now_summary.mean_progress is not None:
    delta = f"{fmt_points(now_summary.mean_progress - then_summary.mean_progress)} depuis"
cols[0].metric(f"Taux moyen au {fmt_date(as_of)}", fmt_percent(then_summary.mean_progress),
               help="Tout le plan, sans les filtres.")
cols[1].metric("Taux moyen aujourd'hui", fmt_percent(now_summary.mean_progress), delta=delta, delta_color="normal")
cols[2].metric(f"Actions au {fmt_date(as_of)}", fmt_number(then_summary.actions, 0))

st.divider()
st.subheader("Synergies Ville–CPAS")
st.caption("L'évaluation revoit les synergies entre la commune et le CPAS : les actions menées avec la commune, "
           "ou partagées avec elle. Elles ont leur section dans le rapport d'évaluation. (Actions affichées : filtres "
           "compris.)")
st.markdown(md_escape(synergy_sentence(ctx.actions)))
synergies = synergy_rows(ctx.actions)
if not synergies.empty:
    show_table(synergies, hide_index=True, width="stretch")
suggested = synergy_suggestions(ctx.actions)
if not suggested.empty:
    single = len(suggested) == 1
    with st.expander(f"{plural(len(suggested), 'autre action', 'autres actions')} {'cite' if single else 'citent'} la "
                     f"Ville ou la commune parmi {'ses' if single else 'leurs'} partenaires ou services : à confirmer"):
        show_table(suggested[["code", "title", "partners"]].assign(partners=suggested["partners"].map(", ".join))
                   .rename(columns={"code": "Code", "title": "Action", "partners": "Partenaires"}),
                   hide_index=True, width="stretch")
        if ctx.directs:
            if st.button("Marquer cette action comme synergie Ville–CPAS" if single else
                         f"Marquer ces {plural(len(suggested), 'action')} comme synergies Ville–CPAS",
                         key="mark_synergies"):
                run_write(lambda: services.mark_with_commune(data.engine(), ctx.actor, suggested["id"].astype(int).tolist(),
                                                             True),
                          f"{plural(len(suggested), 'action')} marquée{'' if single else 's'} comme "
                          f"synergie{'' if single else 's'} Ville–CPAS.")
            st.caption("Une action à la fois : sa fiche (Objectifs → « Modifier la fiche ») ou le tableau de Mise à jour.")

st.divider()
st.subheader("Instantanés")
st.caption("Figer l'état du plan sous un nom (par exemple « Évaluation mi-législature 2021 ») pour comparer "
           "ensuite chaque objectif et chaque action à ce moment-là. Tout le plan est figé, sans les filtres.")
listed = data.snapshots(plan["id"], ctx.revision)

author = ctx.actor if ctx.directs else None
with st.expander("Prendre un instantané", expanded=listed.empty):
    if author is None:
        st.caption("Un directeur du plan prend et supprime les instantanés.")
    else:
        with st.form("snapshot_form", clear_on_submit=True):
            name = st.text_input("Nom", max_chars=snapshots.NAME_MAX, placeholder="ex. Évaluation mi-législature 2021")
            day = st.date_input("État au", value=ctx.today, max_value=ctx.today, format="DD/MM/YYYY",
                                help="Une date passée reconstitue l'état du plan à cette date d'après l'historique.")
            note = st.text_area("Note (facultatif)", max_chars=snapshots.NOTE_MAX, height=80)
            if st.form_submit_button("Figer l'état du plan", type="primary"):
                run_write(lambda: snapshot_writes.take_snapshot(data.engine(), plan["id"], name, author, ctx.today, day, note),
                          f"Instantané « {' '.join(name.split())} » enregistré.")

if listed.empty:
    st.info("Aucun instantané pour ce plan.")
    st.stop()

show_table(snapshot_list_table(listed), hide_index=True, width="stretch")

names = dict(zip(listed["id"], listed["name"], strict=True))
chosen = st.selectbox("Comparer aujourd'hui avec", list(names), format_func=names.get, key="snapshot_chosen")
row = listed.set_index("id").loc[chosen]
then_label = f"au {fmt_date(row['as_of'])}"
per_os, per_action = snapshots.compare(data.snapshot_actions(int(chosen), row["taken_at"]), ctx.all_actions, bands)

st.markdown(f"**{md_escape(row['name'])}** (état au {fmt_date(row['as_of'])}) comparé à aujourd'hui.")
chart(charts.grouped_progress(snapshot_chart_rows(per_os, f"Taux {then_label}"), "os_code", "os_title", "moment",
                              [f"Taux {then_label}", "Aujourd'hui"], title="Taux moyen par OS : alors et aujourd'hui"),
      key="snapshot_chart")
show_table(snapshot_os_table(per_os, then_label), hide_index=True, width="stretch")
moved_only = st.toggle("Seulement les actions qui ont changé", value=True, key="snapshot_moved_only")
table = snapshot_action_table(per_action, then_label, moved_only)
if table.empty:
    st.info("Aucune action n'a changé de taux depuis cet instantané.")
else:
    show_table(table, hide_index=True, width="stretch")

if author is not None:
    with st.popover("Supprimer cet instantané", icon=":material/delete:"):
        st.markdown(f"Supprimer définitivement « {md_escape(row['name'])} » ?")
        if st.button("Supprimer", type="primary", key="snapshot_delete"):
            run_write(lambda: snapshot_writes.delete_snapshot(data.engine(), int(chosen), author),
                      f"Instantané « {row['name']} » supprimé.")
