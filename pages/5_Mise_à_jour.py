"""Mise à jour: quick taux updates, the bulk-edit table, new actions and the plan's structure."""

import pandas as pd
import streamlit as st

from db.models import STATUSES
from pst_data import services
from pst_data.bulk import editor_frame, row_edits
from pst_data.services import EditError
from ui import data
from ui.editing import author_box, current_author, edit_messages, fiche_form, flash, quick_edit, run_save
from ui.frame import filter_summary, page_frame

ctx = page_frame("Mise à jour", icon="✏️", live=False)  # tables being edited must not redraw
plan, actions = ctx.plan, ctx.actions

st.title("Mise à jour")
st.caption(f"{plan['organisation']} · {filter_summary(ctx)}")
edit_messages()
author = author_box()

quick_tab, bulk_tab, new_tab, structure_tab = st.tabs(
    ["Mise à jour rapide", "Tableau (plusieurs actions)", "Nouvelle action", "Objectifs"])

with quick_tab:
    if actions.empty:
        st.info("Aucune action ne correspond aux filtres choisis.")
    else:
        options = {int(r.id): f"{r.code} — {r.title}" for r in actions.itertuples()}
        chosen = st.selectbox("Action", list(options), format_func=options.get, key="update_action",
                              placeholder="Tapez un code ou un mot de l'intitulé…", index=None)
        if chosen is not None:
            row = actions[actions["id"] == chosen].iloc[0].to_dict()
            quick_edit(row, key="maj")
            st.caption(f"Statut : {row['status'] or 'non renseigné'} · chef de projet : "
                       f"{row['project_lead'] or '—'} · dernière modification par {row['updated_by'] or '—'}")

with bulk_tab:
    if actions.empty:
        st.info("Aucune action ne correspond aux filtres choisis.")
    else:
        st.caption("Modifiez les cellules puis « Enregistrer le tableau » : tout est enregistré, ou rien "
                   "si une seule cellule est invalide.")
        table = editor_frame(actions)
        key = f"bulk_{plan['slug']}_{ctx.revision}_{len(actions)}"
        with st.form("bulk_form", border=False):
            st.data_editor(
                table, key=key, hide_index=True, width="stretch", disabled=["Code", "Action"],
                column_config={
                    "Code": st.column_config.TextColumn("Code", width="small", pinned=True),
                    "Action": st.column_config.TextColumn("Action", width="medium"),
                    "Chef de projet": st.column_config.TextColumn("Chef de projet", width="medium"),
                    "Taux": st.column_config.NumberColumn("Taux", min_value=0, max_value=100, step=1, format="%d %%"),
                    "Statut": st.column_config.SelectboxColumn("Statut", options=list(STATUSES)),
                    "Priorité": st.column_config.SelectboxColumn("Priorité", options=plan["priority_scale"]),
                    "Labels": st.column_config.MultiselectColumn("Labels", options=ctx.labels["name"].tolist()),
                    "Échéance": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY"),
                })
            comment = st.text_input("Commentaire pour ces modifications (facultatif)", max_chars=500)
            submitted = st.form_submit_button("Enregistrer le tableau", type="primary", disabled=author is None)
        if submitted:
            edits = row_edits(actions, st.session_state[key]["edited_rows"])
            if not edits:
                st.info("Aucune cellule modifiée.")
            else:
                try:
                    results = services.bulk_update(data.engine(), edits, author or "", comment)
                except EditError as exc:
                    st.error("Rien n'a été enregistré :\n\n" + "\n\n".join(f"- {e}" for e in exc.errors))
                else:
                    data.invalidate()
                    flash("success", f"{len(results)} action(s) enregistrée(s) : "
                                     + ", ".join(r.code for r in results) + ".")
                    st.rerun()

