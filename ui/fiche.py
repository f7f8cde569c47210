"""An action's fiche: every field, labels as coloured tags, Belgian dates, its history.

Every field is the plan's text: shown with md_escape where Streamlit renders Markdown (titles,
captions, metrics, paragraphs); table cells show text as it is."""

from __future__ import annotations


import pandas as pd
import streamlit as st

from pst_data.actions import FIELD_LABELS
from pst_data.rules.follow_up import health_text
from pst_data.rules.formatting import EMPTY, fmt_date, fmt_datetime, fmt_euro, fmt_number, fmt_percent
from pst_data.rules.indicators import indicator_row
from pst_data.rules.text import md_escape
from pst_data.aggregates import changes_table
from ui.components import label_tags, show_table


def _date(text: str | None, date) -> str:
    if not text:
        return EMPTY
    shown = fmt_date(date) if date is not None else None
    return text if shown is None or shown == text else f"{text} ({shown})"


def render_fiche(fiche: dict, history: pd.DataFrame, labels: pd.DataFrame, freshness: str | None = None,
                 measured: list[dict] | None = None) -> None:
    """``freshness``: « mise à jour il y a 12 jours » / « non mise à jour depuis 75 jours »."""
    st.markdown(f"### {md_escape(fiche['code'])} — {md_escape(fiche['title'])}")
    st.caption(f"OS {md_escape(fiche['os_code'])} · {md_escape(fiche['os_title'])}  ›  "
               f"OO {md_escape(fiche['oo_code'])} · {md_escape(fiche['oo_title'])}")
    if fiche["labels"]:
        st.markdown(label_tags(fiche["labels"], labels), unsafe_allow_html=True)

    cols = st.columns(4)
    cols[0].metric("Taux d'avancement", fmt_percent(fiche["progress"], 0))
    # A metric's value is Markdown too.
    cols[1].metric("Statut", md_escape(fiche["status"]) or "Non renseigné")
    cols[2].metric("Priorité", md_escape(fiche["priority"]) or "—")
    cols[3].metric("Échéance", fmt_date(fiche["end_date"]) if fiche["end_date"] else (md_escape(fiche["end"]) or EMPTY))

    rows = [
        ("Santé", health_text(fiche.get("health"), fiche.get("health_reason"))),
        ("Synergie Ville–CPAS", "oui : menée avec la commune ou partagée avec elle" if fiche.get("with_commune") else "non"),
        ("Chef de projet", fiche["project_lead"]),
        ("Département", fiche["department"]),
        ("Services impliqués", ", ".join(fiche["services"])),
        ("Partenaires", ", ".join(fiche["partners"])),
        ("Début", _date(fiche["start"], fiche["start_date"])),
        ("Fin", _date(fiche["end"], fiche["end_date"])),
        ("Budget", fmt_euro(fiche["budget"]) if fiche["budget"] is not None else fiche["budget_text"]),
        ("ETP", fmt_number(fiche["staff_fte"], 2) if fiche["staff_fte"] is not None else fiche["staff_text"]),
        ("Livrables", fiche["deliverables"]),
        ("Poids dans les moyennes", fmt_number(fiche["weight"], 2)),
        ("Dernière modification", f"{fmt_datetime(fiche['updated_at'])} par {fiche['updated_by'] or '—'}"
                                  + (f" ({freshness})" if freshness else "")),
    ]
    if fiche["budget"] is not None and fiche["budget_text"]:
        rows.insert(9, ("Budget (texte)", fiche["budget_text"]))
    show_table(pd.DataFrame([(k, v or EMPTY) for k, v in rows], columns=["Champ", "Valeur"]),
                 hide_index=True, width="stretch")

    for key in ("description", "context", "evaluation", "comment"):
        if fiche[key]:
            st.markdown(f"**{FIELD_LABELS[key]}**")
            st.markdown(md_escape(fiche[key], multiline=True))
    if fiche["risks"]:
        st.markdown("**Risques**")
        st.markdown("\n".join(f"- {md_escape(r)}" for r in fiche["risks"]))
    if fiche["indicators"]:
        st.markdown("**Indicateurs**")
        show_table(pd.DataFrame([{"Indicateur": i["label"], "Cible": i.get("target") or EMPTY,
                                    "Atteint": i.get("reached") or EMPTY} for i in fiche["indicators"]]),
                     hide_index=True, width="stretch")
    if measured:
        st.markdown("**Indicateurs mesurés**")
        show_table(pd.DataFrame([indicator_row(i) for i in measured]), hide_index=True, width="stretch")
        st.caption("Mesures, courbes et saisie : page « Indicateurs ».")
    if fiche["sub_actions"]:
        st.markdown("**Sous-actions**")
        show_table(pd.DataFrame([{"Code": s["code"], "Sous-action": s["title"],
                                    "Évaluation": s.get("evaluation") or ""} for s in fiche["sub_actions"]]),
                     hide_index=True, width="stretch")
    st.markdown("**Historique**")
    if history.empty:
        st.caption("Aucun changement enregistré.")
    else:
        show_table(changes_table(history.assign(action_code=fiche["code"])),
                     hide_index=True, width="stretch")
