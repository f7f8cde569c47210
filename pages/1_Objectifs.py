"""Objectifs: drill down OS -> OO -> actions, the plan as a treemap, and each action's fiche."""

from functools import partial

import streamlit as st

from pst_data.rules.text import md_escape
from ui import data
from pst_data import services
from pst_data.rules import schedule
from ui.components import cached_chart, reading_choice, show_table
from ui.editing import (
    base_version,
    chef_form,
    edit_messages,
    editor_box,
    fiche_form,
    flash,
    lead_of,
    quick_edit,
    run_save,
)
from pst_data.rules.follow_up import staleness_text
from ui.fiche import render_fiche
from ui.frame import filter_summary, page_frame

# No live redraw while a fiche (and its edit forms) is open.
ctx = page_frame("Objectifs", icon="🎯", extra_params=("action",), live="action" not in st.query_params)
plan, actions = ctx.plan, ctx.actions
bands = plan["evaluation_bands"]

head, colours = st.columns([4, 2], vertical_alignment="bottom")
head.title("Objectifs")
with colours:
    calendar_view = reading_choice(plan, ctx.today, "objectives_reading") == schedule.CALENDAR
st.caption(f"{md_escape(plan['organisation'])} · {filter_summary(ctx, md_escape)}")

TAUX = st.column_config.ProgressColumn("Taux", min_value=0, max_value=100, format="%.0f %%")  # an action's: whole
ATTENDU = st.column_config.NumberColumn("Attendu", format="%.0f %%",
                                        help="Le taux que les dates de l'action attendent aujourd'hui (sans dates : "
                                             "la période du plan), de 0 % au début à 100 % à l'échéance.")


def open_fiche(table_key: str, action_ids: list[int]) -> None:
    """A row clicked in an actions table opens that action's fiche (as a shared link would)."""
    rows = st.session_state[table_key].selection.rows
    if rows:
        st.query_params["action"] = str(action_ids[rows[0]])
objectives = data.objectives(plan["id"], ctx.revision)
measured = data.indicators(plan["id"], ctx.revision)

tree_tab, map_tab = st.tabs(["Arborescence", "Carte du plan"])
with tree_tab:
    if actions.empty and ctx.filters.active:
        st.info("Aucune action ne correspond aux filtres choisis.")
    tree = data.objective_tree(plan, ctx.revision, actions, ctx.filters.active)
    for block in tree:
        label = f"**OS {md_escape(block.os_code)}** · {md_escape(block.title)} — {block.line}"
        with st.expander(label, expanded=len(ctx.filters.os_codes) == 1):
            if block.axis:
                st.caption(md_escape(block.axis))
            st.progress(0.0 if block.mean_progress is None else block.mean_progress / 100,
                        text=f"Avancement de l'OS : {block.line}")
            if block.oo_rows:
                show_table(block.oo_rows, hide_index=True, width="stretch")
            if block.actions.empty:
                st.caption("Aucune action sous cet objectif.")
            else:
                key = f"actions_of_os_{block.os_code}"
                show_table(block.actions, hide_index=True, width="stretch",
                           column_config={"Taux": TAUX, "Attendu": ATTENDU}, key=key,
                           on_select=partial(open_fiche, key, block.action_ids), selection_mode="single-row")
                st.caption("Cochez une ligne (case à gauche) pour ouvrir la fiche de l'action, plus bas.")
with map_tab:
    if actions.empty:
        st.info("Rien à afficher.")
    else:
        if calendar_view:  # zooms in the browser: nothing to rerun
            cached_chart("plan_treemap", actions, "Le plan, coloré selon le calendrier", schedule.Thresholds.of(plan),
                         key="treemap")
            st.caption("Taille : nombre d'actions ; couleur : où en est chaque action, OO et OS par rapport au taux "
                       "que ses dates attendent aujourd'hui : vert terminé, bleu dans les temps, orange en retard sur "
                       "le calendrier, rouge très en retard, violet échéance dépassée, gris sans dates ni taux ou "
                       "pas suivie. Cliquez sur un objectif pour zoomer.")
        else:
            cached_chart("plan_treemap", actions, key="treemap")
            st.caption("Taille : nombre d'actions ; couleur : taux moyen (gris : sans taux). "
                       "Cliquez sur un objectif pour zoomer.")