with new_tab:
    objectives = data.objectives(plan["id"], ctx.revision).dropna(subset=["oo_id"])
    if objectives.empty:
        st.info("Créez d'abord un objectif opérationnel (onglet « Objectifs »).")
    else:
        oo_options = {int(r.oo_id): f"OO {r.oo_code} · {r.oo_title}" for r in objectives.itertuples()}
        oo_id = st.selectbox("Sous l'objectif opérationnel", list(oo_options), format_func=oo_options.get,
                             key="new_action_oo")
        code = st.text_input("Code de la nouvelle action", key="new_action_code", max_chars=40,
                             placeholder="ex. 7.3.3")
        blank = {"title": "", "description": None, "priority": None, "status": "À programmer",
                 "progress": None, "labels": [], "services": [], "project_lead": None, "department": None,
                 "partners": [], "start": None, "end": None, "start_date": None, "end_date": None,
                 "budget": None, "staff_fte": None, "weight": 1, "budget_text": None, "staff_text": None,
                 "risks": [], "deliverables": None, "indicators": [], "sub_actions": [], "context": None,
                 "evaluation": None, "comment": None}
        services_known = sorted({s for names in ctx.all_actions["services"] for s in names})
        values = fiche_form(blank, plan, ctx.labels, services_known, key="create")
        if values is not None:
            full = {**{k: v for k, v in blank.items() if k not in ("start_date", "end_date")}, **values,
                    "code": code}
            run_save(lambda: services.create_action(data.engine(), oo_id, full, current_author() or ""),
                     f"nouvelle action {code}")

with structure_tab:
    objectives = data.objectives(plan["id"], ctx.revision)
    st.markdown("**Objectifs stratégiques et opérationnels**")
    os_rows = objectives.drop_duplicates("os_id")
    st.dataframe(pd.DataFrame({"OS": os_rows["os_code"], "Intitulé": os_rows["os_title"]}),
                 hide_index=True, width="stretch")
    level = st.radio("Niveau", ["os", "oo"], horizontal=True, key="structure_level",
                     format_func={"os": "Objectif stratégique", "oo": "Objectif opérationnel"}.get)
    if level == "os":
        items = {int(r.os_id): f"OS {r.os_code} · {r.os_title}" for r in os_rows.itertuples()}
        parents = {plan["id"]: plan["organisation"]}
    else:
        oo_rows = objectives.dropna(subset=["oo_id"])
        items = {int(r.oo_id): f"OO {r.oo_code} · {r.oo_title}" for r in oo_rows.itertuples()}
        parents = {int(r.os_id): f"OS {r.os_code} · {r.os_title}" for r in os_rows.itertuples()}
    target = st.selectbox("Objectif", [None, *items], key="structure_target",
                          format_func=lambda i: "➕ Nouvel objectif" if i is None else items[i])
    with st.form("structure_form"):
        parent = None
        if target is None:
            parent = st.selectbox("Rattaché à", list(parents), format_func=parents.get)
        current = objectives[objectives[f"{level}_id"] == target].iloc[0] if target is not None else None
        new_code = st.text_input("Code", value="" if current is None else current[f"{level}_code"], max_chars=40)
        new_title = st.text_input("Intitulé", value="" if current is None else current[f"{level}_title"], max_chars=500)
        saved = st.form_submit_button("Enregistrer l'objectif", type="primary", disabled=author is None)
    if saved:
        try:
            services.save_objective(data.engine(), level, author or "", objective_id=target,
                                    parent_id=parent, code=new_code, title=new_title)
        except EditError as exc:
            st.error(" ".join(exc.errors))
        else:
            data.invalidate()
            flash("success", f"Objectif {new_code} enregistré.")
            st.rerun()
    if target is not None:
        ids = list(items)
        cols = st.columns(3)
        position = ids.index(target)
        if cols[0].button("Monter", disabled=position == 0 or author is None, key="move_up"):
            ids[position - 1], ids[position] = ids[position], ids[position - 1]
            services.reorder_objectives(data.engine(), level, ids, author or "")
            data.invalidate()
            st.rerun()
        if cols[1].button("Descendre", disabled=position == len(ids) - 1 or author is None, key="move_down"):
            ids[position + 1], ids[position] = ids[position], ids[position + 1]
            services.reorder_objectives(data.engine(), level, ids, author or "")
            data.invalidate()
            st.rerun()
        with cols[2].popover("Supprimer", disabled=author is None):
            scope = ctx.all_actions[ctx.all_actions[f"{level}_code"] == current[f"{level}_code"]]
            st.warning(f"Supprimer {items[target]} et ses {len(scope)} action(s) ? "
                       "Le journal garde la trace des actions supprimées.")
            if st.button("Oui, supprimer définitivement", type="primary", key="confirm_delete_objective"):
                count = services.delete_objective(data.engine(), level, target, author or "")
                data.invalidate()
                flash("success", f"Objectif supprimé avec {count} action(s).")
                st.rerun()
