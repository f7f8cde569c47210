"""The public page: the PST as the law wants it published online (art. 27ter), for anyone.

Only plans an admin published; objectives, actions, their taux and status, the charts, each
with a text alternative (a sentence and a table); no history, no staff names unless the admin
chose to show them, nothing that edits. Built for WCAG 2.1 AA (checked with axe-core in the
browser tests): real headings, HTML tables, French text, keyboard only.
"""

import pandas as pd
import streamlit as st

from pst_data.rules import charts, clock, schedule
from pst_data.rules.formatting import fmt_date, fmt_number, fmt_percent, plural
from pst_data.rules.progress import rollup, schedule_of, summarise
from pst_data.rules.text import md_escape
from pst_data.aggregates import public_action_table, public_chart_sentence, public_os_table, schedule_line
from ui import data
from ui.errors import install_error_message

# Text of the chart (axis ticks, values): Streamlit's chart theme greys them to 3.7:1 on white,
# under the 4.5:1 WCAG 1.4.3 asks of text that size; this one is 9:1.
INK = "#3d4650"
# A picture, not a tool: no plotly toolbar (seven small English-labelled buttons in the tab
# order), no hover; every value is in the sentence and the table around the chart.
CHART_CONFIG = {"staticPlot": True, "displaylogo": False, "locale": "fr"}


# The public sees this page only: no sidebar, no app menu, no empty app header above the title.
#
# On a phone (Streamlit's own breakpoint, 640 px) a table wider than the screen would scroll
# sideways inside a box the keyboard cannot reach (WCAG 2.1.1; axe's scrollable-region-focusable):
# - the tables of actions become one block per action, each value after its column's name
#   (the header row stays for screen readers, out of sight); the labels follow the columns of
#   public_action_table: Action, Statut, Taux d'avancement, Chef de projet (when shown);
# - the table of the chart (four short columns) stays a table, in smaller type, headers wrapping.
PAGE_CSS = """
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stExpandSidebarButton'],
[data-testid='stToolbar'], [data-testid='stHeader'] {display: none;}
[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}
@media (max-width: 640px) {
  [data-testid='stTable'] {font-size: 0.8rem;}
  [data-testid='stTable'] :is(th, td) {white-space: normal !important; padding: 0.3rem 0.25rem !important;}
  [data-testid='stTable'] td p {overflow-wrap: break-word !important;}
  .st-key-public_actions [data-testid='stTable'] {font-size: 0.875rem;}
  .st-key-public_actions :is(table, tbody, tr, th, td) {display: block; width: auto;}
  .st-key-public_actions thead {position: absolute; width: 1px; height: 1px; overflow: hidden;
                                clip-path: inset(50%); white-space: nowrap;}
  .st-key-public_actions tr {padding: 0.4rem 0.6rem; border-bottom: 1px solid rgba(49, 51, 63, 0.2);}
  .st-key-public_actions tr:last-child {border-bottom: 0;}
  .st-key-public_actions :is(th, td) {border: 0 !important; padding: 0.1rem 0 !important; text-align: left !important;}
  .st-key-public_actions th {font-weight: 600; color: inherit;}
  .st-key-public_actions td:nth-of-type(2)::before {content: "Statut : ";}
  .st-key-public_actions td:nth-of-type(3)::before {content: "Taux d'avancement : ";}
  .st-key-public_actions td:nth-of-type(4)::before {content: "Chef de projet : ";}
}
"""


@st.cache_data(max_entries=64, show_spinner=False)
def os_chart(per_os: pd.DataFrame) -> dict:
    """The bars, named by their code only ("OS 1.1"): with titles beside them the bars and their
    values had no room left on a phone and were cut off; the titles are in the table below."""
    named = per_os.assign(axis_name=[f"OS {code}" for code in per_os["os_code"]])
    fig = charts.progress_bars(named, "axis_name", "axis_name")
    fig.update_xaxes(tickfont_color=INK)
    fig.update_yaxes(tickfont_color=INK)
    fig.update_traces(textfont_color=INK)
    return fig.to_dict()


