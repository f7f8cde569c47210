"""Edit widgets: quick taux update, the full fiche form, conflicts and confirmations.

Every save calls pst_data.services (which validates, checks the version and records history);
this module only lays out widgets and reports what the service said.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from db.models import HEALTHS, STATUSES
from pst_data import services
from pst_data.rules.access import Actor
from pst_data.rules.fields import FIELD_LABELS
from pst_data.rules.formatting import fmt_date
from pst_data.rules.text import md_escape
from pst_data.services import ConflictError, EditError, SaveResult
from ui import auth, data

FLASH_KEY = "pst_flash"
PENDING_KEY = "pst_pending_conflict"
SUGGEST_KEY = "pst_suggest_finalise"


# -- who is editing -----------------------------------------------------------------------

def current_actor() -> Actor | None:
    """The logged-in account (from the session cookie, checked in the database): the history
    records it, and the write path checks its role. Never a typed name."""
    return auth.viewer().actor


def editor_box(plan_id: int) -> Actor | None:
    """Say who is editing, or why nothing can be edited here; returns the account when it may
    edit something in this plan (the write path checks each change again)."""
    actor = current_actor()
    if actor is None:
        st.caption("Consultation sans compte : connectez-vous pour modifier.")
        return None
    if actor.role == "lecteur" or not actor.sees(plan_id):
        st.caption(f"Connecté : {md_escape(actor.name)} ({actor.role_label}) : consultation seulement.")
        return None
    scope = "les actions dont vous êtes chef de projet" if actor.role == "chef" else "ce plan"
    st.caption(f"Vous modifiez {scope} en tant que **{md_escape(actor.name)}** ({actor.role_label}).")
    return actor


# -- messages that survive the rerun after a save -----------------------------------------

def flash(kind: str, text: str) -> None:
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        say(kind, text)


def say(kind: str, text: str) -> None:
    """A message box whose text is shown as written: messages carry user text (codes, values,
    names) and Streamlit's boxes render Markdown. Line breaks are kept."""
    box = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[kind]
    box("  \n".join(md_escape(line) for line in text.split("\n")))


def show_errors(errors: list[str], head: str | None = None, fields: list[str] | None = None) -> None:
    """A refused write's French messages, in one red box; ``fields`` (EditError.fields) are
    named first, so the person knows which boxes of the form to correct."""
    if fields and not head:
        head = "À corriger : " + ", ".join(f"« {FIELD_LABELS.get(f, f)} »" for f in fields)
    lines = ([head] if head else []) + [f"– {e}" if head else e for e in errors]
    say("error", "\n".join(lines))


BASE_PREFIX = "pst_base_version_"


def base_version(form_key: str, shown_version: int) -> int:
    """The version an edit form was first shown with. The live refresh may redraw the form with
    newer data while someone types; their save must still be checked against what they saw."""
    return st.session_state.setdefault(BASE_PREFIX + form_key, int(shown_version))


def forget_base_versions() -> None:
    for key in [k for k in st.session_state if str(k).startswith(BASE_PREFIX)]:
        del st.session_state[key]


def after_save(result: SaveResult, what: str) -> None:
    forget_base_versions()
    data.invalidate()
    if result.changed:
        flash("success", f"Enregistré : {what}.")
    else:  # « Enregistré » only when something was: say plainly that nothing changed
        flash("info", f"Rien à enregistrer ({result.code}) : les valeurs saisies sont déjà celles de la fiche.")
    for notice in result.notices:
        flash("info", notice)


def run_write(write: Callable[[], Any], success: str | None) -> None:
    """Call a write service whose refusal needs no re-apply button (labels, snapshots,
    structure): on refusal show its French messages; on success reload, flash ``success`` (if
    any) and rerun."""
    try:
        write()
    except EditError as exc:  # NotLoggedIn too: no account behind this session
        show_errors(exc.errors, fields=exc.fields)
        return
    data.invalidate()
    if success:
        flash("success", success)
    st.rerun()


