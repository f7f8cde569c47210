"""Journal: every change of the plan (who, when, what), undo, and progress over time."""

import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from pst_data import services
from pst_data.rules import clock
from pst_data.rules.charts import layout
from pst_data.rules.formatting import author as author_text, fmt_date, fmt_datetime, fmt_percent
from pst_data.rules.text import md_escape, plotly_escape
from pst_data.rules.timeline import PLAN_SCOPE, progress_timeline
from pst_data.services import EditError
from ui import data
from pst_data.aggregates import change_summary, changes_in_view, changes_table, element_titles
from ui.components import PLOTLY_CONFIG, show_table
from ui.editing import edit_messages, flash, show_errors
from ui.frame import page_frame

ctx = page_frame("Journal", icon="🕘")
plan = ctx.plan
st.title("Journal des modifications")
st.caption(f"{md_escape(plan['organisation'])} · qui a changé quoi, quand (heure de Bruxelles) ; "
           "les filtres de la barre latérale s'appliquent.")
edit_messages()

last_bureau = data.bureau_calendar(plan["id"], ctx.revision, ctx.today).last_bureau
if last_bureau is not None:
    st.button(f"Depuis le dernier Bureau ({fmt_date(last_bureau)})", key="journal_since_bureau",
              # from the day after: what was changed on its day was shown at it (as on the overview)
              on_click=lambda: st.session_state.update(journal_period=(last_bureau + dt.timedelta(days=1), ctx.today)))
c1, c2 = st.columns(2)
period = c1.date_input("Période", value=(ctx.today - dt.timedelta(days=90), ctx.today), format="DD/MM/YYYY",
                       key="journal_period")
people = c2.multiselect("Personnes", data.journal_people(plan["id"], ctx.revision), key="journal_people",
                        placeholder="Tout le monde")
start, end = (period + (None,))[:2] if isinstance(period, tuple) else (period, period)
rows = data.journal(plan["id"], ctx.revision, start, end, tuple(people), ctx.filters.os_codes)
if ctx.filters.active and not rows.empty:  # every filter of the sidebar, not only the OS
    rows = rows[changes_in_view(rows, ctx.actions)]
if rows.empty:
    st.info("Aucune modification pour cette période et ces filtres.")
else:
    show_table(changes_table(rows, element_titles(ctx.all_actions)), hide_index=True, width="stretch")

    author = ctx.actor if ctx.directs else None  # undo is a directeur's (the write path checks it too)
    if author is not None:
        st.subheader("Annuler une modification")
        # Every change can be undone but imports (re-import the previous file) and label or snapshot
        # changes (made on their own pages).
        undoable = rows[~rows["change_id"].isin(rows.loc[rows["kind"].eq("import") | rows["from_import"].astype(bool) |
                                                          rows["entity"].isin(["label", "snapshot"]) |
                                                          rows["field"].isin(services.NOT_UNDONE_HERE), "change_id"])]
        labels = {change_id: f"{fmt_datetime(group['changed_at'].iloc[0])} — {author_text(group['changed_by'].iloc[0])} — "
                             f"{change_summary(group)}"
                  for change_id, group in undoable.groupby("change_id", sort=False)}
        change = st.selectbox("Modification", list(labels), format_func=labels.get, index=None,
                              key="undo_choice", placeholder="Choisissez une modification à annuler")
        if st.button("Annuler cette modification", disabled=change is None, key="undo_button"):
            try:
                results = services.undo_change(data.engine(), change, author)
            except EditError as exc:
                show_errors(exc.errors)
            else:
                data.invalidate()
                flash("success", "Modification annulée (l'annulation est elle-même inscrite au journal)"
                                 + (" : " + ", ".join(r.code for r in results) if results else "") + ".")
                st.rerun()

st.subheader("Avancement au fil du temps")
events = data.progress_events(plan["id"], ctx.revision)
os_of = dict(zip(ctx.all_actions["id"], ctx.all_actions["os_code"], strict=True))
weights = dict(zip(ctx.all_actions["id"], ctx.all_actions["weight"], strict=True))
timeline = progress_timeline(events, os_of, weights)
timeline = timeline.dropna(subset=["mean_progress"]) if not timeline.empty else timeline
if timeline.empty:
    st.info("Aucun taux d'avancement dans l'historique de ce plan pour l'instant.")
else:
    fig = go.Figure()
    for scope, part in timeline.groupby("scope", sort=False):
        shown = plotly_escape(scope)  # "OS <code>": the code is the plan's text
        fig.add_scatter(
            x=[clock.to_local(t).replace(tzinfo=None) for t in part["changed_at"]], y=part["mean_progress"], mode="lines+markers", line_shape="hv",
            name=shown, line=dict(width=4 if scope == PLAN_SCOPE else 1.5),
            hovertemplate=[f"{shown}<br>{fmt_datetime(t)} : {fmt_percent(v)}<extra></extra>"
                           for t, v in zip(part["changed_at"], part["mean_progress"], strict=True)],
        )
    fig.update_yaxes(range=[0, 100], ticksuffix=" %", title="Taux moyen")
    # Days on a long span, the hour once zoomed to a day (not the same day repeated on every tick).
    fig.update_xaxes(tickformatstops=[dict(dtickrange=[None, 86_400_000], value="%d/%m %Hh%M"),
                                      dict(dtickrange=[86_400_000, None], value="%d/%m/%Y")])
    last = timeline.groupby("scope", sort=False).tail(1)
    st.plotly_chart(layout(fig, height=420, title="Taux moyen du plan et de chaque OS"),
                    width="stretch", config=PLOTLY_CONFIG,
                    alt="Taux moyen du plan et de chaque OS au fil du temps ; dernières valeurs : "
                        + " ; ".join(f"{s} : {fmt_percent(v)}" for s, v in zip(last["scope"], last["mean_progress"], strict=True)))