def shown(table: pd.DataFrame, index: str) -> pd.DataFrame:
    """A table for st.table, which reads every cell as Markdown: text cells escaped, so that a
    title with "*", "_" or "[…](…)" shows as typed."""
    table = table.copy()
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(md_escape)
    return table.set_index(index)


install_error_message()
st.set_page_config(page_title="PST public · PST Pilot", page_icon="🏛️", layout="wide",
                   initial_sidebar_state="collapsed")
st.markdown(f"<style>{PAGE_CSS}</style>", unsafe_allow_html=True)

published = [p for p in data.plans(data.revision_key()) if p["published"]]
if not published:
    st.title("Programme stratégique transversal", anchor=False)
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

# No anchor icons on the headings: each would be a tab stop labelled in English ("Link to
# heading"); the headings keep their id, so links to a heading still work.
st.title(f"Programme stratégique transversal · {md_escape(plan['organisation'])}", anchor=False)
period = f"{plan['period_start']}–{plan['period_end']}" if plan["period_start"] and plan["period_end"] else ""
if period and str(plan["period_start"]) in (plan["title"] or ""):
    period = ""  # "Programme Stratégique Transversal 2019-2024" already says it
st.markdown(" · ".join(md_escape(x) for x in (plan["title"], period) if x))
st.markdown(f"Situation au {fmt_date(today)}. Publié en application de l'article 27ter de la loi organique du "
            "8 juillet 1976 des CPAS, qui prévoit une évaluation à mi-parcours et en fin de législature.")

summary = summarise(actions["progress"].tolist(), actions["weight"].tolist(), bands)
# While the plan runs, where its actions stand against their calendar; once its period is over,
# the evaluation legend of the plan.
running = schedule.default_reading(plan, today) == schedule.CALENDAR
on_calendar = schedule_of(actions, schedule.Thresholds.of(plan))
st.header("En bref", anchor=False)
st.markdown(
    f"- **{fmt_number(summary.actions, 0)}** actions, dont {fmt_number(summary.assessed, 0)} avec un taux d'avancement\n"
    f"- Taux d'avancement moyen : **{fmt_percent(summary.mean_progress)}**\n"
    + (f"- Par rapport au calendrier : {md_escape(schedule_line(on_calendar))}\n"
       + "".join(f"- {md_escape(status)} : {plural(count, 'action')}\n"
                 for status, count in on_calendar.counts.items() if count)
       if running else
       "".join(f"- {md_escape(label)} : {plural(count, 'action')}\n" for label, count in summary.band_counts.items()))
)

if actions.empty:
    st.info("Ce plan ne contient encore aucune action.")
    st.stop()

per_os = rollup(actions, ["os_code", "os_title"], bands)
st.header("Avancement par objectif stratégique", anchor=False)
st.markdown(md_escape(public_chart_sentence(per_os)))
st.plotly_chart(os_chart(per_os), width="stretch", config=CHART_CONFIG, key="public_os_progress",
                alt="Graphique en barres : taux d'avancement moyen par objectif stratégique "
                    "(valeurs dans le tableau qui suit)")
st.table(shown(public_os_table(per_os), "Objectif stratégique"),
         alt="Taux d'avancement moyen et nombre d'actions de chaque objectif stratégique")

st.header("Les objectifs et leurs actions", anchor=False)
show_names = bool(plan["published_names"])
with st.container(key="public_actions"):  # the class .st-key-public_actions of PAGE_CSS
    for (os_code, os_title), os_rows in actions.groupby(["os_code", "os_title"], sort=False):
        st.subheader(f"OS {md_escape(os_code)} · {md_escape(os_title)}", anchor=False)
        for (oo_code, oo_title), oo_rows in os_rows.groupby(["oo_code", "oo_title"], sort=False):
            st.markdown(f"#### OO {md_escape(oo_code)} · {md_escape(oo_title)}", anchors=False)
            st.table(shown(public_action_table(oo_rows, show_names, running), "Code"),
                     alt=f"Actions de l'objectif opérationnel {oo_code}")