def run_save(save: Callable[[], SaveResult], what: str, retry: dict | None = None) -> bool:
    """Call a service; on success flash and rerun; on refusal show the French message.

    ``retry`` describes how to re-apply the user's change on top of a newer version."""
    try:
        result = save()
    except ConflictError as exc:
        # Shown by edit_messages() on the rerun, with the buttons to re-apply or give up.
        st.session_state[PENDING_KEY] = {"conflicts": exc.conflicts, "retry": retry, "what": what}
        st.rerun()
    except EditError as exc:  # NotLoggedIn too: no account behind this session
        show_errors(exc.errors, fields=exc.fields)
        return False
    after_save(result, what)
    if "progress" in result.changed and result.suggests_finalising:
        st.session_state[SUGGEST_KEY] = {"action_id": result.action_id, "version": result.version,
                                         "code": result.code}
    st.rerun()
    return True


def edit_messages() -> None:
    """What the last save said (success, notices, conflict, finalise suggestion): call once per
    page, above its edit widgets."""
    show_flash()
    render_pending_conflict()
    render_finalise_suggestion()


def render_pending_conflict() -> None:
    pending = st.session_state.get(PENDING_KEY)
    if not pending:
        return
    for conflict in pending["conflicts"]:
        say("error", conflict.message())
    retry = pending.get("retry")
    cols = st.columns(2)
    if retry and len(pending["conflicts"]) == 1:
        conflict = pending["conflicts"][0]
        label = f"Réappliquer ma modification ({md_escape(pending['what'])})"
        if cols[0].button(label, key="retry_conflict", type="primary"):
            st.session_state.pop(PENDING_KEY, None)
            run_save(lambda: services.update_action(
                data.engine(), retry["action_id"], conflict.current_version, retry["changes"],
                current_actor(), retry.get("comment")), pending["what"])
    if cols[1].button("Abandonner ma modification", key="drop_conflict"):
        st.session_state.pop(PENDING_KEY, None)
        forget_base_versions()
        data.invalidate()
        st.rerun()


def render_finalise_suggestion() -> None:
    suggestion = st.session_state.get(SUGGEST_KEY)
    if not suggestion:
        return
    say("info", f"L'action {suggestion['code']} est à 100 % : passer son statut à « Finalisé » ?")
    cols = st.columns(2)
    if cols[0].button("Oui, passer à « Finalisé »", key="accept_finalise", type="primary"):
        st.session_state.pop(SUGGEST_KEY)
        run_save(lambda: services.update_action(data.engine(), suggestion["action_id"], suggestion["version"],
                                                {"status": "Finalisé"}, current_actor()),
                 f"{suggestion['code']} → Finalisé")
    if cols[1].button("Non, garder le statut", key="refuse_finalise"):
        st.session_state.pop(SUGGEST_KEY)
        st.rerun()


def table_columns() -> dict[str, Any]:
    """The columns the two edit tables (Mise à jour, Mes actions) share."""
    return {
        "Code": st.column_config.TextColumn("Code", width="small", pinned=True),
        "Action": st.column_config.TextColumn("Action", width="medium"),
        # Text, not a number column: the service judges exactly what was typed.
        "Taux": st.column_config.TextColumn("Taux (%)", width="small",
                                            help="Un nombre entier de 0 à 100 ; vide : sans taux."),
        "Statut": st.column_config.SelectboxColumn("Statut", options=list(STATUSES)),
    }


# -- quick edit ---------------------------------------------------------------------------

