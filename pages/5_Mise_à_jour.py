"""Mise à jour: quick taux updates, the bulk-edit table, new actions and the plan's structure."""

import pandas as pd
import streamlit as st

from pst_data import services
from pst_data.bulk import editor_frame, row_edits
from pst_data.rules.formatting import plural
from pst_data.rules.text import md_escape, spelling_groups
from pst_data.services import EditError, RowEdit
from ui import data
from pst_data import accounts
from pst_data.services import accounts as account_writes
from pst_data.uow import read_session
from ui.editing import (
    edit_messages,
    editor_box,
    fiche_form,
    flash,
    lead_of,
    quick_edit,
    run_save,
    run_write,
    show_errors,
    table_columns,
)
from ui.frame import filter_summary, page_frame
from ui.components import show_table


def _with_actions(count: int, word: str) -> str:
    """« et ses 3 actions », « et son action », or nothing for an objective without actions."""
    return "" if count == 0 else f" {word} son action" if count == 1 else f" {word} ses {count} actions"


BULK_PIN = "pst_bulk_pin"
BULK_CONFLICTS = "pst_bulk_conflicts"


def pinned_table(slug: str, filters, actions: pd.DataFrame) -> dict:
    """The rows (and versions) the person is editing, kept until they save or reload: a save by
    someone else must not redraw the table under their cells (their edits would be lost)."""
    signature = (slug, repr(filters))
    pin = st.session_state.get(BULK_PIN)
    if pin is None or pin["signature"] != signature:
        generation = (pin or {}).get("generation", 0) + 1
        pin = {"signature": signature, "actions": actions.copy(), "generation": generation}
        st.session_state[BULK_PIN] = pin
    return pin


def save_bulk(edits: list, comment: str | None = None) -> None:
    try:
        result = services.bulk_update(data.engine(), edits, author, comment)
    except EditError as exc:
        show_errors(exc.errors, head="Rien n'a été enregistré :")
        return
    data.invalidate()
    st.session_state.pop(BULK_PIN, None)  # redraw from the saved state, with the new versions
    if result.saved:
        saved = len(result.saved)
        flash("success", f"{plural(saved, 'action')} enregistrée{'s' if saved > 1 else ''} : "
                         + ", ".join(r.code for r in result.saved) + ".")
    if result.conflicts:
        st.session_state[BULK_CONFLICTS] = result.conflicts
    elif not result.saved:
        flash("info", "Rien à enregistrer : les valeurs saisies sont déjà celles des fiches.")
    st.rerun()

ctx = page_frame("Mise à jour", icon="✏️", live=False)  # tables being edited must not redraw
plan, actions = ctx.plan, ctx.actions

st.title("Mise à jour")
st.caption(md_escape(f"{plan['organisation']} · {filter_summary(ctx)}"))
edit_messages()
author = editor_box(plan["id"])
if author is None:
    st.info("Cette page sert à mettre à jour le plan : il faut un compte de directeur du plan, ou de chef de "
            "projet pour ses actions. Les autres pages restent consultables.", icon=":material/lock:")
    st.stop()
directs = ctx.directs
if not directs:  # a chef de projet: the actions they lead, and only what they may change there
    actions = actions[[author.leads(plan["id"], lead_of(r)) for r in actions.to_dict("records")]]
    if actions.empty:
        st.info("Aucune action de ce plan (avec ces filtres) n'est liée à votre compte de chef de projet. "
                "Un directeur relie le nom du chef de projet d'une action à votre compte.")
        st.stop()

# Shown above the tabs: a rerun opens the first tab again.
pending = st.session_state.get(BULK_CONFLICTS)
if pending:
    show_errors([c.message() for c in pending],
                head="Ces cellules n'ont pas été enregistrées : quelqu'un les a changées pendant votre saisie.")
    c1, c2 = st.columns(2)
    if c1.button("Réappliquer mes valeurs", type="primary", key="bulk_reapply"):
        st.session_state.pop(BULK_CONFLICTS)
        mine: dict[int, dict] = {}
        for conflict in pending:
            mine.setdefault(conflict.action_id, {})[conflict.field] = conflict.yours
        versions = dict(zip(ctx.all_actions["id"], ctx.all_actions["version"], strict=True))
        codes = dict(zip(ctx.all_actions["id"], ctx.all_actions["code"], strict=True))
        edits = [RowEdit(i, int(versions[i]), changes, codes[i]) for i, changes in mine.items() if i in versions]
        save_bulk(edits)
    if c2.button("Garder leurs valeurs", key="bulk_drop"):
        st.session_state.pop(BULK_CONFLICTS)
        st.rerun()

