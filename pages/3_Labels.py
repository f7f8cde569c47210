"""Labels: États généraux, PPI, PGP and users' labels — what each covers and how far it is."""

import pandas as pd
import streamlit as st

from pst_data import services
from pst_data.rules import schedule
from pst_data.rules.filters import typed_codes
from pst_data.rules.formatting import fmt_percent, plural
from pst_data.rules.text import md_escape, plotly_escape
from pst_data.aggregates import NO_LABEL, label_change_preview
from ui import data
from ui.components import cached_chart, cached_table, label_tags, reading_choice
from ui.editing import edit_messages, run_write
from ui.frame import filter_summary, page_frame

ctx = page_frame("Labels", icon="🏷️")
plan, actions = ctx.plan, ctx.actions
bands = plan["evaluation_bands"]
label_names = ctx.labels["name"].tolist()

st.title("Labels")
st.caption(f"{md_escape(plan['organisation'])} · {filter_summary(ctx, md_escape)}")
st.markdown(label_tags(label_names, ctx.labels), unsafe_allow_html=True)
edit_messages()

author = ctx.actor if ctx.actor is not None and ctx.actor.is_admin else None
with st.expander("Gérer les labels (communs à tous les plans)", icon=":material/sell:"):
    if author is None:
        st.caption("Les labels sont communs à tous les plans : un administrateur les crée et les renomme. "
                   "Un directeur les attribue aux actions ci-dessous ou depuis la fiche d'une action.")
    else:
        known = {int(r.id): r for r in ctx.labels.itertuples()}
        picked = st.selectbox("Label", [None, *known], key="label_pick",
                              format_func=lambda i: "➕ Nouveau label" if i is None else known[i].name)
        current = known.get(picked)
        with st.form(f"label_form_{picked}"):
            name = st.text_input("Nom", value=current.name if current else "", max_chars=services.LABEL_NAME_MAX,
                                 placeholder="ex. Plan de cohésion sociale")
            colour = st.color_picker("Couleur", value=current.colour if current else "#6c757d")
            description = st.text_area("Description", value=(current.description or "") if current else "",
                                       max_chars=services.LABEL_DESCRIPTION_MAX, height=80)
            if st.form_submit_button("Enregistrer le label", type="primary"):
                run_write(lambda: services.save_label(data.engine(), author, name, colour, description, picked),
                          f"Label « {' '.join(name.split())} » enregistré.")

if ctx.directs and not ctx.labels.empty and not actions.empty:
    st.subheader("Attribuer ou retirer un label")
    names = dict(zip(ctx.labels["id"].astype(int), ctx.labels["name"], strict=True))
    pick, mode = st.columns([3, 2], vertical_alignment="bottom")
    label_id = pick.selectbox("Label", list(names), format_func=names.get, index=None, key="assign_label",
                              placeholder="Choisissez un label")
    give = mode.segmented_control("Opération", ["Ajouter", "Retirer"], default="Ajouter", key="assign_mode",
                                  label_visibility="collapsed") != "Retirer"
    chosen_only = st.toggle("Seulement certaines des actions affichées", key="assign_some")
    targets = actions
    if chosen_only:
        # Codes typed are taken exactly (a search box would also take 3.1.4 for 3.1.1); the
        # list, searched by title, adds to them.
        typed = st.text_input("Codes des actions", key="assign_codes", placeholder="ex. 3.1.1, 3.1.2, 3.1.3",
                              max_chars=2000,
                              help="Séparés par des virgules ou des espaces ; seulement les actions affichées.")
        codes, unknown = typed_codes(typed, actions["code"].tolist())
        if unknown:
            st.warning(md_escape(f"Aucune action affichée n'a le code : {', '.join(unknown)}."))
        titles = dict(zip(actions["id"].astype(int), actions["code"] + " · " + actions["title"], strict=True))
        picked_ids = st.multiselect("Ou choisissez-les dans la liste", list(titles), format_func=titles.get,
                                    key="assign_actions", placeholder="Rechercher une action par son titre")
        targets = actions[actions["id"].isin(picked_ids) | actions["code"].isin(codes)]
    if label_id is not None:
        name = names[label_id]
        changing, unchanged = label_change_preview(targets, name, give)
        verb = "ajouté à" if give else "retiré de"
        st.text(f"« {name} » sera {verb} {plural(len(changing), 'action')} "
                f"({filter_summary(ctx) if not chosen_only else 'actions choisies'})"
                + (f" : {', '.join(changing['code'].head(12))}{' …' if len(changing) > 12 else ''}" if len(changing) else "")
                + (f". {plural(unchanged, 'action')} {'reste' if unchanged == 1 else 'restent'} telle"
                   f"{'' if unchanged == 1 else 's'} quelle{'' if unchanged == 1 else 's'} "
                   f"({'elle le porte déjà' if give and unchanged == 1 else 'elles le portent déjà' if give else 'elle ne le porte pas' if unchanged == 1 else 'elles ne le portent pas'})."
                   if unchanged else "."))
        button = f"{'Ajouter' if give else 'Retirer'} « {name} » ({plural(len(changing), 'action')})"
        if st.button(md_escape(button), type="primary", disabled=changing.empty, key="assign_button"):
            ids = [int(i) for i in changing["id"]]
            run_write(lambda: services.label_actions(data.engine(), ctx.actor, label_id, ids, give),
                      f"« {name} » {'ajouté à' if give else 'retiré de'} {plural(len(ids), 'action')}.")

