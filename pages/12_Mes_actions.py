"""Mes actions: a chef de projet's actions across their plans, updated in one table, one save;
those to update before the next Bureau first."""

import streamlit as st

from db.limits import HEALTHS
from pst_data import services
from pst_data.bulk import MY_COLUMNS, my_editor_frame, row_edits, to_do_text
from pst_data.rules.formatting import fmt_date, fmt_percent, plural
from pst_data.rules.means import missing
from pst_data.rules.text import md_escape
from pst_data.services import EditError
from ui import data
from ui.editing import current_actor, edit_messages, flash, show_errors, table_columns
from ui.frame import login_link, page_frame

MY_PIN = "pst_my_actions_pin"
MY_CONFLICTS = "pst_my_actions_conflicts"

ctx = page_frame("Mes actions", icon="✅", live=False)  # a table being edited must not redraw
st.title("Mes actions")
edit_messages()
actor = current_actor()
if actor is None:
    st.info("« Mes actions » montre les actions dont vous êtes chef de projet : connectez-vous.",
            icon=":material/lock:")
    login_link()
    st.stop()

mine = data.my_actions(actor.account_id, actor.plan_ids, data.revision_key(), ctx.today)
if mine.empty:
    st.info("Aucune action n'est reliée à votre compte. Un directeur relie le nom du chef de projet d'une action à "
            "votre compte (Mise à jour → « Chefs de projet »).")
    st.stop()

for (organisation, next_bureau), group in mine.groupby(["organisation", "next_bureau"], sort=False, dropna=False):
    due = int(group["to_update"].sum())
    when = f"prochain Bureau le {fmt_date(next_bureau)}" if next_bureau is not None and next_bureau == next_bureau \
        else "aucun Bureau à venir au calendrier"
    st.markdown(md_escape(f"{organisation} · {when} · {plural(due, 'action')} à mettre à jour sur {len(group)}"))

# The full titles, wrapped, the most urgent first (a table cell would cut them): what each action
# needs, in the table's order.
with st.container(key="my_actions_list"):
    for row in mine.to_dict("records"):
        st.markdown("**" + md_escape(f"{row['code']} · {row['title']}") + "**  \n"
                    + md_escape(f"{to_do_text(row, ctx.today)} · taux "
                                + (fmt_percent(row["progress"], 0) if not missing(row["progress"]) else "non renseigné")
                                + (f" · échéance {fmt_date(row['end_date'])}" if not missing(row["end_date"]) else "")))
st.caption("Modifiez le taux, le statut, la santé (et sa raison) ou le commentaire, puis « Enregistrer mes actions » : "
           "une seule fois pour tout le tableau. Une cellule invalide : rien n'est enregistré et la cellule est nommée.")

pending = st.session_state.pop(MY_CONFLICTS, None)
if pending:
    show_errors([c.message() for c in pending],
                head="Ces cellules n'ont pas été enregistrées : quelqu'un les a changées pendant votre saisie.")

# The rows and versions shown are kept until the person saves: a save by someone else must not
# redraw the table under their cells (bulk_update merges, and names any cell both changed).
pin = st.session_state.get(MY_PIN)
if pin is None or pin["account_id"] != actor.account_id:
    pin = {"account_id": actor.account_id, "mine": mine.copy(), "generation": (pin or {}).get("generation", 0) + 1}
    st.session_state[MY_PIN] = pin
elif not pin["mine"][["id", "version"]].equals(mine[["id", "version"]]):
    st.warning("Certaines de vos actions ont été modifiées par quelqu'un d'autre depuis l'ouverture du tableau. "
               "Vos cellules seront fusionnées avec ses modifications à l'enregistrement.", icon=":material/sync_problem:")
    if st.button("Recharger le tableau (efface vos cellules non enregistrées)", key="my_actions_reload"):
        st.session_state.pop(MY_PIN, None)
        st.rerun()
key = f"my_actions_{pin['generation']}"
several = pin["mine"]["plan_id"].nunique() > 1
shown = my_editor_frame(pin["mine"], several, ctx.today)
with st.form("my_actions_form", border=False):
    st.data_editor(
        shown, key=key, hide_index=True, width="stretch", placeholder="",
        disabled=[c for c in shown.columns if c not in MY_COLUMNS],
        column_config={
            **table_columns(),
            "À faire": st.column_config.TextColumn("À faire", width="medium"),
            "Santé": st.column_config.SelectboxColumn(
                "Santé", options=list(HEALTHS),
                help="Comment va l'action ? Sauf « Bon », dites pourquoi dans « Raison (santé) »."),
            "Raison (santé)": st.column_config.TextColumn("Raison (santé)", width="medium"),
            "Commentaire": st.column_config.TextColumn("Commentaire", width="medium"),
        })
    submitted = st.form_submit_button("Enregistrer mes actions", type="primary")
if submitted:
    edits = row_edits(pin["mine"], st.session_state[key]["edited_rows"], MY_COLUMNS)
    if not edits:
        st.info("Aucune cellule modifiée.")
    else:
        try:
            result = services.bulk_update(data.engine(), edits, actor)
        except EditError as exc:
            show_errors(exc.errors, head="Rien n'a été enregistré :")
        else:
            data.invalidate()
            st.session_state.pop(MY_PIN, None)  # redraw from the saved state, with the new versions
            if result.saved:
                flash("success", f"{plural(len(result.saved), 'action')} "
                      f"enregistrée{'s' if len(result.saved) > 1 else ''} : "
                      + ", ".join(r.code for r in result.saved) + ".")
                for saved in result.saved:
                    for notice in saved.notices:
                        flash("info", f"{saved.code} : {notice}")
            elif not result.conflicts:
                flash("info", "Rien à enregistrer : les valeurs saisies sont déjà celles des fiches.")
            if result.conflicts:
                st.session_state[MY_CONFLICTS] = result.conflicts
            st.rerun()