tab_names = ["Mise à jour rapide", "Tableau (plusieurs actions)"]
if directs:
    tab_names += ["Nouvelle action", "Objectifs", "Chefs de projet"]
tabs = st.tabs(tab_names, key="update_tabs", on_change="rerun")  # the same tab after a save
quick_tab, bulk_tab = tabs[0], tabs[1]

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
            st.caption(md_escape(f"Statut : {row['status'] or 'non renseigné'} · chef de projet : "
                                 f"{row['project_lead'] or '—'} · dernière modification par {row['updated_by'] or '—'}"))

with bulk_tab:
    if actions.empty:
        st.info("Aucune action ne correspond aux filtres choisis.")
    else:
        st.caption("Modifiez les cellules puis « Enregistrer le tableau ». Une cellule invalide : rien n'est "
                   "enregistré. Si quelqu'un modifie les mêmes actions pendant votre saisie, vos autres cellules "
                   "sont enregistrées et celles qu'il a changées aussi vous sont montrées.")
        pin = pinned_table(plan["slug"], ctx.filters, actions)
        if not pin["actions"][["id", "version"]].reset_index(drop=True).equals(
                actions[["id", "version"]].reset_index(drop=True)):
            st.warning("Ce tableau a changé depuis que vous l'avez ouvert (modifications d'autres personnes). "
                       "Vos cellules seront fusionnées avec les leurs à l'enregistrement ; « Recharger le tableau » "
                       "montre leurs valeurs mais efface vos cellules non enregistrées.", icon=":material/sync_problem:")
            if st.button("Recharger le tableau", key="bulk_reload"):
                st.session_state.pop(BULK_PIN, None)
                st.rerun()
        key = f"bulk_{pin['generation']}"
        with st.form("bulk_form", border=False):
            st.data_editor(  # empty cells empty, not « None »
                editor_frame(pin["actions"]), key=key, hide_index=True, width="stretch", placeholder="",
                # A chef de projet changes taux and status; the write path refuses the rest anyway.
                disabled=["Code", "Action"] if directs else ["Code", "Action", "Priorité", "Labels", "Chef de projet", "Échéance", "Ville–CPAS"],
                column_config={
                    **table_columns(),
                    "Chef de projet": st.column_config.TextColumn("Chef de projet", width="medium"),
                    "Priorité": st.column_config.SelectboxColumn("Priorité", options=plan["priority_scale"]),
                    "Labels": st.column_config.MultiselectColumn("Labels", options=ctx.labels["name"].tolist()),
                    "Échéance": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY"),
                    "Ville–CPAS": st.column_config.CheckboxColumn(
                        "Ville–CPAS", help="Action menée avec la commune, ou partagée avec elle."),
                })
            comment = st.text_input("Commentaire pour ces modifications (facultatif)", max_chars=services.COMMENT_MAX)
            submitted = st.form_submit_button("Enregistrer le tableau", type="primary")
        if submitted:
            edits = row_edits(pin["actions"], st.session_state[key]["edited_rows"])
            if not edits:
                st.info("Aucune cellule modifiée.")
            else:
                save_bulk(edits, comment)

