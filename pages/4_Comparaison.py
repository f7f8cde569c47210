"""Comparaison: every plan of the database side by side."""

import json

import pandas as pd
import streamlit as st

from pst_data.rules.formatting import fmt_percent
from pst_data.rules.text import md_escape
from ui import data
from ui.components import chart, show_table
from ui.frame import page_frame

ctx = page_frame("Comparaison", icon="⚖️", live_scope="all")
st.title("Comparaison des plans")
st.caption("Tous les plans que vous pouvez consulter, sans filtre : taux moyen, bandes d'évaluation et part des "
           "actions en retard.")

# Only the plans this person may read (the frame's list): a directeur of one CPAS does not see
# another CPAS's figures here either.
table = data.comparison(data.revision_key(), ctx.today)
table = table[table["slug"].isin([p["slug"] for p in ctx.plans])].reset_index(drop=True)
band_names = list(dict.fromkeys(b for bands in table["bands"] for b in bands))
shown = pd.DataFrame({
    "Plan": table["organisation"],
    "Actions": table["actions"],
    "Avec taux": table["assessed"],
    "Taux moyen": [fmt_percent(v) for v in table["mean_progress"]],  # one decimal, like every mean
    "En retard": table["late"],
    "Part en retard": [fmt_percent(v) for v in table["late_share"]],
    **{b: [bands.get(b, 0) for bands in table["bands"]] for b in band_names},
})
show_table(shown, hide_index=True, width="stretch")

progress_figure, bands_figure = data.comparison_figures(
    data.revision_key(), ctx.today, tuple(table["slug"]), json.dumps(ctx.plan["evaluation_bands"]))
left, right = st.columns(2)
with left:
    if progress_figure is None:
        st.info("Aucun plan n'a encore de taux d'avancement.")
    else:
        chart(progress_figure, key="cmp_progress")
with right:
    chart(bands_figure, key="cmp_bands")
without = table[table["assessed"] == 0]["organisation"].tolist()
if without:
    st.caption("Sans aucun taux (document sans suivi chiffré) : " + ", ".join(md_escape(n) for n in without) + ".")
