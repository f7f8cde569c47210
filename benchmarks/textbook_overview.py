"""The textbook approach, kept as the baseline: the overview written the way tutorials do it.

Every rerun reads whole tables with ``pd.read_sql``, merges them and aggregates in pandas, then
draws plotly bars. Only the engine is cached (tutorials do that much). Same figures as the real
overview: key figures, mean taux per OS, statuses, the latest changes. ``?plan=`` and
``?priority=1`` work as in the app.
"""

import os

import pandas as pd
import plotly.express as px
import streamlit as st
from sqlalchemy import create_engine

from pst_data.rules import clock


@st.cache_resource
def get_engine():
    return create_engine(os.environ["PST_DATABASE_URL"])


st.set_page_config(page_title="Textbook overview", layout="wide")
engine = get_engine()

plans = pd.read_sql("SELECT * FROM plans ORDER BY id", engine)
objectives = pd.read_sql("SELECT * FROM strategic_objectives", engine)
operational = pd.read_sql("SELECT * FROM operational_objectives", engine)
actions = pd.read_sql("SELECT * FROM actions", engine)
history = pd.read_sql("SELECT * FROM history", engine)

slug = st.query_params.get("plan", plans["slug"].iloc[0])
plan = plans[plans["slug"] == slug].iloc[0]

tree = (actions.merge(operational, left_on="operational_objective_id", right_on="id", suffixes=("", "_oo"))
        .merge(objectives, left_on="strategic_objective_id", right_on="id", suffixes=("", "_os")))
tree = tree[tree["plan_id"] == plan["id"]]
if st.query_params.get("priority") == "1":
    tree = tree[tree["priority"] == "Niveau 1"]

st.title(f"{plan['organisation']} — Vue d'ensemble (textbook)")
today = pd.Timestamp(clock.today())  # the textbook page would read the server clock; same day here
late = ((pd.to_datetime(tree["end_date"]) < today) & (tree["progress"].fillna(0) < 100)
        & ~tree["status"].isin(["Finalisé", "Abandonné"]))
cols = st.columns(4)
cols[0].metric("Actions", len(tree))
cols[1].metric("Taux moyen", f"{tree['progress'].mean():.1f} %" if tree["progress"].notna().any() else "—")
cols[2].metric("En retard", int(late.sum()))
cols[3].metric("Sans taux", int(tree["progress"].isna().sum()))

per_os = (tree.groupby(["code_os", "title_os"], as_index=False)
          .agg(mean_progress=("progress", "mean"), actions=("id", "count")))
st.plotly_chart(px.bar(per_os, x="code_os", y="mean_progress", hover_name="title_os",
                       title="Avancement par objectif stratégique"), key="tb_os")
statuses = tree["status"].fillna("Non renseigné").value_counts().reset_index()
st.plotly_chart(px.bar(statuses, x="status", y="count", title="Statuts"), key="tb_status")

changes = history[(history["plan_id"] == plan["id"]) & (history["kind"] != "import")]
st.subheader("Dernières modifications")
st.dataframe(changes.sort_values("changed_at", ascending=False).head(10)
             [["changed_at", "changed_by", "action_code", "field", "old_value", "new_value"]],
             hide_index=True)