if directs:
    with tabs[2]:
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
                     "evaluation": None, "comment": None, "health": None, "health_reason": None,
                     "with_commune": False}
            services_known = sorted({s for names in ctx.all_actions["services"] for s in names})
            values = fiche_form(blank, plan, ctx.labels, services_known, key="create")
            if values is not None:
                full = {**{k: v for k, v in blank.items() if k not in ("start_date", "end_date")}, **values,
                        "code": code}
                run_save(lambda: services.create_action(data.engine(), oo_id, full, author),
                         f"nouvelle action {code}")

    with tabs[3]:
        objectives = data.objectives(plan["id"], ctx.revision)
        st.markdown("**Objectifs stratégiques et opérationnels**")
        os_rows = objectives.drop_duplicates("os_id")
        show_table(pd.DataFrame({"OS": os_rows["os_code"], "Intitulé": os_rows["os_title"]}),
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
            saved = st.form_submit_button("Enregistrer l'objectif", type="primary")
        if saved:
            version = None if current is None else int(current[f"{level}_version"])
            run_write(lambda: services.save_objective(
                data.engine(), level, author, objective_id=target, parent_id=parent, code=new_code,
                title=new_title, expected_version=version), f"Objectif {new_code} enregistré.")
        if target is not None:
            # Order among siblings: the OS of the plan, or the OO of the same OS.
            ids = list(items) if level == "os" else \
                [int(i) for i in oo_rows.loc[oo_rows["os_id"] == current["os_id"], "oo_id"]]
            cols = st.columns(3)
            position = ids.index(target)
            if cols[0].button("Monter", disabled=position == 0, key="move_up"):
                ids[position - 1], ids[position] = ids[position], ids[position - 1]
                run_write(lambda: services.reorder_objectives(data.engine(), level, ids, author), None)
            if cols[1].button("Descendre", disabled=position == len(ids) - 1, key="move_down"):
                ids[position + 1], ids[position] = ids[position], ids[position + 1]
                run_write(lambda: services.reorder_objectives(data.engine(), level, ids, author), None)
            with cols[2].popover("Supprimer"):
                scope = ctx.all_actions[ctx.all_actions[f"{level}_code"] == current[f"{level}_code"]]
                if level == "oo":
                    scope = scope[scope["os_code"] == current["os_code"]]
                st.warning(md_escape(f"Supprimer {items[target]}{_with_actions(len(scope), 'et')} ? Le journal garde "
                                     "l'objectif et ses actions : « Annuler » dans le Journal les rétablit."))
                if st.button("Oui, supprimer", type="primary", key="confirm_delete_objective"):
                    expected = dict(zip(scope["id"].astype(int), scope["version"].astype(int), strict=True))
                    run_write(lambda: services.delete_objective(
                        data.engine(), level, target, author, expected_version=int(current[f"{level}_version"]),
                        expected_actions=expected), f"{items[target]} supprimé{_with_actions(len(scope), 'avec')}.")

    with tabs[4]:
        st.caption("Les documents donnent le chef de projet par son nom. Reliez chaque nom au compte de la personne : "
                   "elle pourra alors mettre à jour le taux, le statut, la santé et le commentaire de ses actions (page « Mes actions »). "
                   "Le lien est inscrit dans l'historique de chaque action.")
        leads = ctx.all_actions.dropna(subset=["project_lead"])
        if leads.empty:
            st.info("Aucune action de ce plan n'a de chef de projet.")
        else:
            with read_session(data.engine()) as session:
                choices = dict(accounts.accounts_for_plan(session, plan["id"]))
            linked = leads.groupby("project_lead")["lead_account_id"].agg(lambda v: sorted({int(x) for x in v.dropna()}))
            show_table(pd.DataFrame({
                "Chef de projet (document)": linked.index,
                "Actions": leads.groupby("project_lead").size().reindex(linked.index).tolist(),
                "Compte": [", ".join(choices.get(i, f"compte n° {i}") for i in ids) or "—" for ids in linked],
            }), hide_index=True, width="stretch")
            with st.form("lead_link_form"):
                name = st.selectbox("Chef de projet", list(linked.index), key="lead_name")
                account = st.selectbox("Compte", [None, *choices], format_func=lambda i: "Aucun (délier)" if i is None else choices[i],
                                       key="lead_account")
                if st.form_submit_button("Relier", type="primary"):
                    run_write(lambda: account_writes.link_lead(data.engine(), author, plan["id"], name, account),
                              f"« {name} » relié à {choices[account]}." if account else f"« {name} » n'est plus relié à un compte.")

            if leads["project_lead"].nunique() > 1:
                st.markdown("##### Un même chef de projet écrit de deux façons")
                groups = spelling_groups(linked.index)
                if groups:
                    st.caption(md_escape("Orthographes proches dans ce plan : "
                                         + " ; ".join(" / ".join(f"« {n} »" for n in group) for group in groups) + "."))
                else:
                    st.caption("Les documents écrivent parfois un nom de deux façons (« CRECHE », « CRÈCHE ») : "
                               "fusionnez-les pour que le plan compte une seule personne.")
                names = list(linked.index)
                # Suggested: keep the spelling most actions use, replace the other
                counts = leads["project_lead"].value_counts()
                first = sorted(groups[0], key=lambda n: -counts[n]) if groups else names[:2]
                with st.form("lead_merge_form"):
                    replaced = st.selectbox("Nom à remplacer", names, index=names.index(first[-1]), key="merge_replaced")
                    kept = st.selectbox("Nom à garder", names, index=names.index(first[0]), key="merge_kept")
                    if st.form_submit_button("Fusionner"):
                        run_write(lambda: services.merge_leads(data.engine(), author, plan["id"], replaced, kept),
                                  f"Les actions de « {replaced} » ont maintenant « {kept} » pour chef de projet. "
                                  "« Annuler » dans le Journal défait la fusion.")
