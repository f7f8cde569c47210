"""Importing a plan file, where an admin or a directeur does it (Administration, and the first
page of an empty instance): the file, what it would change (a new plan: its whole tree),
« Importer », then a link to the plan. Laying out only: the rules are pst_data's."""

from __future__ import annotations

from urllib.parse import quote

import streamlit as st

from pst_data.exchange.files import ACCEPTED_EXTENSIONS, read_plan_data
from pst_data.exchange.plan_file import PlanFileError, notice_lines
from pst_data.importer import DatabasePlans
from pst_data.rules.access import Actor
from pst_data.rules.formatting import plural
from pst_data.services import EditError
from pst_data.services.imports import import_plan, preview_import
from pst_data.aggregates import plan_tree
from ui import data
from ui.components import show_table
from ui.editing import flash, show_errors

FROM_FILE = ""  # the target « the plan the file names » (a new plan, or an update)
IMPORTED = "pst_imported_plan"  # the plan just imported: « Ouvrir ce plan » on the next run


def import_box(actor: Actor, targets: dict[str, str], index: int = 0) -> None:
    engine = data.engine()
    just_imported = st.session_state.pop(IMPORTED, None)
    if just_imported:
        st.markdown(f'<a href="/?plan={quote(just_imported)}" target="_self">Ouvrir ce plan</a>',
                    unsafe_allow_html=True)  # our own URL-quoted identifier, never user text
    target = st.selectbox("Importer dans", list(targets), format_func=targets.get, key="import_target", index=index)
    upload = st.file_uploader("Fichier du plan : classeur Excel (.xlsx), XML eComptes (.xml), YAML ou JSON",
                              type=list(ACCEPTED_EXTENSIONS), key="plan_upload")
    if upload is None:
        return
    try:
        notices: list[str] = []
        plan_data = read_plan_data(upload.getvalue(), upload.name, slug=target or None, known=DatabasePlans(engine),
                                   notices=notices)
        preview = preview_import(engine, plan_data, actor)
    except PlanFileError as exc:
        show_errors(exc.errors, head=f"Fichier refusé ({upload.name}) : rien n'a été importé.")
        return
    except EditError as exc:
        show_errors(exc.errors)
        return
    st.text(preview.text())  # plain text: the file's titles are shown as written
    if notices:
        st.warning(f"{plural(len(notices), 'valeur')} du fichier {'sera reprise' if len(notices) == 1 else 'seront reprises'} "
                   "autrement qu'écrit (arrondi) : vérifiez-les avant d'importer.")
        st.text("\n".join(notice_lines(notices)))
    if preview.report.created:
        tree = plan_tree(plan_data)
        counts = tree["Niveau"].value_counts()
        st.caption(f"Le nouveau plan : {plural(int(counts.get('OS', 0)), 'objectif stratégique', 'objectifs stratégiques')}, "
                   f"{plural(int(counts.get('OO', 0)), 'objectif opérationnel', 'objectifs opérationnels')}, "
                   f"{plural(int(counts.get('Action', 0)), 'action')}.")
        show_table(tree, hide_index=True, width="stretch")
    confirmed = True
    if preview.removals:
        removed = plural(len(preview.removals), "élément")
        st.warning(f"Cet import supprimerait {removed} absent{'s' if len(preview.removals) > 1 else ''} du fichier "
                   "(listés ci-dessus) : le journal les garde.", icon=":material/delete:")
        confirmed = st.checkbox(f"Je confirme la suppression de {removed}", key="confirm_removals")
    if preview.report.changed and st.button("Importer", type="primary", disabled=not confirmed, key="import_button"):
        try:
            report = import_plan(engine, plan_data, actor)
        except EditError as exc:
            show_errors(exc.errors)
        else:
            data.invalidate()
            flash("success", report.summary())
            st.session_state[IMPORTED] = report.slug
            st.rerun()
