"""The French names of an action's fields, for messages, history and exports (plain Python)."""

from __future__ import annotations

FIELD_LABELS = {
    "code": "Code",
    "title": "Intitulé",
    "description": "Description",
    "priority": "Priorité",
    "labels": "Labels",
    "services": "Services impliqués",
    "partners": "Partenaires",
    "project_lead": "Chef de projet",
    "department": "Département",
    "start": "Début",
    "end": "Fin",
    "status": "Statut",
    "progress": "Taux d'avancement",
    "indicators": "Indicateurs",
    "budget": "Budget (€)",
    "budget_text": "Budget (texte)",
    "staff_fte": "ETP",
    "staff_text": "Ressources humaines (texte)",
    "risks": "Risques",
    "deliverables": "Livrables",
    "context": "Contexte",
    "evaluation": "Évaluation",
    "comment": "Commentaire",
    "weight": "Poids",
    "sub_actions": "Sous-actions",
    "operational_objective": "Objectif opérationnel",
    "action": "Action",
    "organisation": "Organisation",
    "axis": "Axe",
    "source": "Source",
    "document": "Document",
    "priority_scale": "Échelle de priorités",
    "notes": "Notes",
    "objective": "Objectif",
    "position": "Ordre",
    "label_name": "Nom du label",
    "label_colour": "Couleur du label",
    "label_description": "Description du label",
    "snapshot": "Instantané",
    "lead_account": "Compte du chef de projet",
}

# The plan's own fields (import preview, change log).
PLAN_FIELD_LABELS = {
    "organisation": "Organisation", "ins_code": "Code INS", "title": "Intitulé du plan", "document": "Document",
    "source": "Source", "priority_scale": "Échelle des priorités", "evaluation_bands": "Bandes d'évaluation",
    "stated_totals": "Totaux annoncés", "notes": "Notes", "period_start": "Première année",
    "period_end": "Dernière année",
}
