"""Présentation: the PST shown to the Bureau permanent, one slide at a time, for a projector."""

import datetime as dt

import streamlit as st

from pst_data.progress import rollup
from pst_data.slides import build_deck
from pst_data.text import md_escape
from ui import data
from pst_data.views import changes_table
from ui.components import cached_chart
from ui.frame import filter_summary, page_frame

ctx = page_frame("Présentation", icon="📽️", extra_params=("slide", "depuis"))
plan = ctx.plan
# Projector styling: large type, no clutter (the sidebar starts folded on this page).
st.markdown("""<style>
[data-testid='stMain'] h1 {font-size: 3rem;} [data-testid='stMain'] p, [data-testid='stMain'] li {font-size: 1.4rem;}
[data-testid='stMain'] [data-testid='stMetricValue'] p {font-size: 3rem; font-weight: 600;}
[data-testid='stMain'] [data-testid='stMetricLabel'] p {font-size: 1.2rem;}
</style>""", unsafe_allow_html=True)

default_since = ctx.today - dt.timedelta(days=30)
try:
    since = dt.date.fromisoformat(st.query_params.get("depuis", "")) if st.query_params.get("depuis") else default_since
except ValueError:
    st.warning("Date « depuis » illisible dans l'adresse : le dernier mois est utilisé.")
    since = default_since
changes = data.recent_changes(plan["id"], ctx.revision, 500, since)
deck = build_deck(plan, ctx.actions, changes, since, ctx.today, filter_summary(ctx, md_escape), escape=md_escape)

requested = st.query_params.get("slide", "1")
index = min(max(int(requested) if requested.isdigit() else 1, 1), len(deck)) - 1
slide = deck[index]

nav = st.columns([2, 4, 2, 2, 2], vertical_alignment="bottom")
if nav[0].button("◀ Précédent", disabled=index == 0, shortcut="left", key="prev_slide"):
    st.query_params["slide"] = str(index)
    st.rerun()
nav[1].caption(f"Diapositive {index + 1} / {len(deck)} · flèches ← → du clavier")
if nav[2].button("Suivant ▶", disabled=index == len(deck) - 1, shortcut="right", key="next_slide"):
    st.query_params["slide"] = str(index + 2)
    st.rerun()
picked = nav[3].date_input("Dernier Bureau", value=since, format="DD/MM/YYYY", key="since_bureau")
if picked != since:
    st.query_params["depuis"] = picked.isoformat()
    st.rerun()
nav[4].download_button(
    "PowerPoint", icon=":material/download:",
    data=lambda: data.deck(plan, ctx.revision, ctx.filters, since, ctx.today, filter_summary(ctx)),
    file_name=f"bureau-{plan['slug']}-{ctx.today:%Y-%m-%d}.pptx",
    mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    help="Ces diapositives (filtres compris) en présentation PowerPoint modifiable, graphiques inclus.")

st.title(slide.title)
if slide.subtitle:
    st.markdown(slide.subtitle)
if slide.figures:
    for col, (label, value) in zip(st.columns(len(slide.figures)), slide.figures, strict=True):
        col.metric(label, value)
if slide.kind == "title" and not ctx.actions.empty:
    per_os = rollup(ctx.actions, ["os_code", "os_title"], plan["evaluation_bands"])
    left, right = st.columns(2)
    with left:
        cached_chart("progress_bars", per_os, "os_code", "os_title", key="slide_progress")
    with right:
        cached_chart("band_split", per_os, "os_code", "os_title", plan["evaluation_bands"], key="slide_bands")
elif slide.kind == "os":
    mine = ctx.actions[ctx.actions["os_code"] == slide.os_code]
    per_oo = rollup(mine, ["oo_code", "oo_title"], plan["evaluation_bands"])
    cached_chart("progress_bars", per_oo, "oo_code", "oo_title", title="Taux moyen par objectif opérationnel",
                 key="slide_oo")
    st.dataframe(slide.rows, hide_index=True, width="stretch")
elif slide.kind == "changes":
    if slide.rows is None:
        st.info("Aucune modification depuis cette date.")
    else:
        st.dataframe(changes_table(slide.rows), hide_index=True, width="stretch")
elif slide.kind == "late":
    if slide.rows is None:
        st.success("Aucun projet en retard.")
    else:
        st.dataframe(slide.rows, hide_index=True, width="stretch")