def quick_edit(action: dict[str, Any], key: str) -> None:
    """Taux (+ an optional note for the journal) of one action: the value, then « Enregistrer le taux ».
    Drawn only for someone who may change the taux (the page asks ``may_edit``)."""
    author = current_actor()
    form_key = f"quick_{key}_{action['id']}"
    version = base_version(form_key, action["version"])
    with st.form(form_key, border=True, enter_to_submit=True):
        st.markdown(f"**Mise à jour rapide — {md_escape(action['code'])}**")
        cols = st.columns([1, 3, 1], vertical_alignment="bottom")
        shown = taux_text(action["progress"])
        # A text field, not st.number_input: the browser would turn "7,5" into 75 and "1e2" into
        # 1 before the server sees them. The service judges exactly what was typed.
        typed = cols[0].text_input("Taux d'avancement (%)", value=shown, max_chars=20,
                                   key=f"quick_value_{key}_{action['id']}", placeholder="0 à 100")
        # A note in the journal beside this change, not the action's own « Commentaire ».
        comment = cols[1].text_input("Note pour le journal (facultatif)", max_chars=services.COMMENT_MAX,
                                     key=f"quick_comment_{key}_{action['id']}",
                                     help="Dit pourquoi le taux change ; elle accompagne ce changement dans le Journal.")
        submitted = cols[2].form_submit_button("Enregistrer le taux", type="primary", disabled=author is None)
    if submitted:
        if typed.strip() == shown and not comment.strip():
            say("info", f"Rien à enregistrer : le taux de {action['code']} est déjà "
                        f"{shown + ' %' if shown else 'non renseigné'}.")
            return
        # An emptied field means "no taux": the person cleared it on purpose.
        changes = {"progress": typed}
        what = f"{action['code']} → {typed.strip().removesuffix('%').strip() + ' %' if typed.strip() else 'sans taux'}"
        run_save(lambda: services.set_progress(data.engine(), int(action["id"]), version, typed, author, comment),
                 what, retry={"action_id": int(action["id"]), "changes": changes, "comment": comment})


def taux_text(progress: Any) -> str:
    """A stored taux as the text field shows it: "45", or "" when there is none."""
    return "" if progress is None or pd.isna(progress) else str(int(progress))


def number_text(value: Any) -> str:
    """A stored amount as people type it: 12345.5 -> "12345,5" (the service reads both)."""
    if value is None or pd.isna(value):
        return ""
    text = f"{value}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


# -- the full fiche form ------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _date_value(date: Any) -> dt.date | None:
    if date is None or (isinstance(date, float) and pd.isna(date)):
        return None
    return date