if actions.empty:
    st.info("Aucune action ne correspond aux filtres choisis.")
    st.stop()

views = data.label_views(plan, ctx.revision, ctx.filters, ctx.today, tuple(label_names))
table, on_calendar = views.table, views.on_calendar
title, colours = st.columns([4, 2], vertical_alignment="bottom")
title.subheader("Actions et avancement par label")
with colours:
    calendar_view = reading_choice(plan, ctx.today, "labels_reading") == schedule.CALENDAR
timing = on_calendar.set_index("label").reindex(table["label"])
shown = pd.DataFrame({
    "Label": table["label"],
    "Actions": table["actions"],
    "Taux moyen": [fmt_percent(v) for v in table["mean_progress"]],  # one decimal, like every mean
    "Sans taux": table["unassessed"],
    **({"Attendu": [fmt_percent(v) for v in timing["expected"]],
        "Calendrier": timing["schedule"].fillna("—").tolist(),
        **{status: timing[status].fillna(0).astype(int).tolist() for status in schedule.STATUSES
           if timing[status].fillna(0).sum()}}
       if calendar_view else {band: table[band] for band in [b["label"] for b in bands]}),
})
cached_table(shown, hide_index=True, width="stretch")
empty_labels = table.loc[(table["actions"] == 0) & (table["label"] != NO_LABEL), "label"].tolist()
if empty_labels:
    st.caption("Aucune action ne porte encore : " + ", ".join(md_escape(n) for n in empty_labels) + ".")

with_actions = table[table["actions"] > 0]
left, right = st.columns(2)
if calendar_view:
    with left:
        cached_chart("schedule_bars", on_calendar, "label", "label", title="Taux et taux attendu par label",
                     key="label_progress")
    with right:
        cached_chart("schedule_split", on_calendar, "label", "label", title="Calendrier par label", key="label_bands")
    st.caption("Barre : taux moyen des actions suivies et datées du label, colorée selon leur situation ; trait noir : "
               "le taux que leurs dates attendent aujourd'hui.")
else:
    with left:
        cached_chart("progress_bars", with_actions, "label", "label", title="Taux moyen par label", key="label_progress")
    with right:
        cached_chart("band_split", with_actions, "label", "label", bands, title="Bandes d'évaluation par label",
                     key="label_bands")

st.subheader("Un label face au reste du plan")
compared = st.selectbox("Label comparé", label_names, key="compare_label",
                        index=label_names.index("États généraux") if "États généraux" in label_names else 0)
if compared:
    versus, per_os_groups, groups = data.label_versus(plan, ctx.revision, ctx.filters, ctx.today, compared)
    cached_table(versus, hide_index=True, width="stretch")
    if versus["Nombre"].iloc[0] and versus["Nombre"].iloc[1]:
        cached_chart("grouped_progress", per_os_groups, "os_code", "os_title", "group", tuple(groups),
                     title=f"Taux moyen par OS : « {plotly_escape(compared)} » et les autres actions",
                     key="label_vs_rest")

st.subheader("Répartition par objectif stratégique")
cached_table(views.by_os.rename(columns=lambda c: f"OS {c}"), width="stretch")

if views.by_priority is not None:
    st.subheader("Labels et priorités")
    cached_table(views.by_priority, width="stretch")

st.subheader("Actions sans label")
if views.unlabelled.empty:
    st.caption("Toutes les actions affichées portent au moins un label.")
else:
    st.caption(f"{plural(len(views.unlabelled), 'action')} "
               + ("n'est reliée" if len(views.unlabelled) == 1 else "ne sont reliées") + " à aucun autre plan.")
    cached_table(views.unlabelled, hide_index=True, width="stretch", column_config={
        "Taux": st.column_config.ProgressColumn("Taux", min_value=0, max_value=100, format="%.0f %%")})
