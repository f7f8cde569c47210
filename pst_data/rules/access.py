"""Who may do what: the roles and their rights, as plain Python (no database, no Streamlit).

| role      | may                                                                                  |
|-----------|--------------------------------------------------------------------------------------|
| lecteur   | read the plans they can see                                                          |
| chef      | update taux, status, health and comment of the actions they lead (linked to account) |
| directeur | everything inside the plans they direct: fields, structure, labels on actions,       |
|           | snapshots, reports, Bureau links, linking chefs de projet to accounts, imports of    |
|           | their plan (from a file)                                                             |
| admin     | accounts, new plans, label definitions, settings, publishing; across plans           |

The unit of work asks ``refusal(actor, change)`` for every history row it records, so no write
reaches the database without a role that allows it, wherever it comes from; pages only use the
same questions to decide which controls to draw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.limits import LOGIN_MAX, PASSWORD_MAX, PASSWORD_MIN, ROLES
from pst_data.rules.text import has_invalid_character

ROLE_LABELS = {"lecteur": "Lecteur", "chef": "Chef de projet", "directeur": "Directeur", "admin": "Administrateur"}
# What a chef de projet may change on the actions they lead.
CHEF_FIELDS = frozenset({"progress", "status", "comment", "health", "health_reason", "measure"})
# Writes no directeur makes: shared across plans, or about the instance itself.
ADMIN_ENTITIES = frozenset({"label", "account", "plan", "setting"})

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]*$")


@dataclass(frozen=True)
class Actor:
    """An authenticated account, as the write path and the pages see it. ``plan_ids`` None:
    every plan."""

    account_id: int
    login: str
    name: str
    role: str
    plan_ids: frozenset[int] | None = None
    must_change_password: bool = False

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def sees(self, plan_id: int) -> bool:
        return self.plan_ids is None or plan_id in self.plan_ids

    def directs(self, plan_id: int) -> bool:
        return self.role == "admin" or (self.role == "directeur" and self.sees(plan_id))

    def leads(self, plan_id: int, lead_account_id: int | None) -> bool:
        return self.role == "chef" and self.sees(plan_id) and lead_account_id == self.account_id

    def may_edit_action(self, plan_id: int, lead_account_id: int | None) -> bool:
        """Some field of this action (the pages draw the quick edit for these)."""
        return self.directs(plan_id) or self.leads(plan_id, lead_account_id)

    def may_edit_field(self, plan_id: int, lead_account_id: int | None, field: str) -> bool:
        return self.directs(plan_id) or (self.leads(plan_id, lead_account_id) and field in CHEF_FIELDS)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Change:
    """One recorded change, as the unit of work describes it to the rules."""

    plan_id: int | None
    entity: str  # action | os | oo | label | snapshot | account | plan | setting | bureau_link
    kind: str  # create | update | delete | undo | import
    field: str = ""
    lead_account_id: int | None = None  # the action's chef de projet account, for entity "action"
    origin: str | None = None  # "import"


def _import_refusal(actor: Actor, change: Change) -> str | None:
    """An import: an admin's, or a directeur's into a plan they direct (not a new plan)."""
    if actor.role != "directeur":
        return "Seul un administrateur, ou un directeur pour son plan, peut importer un plan."
    if change.entity == "plan" and change.kind == "create":
        return ("Seul un administrateur peut créer un nouveau plan ; un directeur met à jour, par import, "
                "le plan qu'il dirige.")
    if change.plan_id is not None and not actor.sees(change.plan_id):
        return "Votre compte n'a pas accès à ce plan : rien n'a été importé."
    return None


def refusal(actor: Actor, change: Change) -> str | None:
    """None if ``actor`` may make ``change``; else the French reason (nothing is then saved)."""
    if actor.must_change_password:
        return "Changez d'abord le mot de passe reçu (page « Mon compte ») : rien n'a été enregistré."
    if actor.role == "admin":
        return None
    if change.origin == "import" or change.kind == "import":
        reason = _import_refusal(actor, change)
        if reason or change.entity != "label":  # a label definition stays the admin's, even by import
            return reason
    if change.entity in ADMIN_ENTITIES:
        return {
            "label": "Seul un administrateur peut créer ou modifier la définition d'un label (partagée par tous les plans).",
            "account": "Seul un administrateur peut gérer les comptes.",
            "setting": "Seul un administrateur peut changer les réglages.",
        }.get(change.entity, "Seul un administrateur peut modifier les réglages d'un plan.")
    if change.plan_id is not None and not actor.sees(change.plan_id):
        return "Votre compte n'a pas accès à ce plan."
    if actor.role == "directeur":
        return None
    if actor.role == "chef":
        if change.entity != "action" or change.kind not in ("update", "undo"):
            return "Un chef de projet met à jour ses actions ; la structure du plan revient au directeur."
        if change.lead_account_id != actor.account_id:
            return "Vous n'êtes pas le chef de projet de cette action : seul son chef de projet ou un directeur peut la modifier."
        if change.field not in CHEF_FIELDS:
            return ("Un chef de projet modifie le taux, le statut, la santé et le commentaire de ses actions ; "
                    "les autres champs reviennent au directeur.")
        return None
    return "Votre rôle (lecteur) permet de consulter, pas de modifier."


# -- account fields -------------------------------------------------------------------------

def normalise_login(login: str | None) -> str:
    return (login or "").strip().lower()


def login_problem(login: str) -> str | None:
    if not login:
        return "Indiquez un identifiant."
    if len(login) > LOGIN_MAX:
        return f"Identifiant trop long ({len(login)} caractères, maximum {LOGIN_MAX})."
    if not LOGIN_PATTERN.match(login):
        return ("Identifiant invalide : lettres minuscules sans accent, chiffres et . _ @ - "
                "(ex. marie.dupont).")
    return None


def role_problem(role: str) -> str | None:
    return None if role in ROLES else f"Rôle inconnu « {role} » (attendu : {', '.join(ROLES)})."


def password_problems(password: str, login: str = "", name: str = "") -> list[str]:
    """The password policy, in French: long rather than complicated (ANSSI, NIST 800-63B)."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(f"Mot de passe trop court : au moins {PASSWORD_MIN} caractères.")
    if len(password) > PASSWORD_MAX:
        problems.append(f"Mot de passe trop long (maximum {PASSWORD_MAX} caractères).")
    if has_invalid_character(password):
        problems.append("Le mot de passe contient un caractère invalide.")
    lowered = password.lower()
    if login and login.lower() in lowered or name and name.strip() and name.strip().lower() in lowered:
        problems.append("Le mot de passe ne peut pas contenir votre identifiant ni votre nom.")
    if password and len(set(password)) < 4:
        problems.append("Mot de passe trop simple (trop peu de caractères différents).")
    return problems