st.divider()
st.subheader("Fiche action")
choices = {int(r.id): f"{r.code} — {r.title}" for r in actions.itertuples()}
requested = st.query_params.get("action")
if requested and requested.isdigit() and int(requested) in ctx.all_actions["id"].values:
    choices.setdefault(int(requested), "")  # a shared link opens its fiche even if filtered out
    st.session_state["fiche_action"] = int(requested)
elif requested:
    st.warning(f"L'action demandée ({md_escape(requested)}) n'existe pas dans ce plan.")
if not choices:
    st.caption("Aucune action à afficher.")
else:
    labels_by_id = {int(r.id): f"{r.code} — {r.title}" for r in ctx.all_actions.itertuples()}
    selected = st.selectbox("Ouvrir la fiche de l'action", options=list(choices),
                            format_func=lambda i: labels_by_id.get(i, str(i)), index=None,
                            key="fiche_action", placeholder="Choisissez une action (tapez son code)…")
    if selected is not None:
        if st.query_params.get("action") != str(selected):
            st.query_params["action"] = str(selected)
        fiche = data.fiche(selected, ctx.revision)
        edit_messages()
        author = editor_box(plan["id"])
        # What the controls offer follows the role; the write path checks every change again.
        may_edit = author is not None and author.may_edit_action(plan["id"], lead_of(fiche))
        if may_edit:
            quick_edit(fiche, key="objectifs")
        elif author is not None and author.role == "chef":
            st.info("Vous n'êtes pas le chef de projet de cette action : consultation seulement.")
        tab_names = ["Fiche"] + (["Modifier la fiche"] if may_edit else []) + (["Déplacer ou supprimer"] if ctx.directs else [])
        tabs = st.tabs(tab_names)
        with tabs[0]:
            shown = ctx.all_actions[ctx.all_actions["id"] == selected]
            freshness = None if shown.empty else \
                staleness_text(shown["days_since_update"].iloc[0], plan["stale_after_days"]) + " · " + \
                schedule.phrase(*shown[["schedule", "progress", "expected_progress", "due_date"]].iloc[0], ctx.today)
            render_fiche(fiche, data.history(selected, ctx.revision), ctx.labels, freshness,
                         [i for i in measured if i["action_id"] == selected])
        if may_edit:
            with tabs[1]:
                version = base_version(f"fiche_{fiche['id']}", fiche["version"])
                if ctx.directs:
                    known = sorted({s for names in ctx.all_actions["services"] for s in names})
                    changes = fiche_form(fiche, plan, ctx.labels, known, key="edit")
                else:
                    st.caption("En tant que chef de projet, vous mettez à jour le statut, le taux, la santé et le commentaire ; "
                               "les autres champs reviennent au directeur.")
                    changes = chef_form(fiche, key="chef")
                if changes is not None:
                    if not changes:
                        st.info("Aucun champ modifié.")
                    else:
                        run_save(lambda: services.update_action(data.engine(), fiche["id"], version,
                                                                changes, author),
                                 f"fiche {fiche['code']}",
                                 retry={"action_id": fiche["id"], "changes": changes})
        if ctx.directs:
            with tabs[-1]:
                oo_rows = objectives.dropna(subset=["oo_id"])
                targets = {int(r.oo_id): f"OO {r.oo_code} · {r.oo_title}" for r in oo_rows.itertuples()
                           if r.oo_code != fiche["oo_code"]}
                target = st.selectbox("Déplacer vers l'objectif opérationnel", list(targets),
                                      format_func=targets.get, index=None, key="move_target")
                if st.button("Déplacer l'action", disabled=target is None, key="move_button"):
                    run_save(lambda: services.move_action(data.engine(), fiche["id"], fiche["version"], target,
                                                          author), f"{fiche['code']} déplacée")
                with st.popover("Supprimer l'action"):
                    st.warning(f"Supprimer définitivement l'action {md_escape(fiche['code'])} et ses sous-actions ? "
                               "Le journal garde la trace de la suppression.")
                    if st.button("Oui, supprimer", type="primary", key="confirm_delete_action"):
                        try:
                            services.delete_action(data.engine(), fiche["id"], fiche["version"], author)
                        except services.EditError as exc:
                            st.error(md_escape("\n".join(exc.errors), multiline=True))
                        else:
                            data.invalidate()
                            del st.query_params["action"]
                            st.session_state.pop("fiche_action", None)
                            flash("success", f"Action {fiche['code']} supprimée.")
                            st.rerun()
    elif "action" in st.query_params:
        del st.query_params["action"]
