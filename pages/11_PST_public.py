"""The public page: the PST as the law wants it published online (art. 27ter), for anyone.

Only plans an admin published; objectives, actions, their taux and status, the charts, each
with a text alternative (a sentence and a table); no history, no staff names unless the admin
chose to show them, nothing that edits. Built for WCAG 2.1 AA (checked with axe-core in the
browser tests): real headings, HTML tables, French text, keyboard only.
"""

import streamlit as st

from pst_data import clock
from pst_data.formatting import fmt_date, fmt_number, fmt_percent
from pst_data.progress import rollup, summarise
from pst_data.text import md_escape
from pst_data.views import public_action_table, public_chart_sentence, public_os_table
from ui import data
from ui.components import cached_chart
from ui.errors import install_error_message

install_error_message()
st.set_page_config(page_title="PST public · PST Pilot", page_icon="🏛️", layout="wide",
                   initial_sidebar_state="collapsed")
# The public sees this page only: no sidebar, no app menu.
st.markdown("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
            "[data-testid='stExpandSidebarButton'], [data-testid='stToolbar'] {display: none;}</style>",
            unsafe_allow_html=True)

published = [p for p in data.plans(data.revision_key()) if p["published"]]
if not published:
    st.title("Programme stratégique transversal")
    st.info("Aucun plan n'est publié pour le moment.")
    st.stop()

names = {p["slug"]: f"{p['organisation']} · {p['title']}" for p in published}
requested = st.query_params.get("plan")
slug = requested if requested in names else published[0]["slug"]
if len(published) > 1:
    slug = st.selectbox("Plan", list(names), index=list(names).index(slug), format_func=names.get, key="public_plan")
if st.query_params.get("plan") != slug:
    st.query_params["plan"] = slug
plan = next(p for p in published if p["slug"] == slug)
today = clock.today()
actions = data.actions(plan, data.revisions().get(slug, 0), today)
bands = plan["evaluation_bands"]

st.title(f"Programme stratégique transversal · {md_escape(plan['organisation'])}")
period = f"{plan['period_start']}–{plan['period_end']}" if plan["period_start"] and plan["period_end"] else ""
st.markdown(" · ".join(md_escape(x) for x in (plan["title"], period) if x))
st.markdown(f"Situation au {fmt_date(today)}. Publié en application de l'article 27ter de la loi organique du "
            "8 juillet 1976 des CPAS, qui prévoit une évaluation à mi-parcours et en fin de législature.")

summary = summarise(actions["progress"].tolist(), actions["weight"].tolist(), bands)
st.header("En bref")
st.markdown(
    f"- **{fmt_number(summary.actions, 0)}** actions, dont {fmt_number(summary.assessed, 0)} avec un taux d'avancement\n"
    f"- Taux d'avancement moyen : **{fmt_percent(summary.mean_progress)}**\n"
    + "".join(f"- {md_escape(label)} : {fmt_number(count, 0)} action(s)\n" for label, count in summary.band_counts.items())
)

if actions.empty:
    st.info("Ce plan ne contient encore aucune action.")
    st.stop()

per_os = rollup(actions, ["os_code", "os_title"], bands)
st.header("Avancement par objectif stratégique")
st.markdown(md_escape(public_chart_sentence(per_os)))
cached_chart("progress_bars", per_os, "os_code", "os_title", key="public_os_progress")
st.table(public_os_table(per_os).set_index("Objectif stratégique"))

st.header("Les objectifs et leurs actions")
show_names = bool(plan["published_names"])
for (os_code, os_title), os_rows in actions.groupby(["os_code", "os_title"], sort=False):
    st.subheader(f"OS {md_escape(os_code)} · {md_escape(os_title)}")
    for (oo_code, oo_title), oo_rows in os_rows.groupby(["oo_code", "oo_title"], sort=False):
        st.markdown(f"#### OO {md_escape(oo_code)} · {md_escape(oo_title)}")
        st.table(public_action_table(oo_rows, show_names).set_index("Code"))