def fiche_form(fiche: dict[str, Any], plan: dict, labels: pd.DataFrame, services_known: list[str],
               key: str = "fiche") -> dict[str, Any] | None:
    """Every field of an action. Returns the changed fields when submitted, else None."""
    with st.form(f"{key}_{fiche.get('id', 'new')}", border=True):
        title = st.text_input("Intitulé", value=fiche["title"] or "", max_chars=500)
        description = st.text_area("Description", value=fiche["description"] or "", height=120)
        c1, c2, c3 = st.columns(3)
        scale = [None] + list(plan["priority_scale"])
        priority = c1.selectbox("Priorité", scale, index=scale.index(fiche["priority"]) if fiche["priority"] in scale else 0,
                                format_func=lambda p: p or "Aucune")
        statuses = [None, *STATUSES]
        status = c2.selectbox("Statut", statuses, index=statuses.index(fiche["status"]) if fiche["status"] in statuses else 0,
                              format_func=lambda s: s or "Non renseigné",
                              help="« Finalisé » met le taux à 100 %.")
        progress = c3.text_input("Taux d'avancement (%)", value=taux_text(fiche["progress"]), max_chars=20,
                                 placeholder="sans taux", help="Un nombre entier de 0 à 100.")
        label_names = labels["name"].tolist()
        c1, c2 = st.columns(2)
        chosen_labels = c1.multiselect("Labels", label_names, default=[l for l in fiche["labels"] if l in label_names])
        actor = current_actor()
        if actor is not None and actor.is_admin:  # a label definition is shared by every plan: the admin's
            new_labels = c2.text_input("Nouveaux labels (séparés par des virgules)", placeholder="ex. Plan climat",
                                       help="Un label créé ici sert à tous les plans ; « ppi » désigne le label « PPI ».")
        else:
            new_labels = ""
            c2.caption("Un label manque ? Un administrateur le crée (page « Labels »), pour tous les plans.")
        c1, c2 = st.columns(2)
        chosen_services = c1.multiselect("Services impliqués", sorted(set(services_known) | set(fiche["services"])),
                                         default=fiche["services"])
        new_services = c2.text_input("Autres services (séparés par des virgules)")
        c1, c2 = st.columns(2)
        lead = c1.text_input("Chef de projet", value=fiche["project_lead"] or "", max_chars=300)
        department = c2.text_input("Département", value=fiche["department"] or "", max_chars=300)
        partners = st.text_area("Partenaires (un par ligne)", value="\n".join(fiche["partners"]), height=80)
        c1, c2 = st.columns(2)
        start = c1.date_input("Début", value=_date_value(fiche.get("start_date")), format="DD/MM/YYYY",
                              help=f"Texte du document : {md_escape(fiche['start'])}" if fiche.get("start") else None)
        end = c2.date_input("Fin (échéance)", value=_date_value(fiche.get("end_date")), format="DD/MM/YYYY",
                            help=f"Texte du document : {md_escape(fiche['end'])}" if fiche.get("end") else None)
        c1, c2, c3 = st.columns(3)
        # Text fields for the same reason as the taux: the server reads what was typed.
        budget = c1.text_input("Budget (€)", value=number_text(fiche["budget"]), max_chars=30,
                               placeholder="ex. 12 500,50")
        staff = c2.text_input("ETP", value=number_text(fiche["staff_fte"]), max_chars=20, placeholder="ex. 1,5")
        weight = c3.text_input("Poids dans les moyennes", value=number_text(fiche["weight"] if fiche["weight"] is not None else 1),
                               max_chars=20, help="1 par défaut ; 0 exclut l'action des moyennes.")
        c1, c2 = st.columns(2)
        budget_text = c1.text_area("Budget (précisions)", value=fiche["budget_text"] or "", height=68)
        staff_text = c2.text_area("Ressources humaines (précisions)", value=fiche["staff_text"] or "", height=68)
        risks = st.text_area("Risques (un par ligne)", value="\n".join(fiche["risks"]), height=80)
        deliverables = st.text_area("Livrables", value=fiche["deliverables"] or "", height=68)
        st.markdown("Indicateurs")
        indicators = st.data_editor(  # empty cells empty, not « None »
            pd.DataFrame(fiche["indicators"] or [], columns=["label", "target", "reached"]),
            num_rows="dynamic", width="stretch", key=f"{key}_indicators_{fiche.get('id', 'new')}", placeholder="",
            column_config={"label": st.column_config.TextColumn("Indicateur", required=True),
                           "target": st.column_config.TextColumn("Cible"),
                           "reached": st.column_config.TextColumn("Valeur atteinte")})
        st.markdown("Sous-actions")
        subs = st.data_editor(  # empty cells empty, not « None »
            pd.DataFrame([{k: s.get(k) for k in ("code", "title", "evaluation")} for s in fiche["sub_actions"]],
                         columns=["code", "title", "evaluation"]),
            num_rows="dynamic", width="stretch", key=f"{key}_subs_{fiche.get('id', 'new')}", placeholder="",
            column_config={"code": st.column_config.TextColumn("Code", required=True),
                           "title": st.column_config.TextColumn("Sous-action", required=True),
                           "evaluation": st.column_config.TextColumn("Évaluation")})
        context = st.text_area("Contexte", value=fiche["context"] or "", height=68)
        evaluation = st.text_area("Évaluation", value=fiche["evaluation"] or "", height=68)
        health, health_reason = health_inputs(fiche)
        with_commune = st.checkbox("Synergie Ville–CPAS (action menée avec la commune, ou partagée avec elle)",
                                   value=bool(fiche.get("with_commune")))
        comment = st.text_area("Commentaire de l'action", value=fiche["comment"] or "", height=68)
        submitted = st.form_submit_button("Enregistrer la fiche", type="primary")
    if not submitted:
        return None

    def dated(picked, old_date, old_text):
        # Keep the document's wording when the user left the date as it was.
        if picked == _date_value(old_date):
            return old_text
        return fmt_date(picked) if picked else None

    descriptions = {s["code"]: s.get("description") for s in fiche["sub_actions"]}
    typed_numbers = {"progress": (progress, taux_text(fiche["progress"])),
                     "budget": (budget, number_text(fiche["budget"])),
                     "staff_fte": (staff, number_text(fiche["staff_fte"])),
                     "weight": (weight, number_text(fiche["weight"] if fiche["weight"] is not None else 1))}
    values = {
        "title": title, "description": description or None, "priority": priority, "status": status,
        "labels": list(dict.fromkeys(chosen_labels + [n.strip() for n in new_labels.split(",") if n.strip()])),
        "services": list(dict.fromkeys(chosen_services + [n.strip() for n in new_services.split(",") if n.strip()])),
        "project_lead": lead or None, "department": department or None, "partners": _lines(partners),
        "start": dated(start, fiche.get("start_date"), fiche["start"]),
        "end": dated(end, fiche.get("end_date"), fiche["end"]),
        "budget_text": budget_text or None,
        "staff_text": staff_text or None, "risks": _lines(risks), "deliverables": deliverables or None,
        "indicators": [{"label": r["label"], "target": r["target"] or None, "reached": r["reached"] or None}
                       for r in indicators.fillna("").to_dict("records") if str(r["label"]).strip()],
        # The table has no description column: each sub-action keeps its own, by code.
        "sub_actions": [{"code": str(r["code"]).strip(), "title": str(r["title"]).strip(),
                         "description": descriptions.get(str(r["code"]).strip()),
                         "evaluation": r["evaluation"] or None}
                        for r in subs.fillna("").to_dict("records") if str(r["title"]).strip()],
        "context": context or None, "evaluation": evaluation or None, "comment": comment or None,
        "health": health, "health_reason": health_reason.strip() or None, "with_commune": with_commune,
    }
    changed = {k: v for k, v in values.items() if not _same(v, fiche.get(k))}
    # A number field left as it was shown is no change; anything else goes to the service as typed.
    changed.update({k: typed.strip() for k, (typed, shown) in typed_numbers.items() if typed.strip() != shown})
    return changed


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, float) and isinstance(old, (int, float)):
        return float(old) == new
    if isinstance(new, list) and isinstance(old, list) and new and isinstance(new[0], dict):
        return [{k: v for k, v in d.items() if v is not None} for d in new] == \
               [{k: v for k, v in d.items() if v is not None} for d in old]
    return new == old


# -- who may edit what (the write path decides; these only choose the controls) -------------

def lead_of(row: dict[str, Any]) -> int | None:
    lead = row.get("lead_account_id")
    return None if lead is None or pd.isna(lead) else int(lead)


def may_edit_action(plan_id: int, row: dict[str, Any]) -> bool:
    actor = current_actor()
    return actor is not None and actor.may_edit_action(plan_id, lead_of(row))


def health_inputs(fiche: dict[str, Any]) -> tuple[str | None, str]:
    """Santé and its reason, inside a form."""
    c1, c2 = st.columns([1, 3])
    choices = [None, *HEALTHS]
    health = c1.selectbox("Santé", choices, index=choices.index(fiche.get("health")) if fiche.get("health") in choices else 0,
                          format_func=lambda h: h or "Non renseignée",
                          help="Comment va l'action ? Sauf « Bon », dites pourquoi.")
    reason = c2.text_input("Raison (santé)", value=fiche.get("health_reason") or "", max_chars=2000,
                           placeholder="ex. marché public relancé, congé de maladie…")
    return health, reason


def chef_form(fiche: dict[str, Any], key: str = "chef") -> dict[str, Any] | None:
    """What a chef de projet may change on an action they lead: taux, status, health, comment.
    Returns the changed fields when submitted, else None."""
    with st.form(f"{key}_{fiche['id']}", border=True):
        c1, c2 = st.columns(2)
        statuses = [None, *STATUSES]
        status = c1.selectbox("Statut", statuses, index=statuses.index(fiche["status"]) if fiche["status"] in statuses else 0,
                              format_func=lambda s: s or "Non renseigné", help="« Finalisé » met le taux à 100 %.")
        shown = taux_text(fiche["progress"])
        progress = c2.text_input("Taux d'avancement (%)", value=shown, max_chars=20, placeholder="sans taux")
        health, reason = health_inputs(fiche)
        comment = st.text_area("Commentaire de l'action", value=fiche["comment"] or "", height=100)
        if not st.form_submit_button("Enregistrer la mise à jour", type="primary"):
            return None
    changes: dict[str, Any] = {}
    if health != fiche.get("health"):
        changes["health"] = health
    if (reason.strip() or None) != (fiche.get("health_reason") or None):
        changes["health_reason"] = reason.strip() or None
    if status != fiche["status"]:
        changes["status"] = status
    if progress.strip() != shown:
        changes["progress"] = progress.strip()
    if (comment.strip() or None) != (fiche["comment"] or None):
        changes["comment"] = comment.strip() or None
    return changes
