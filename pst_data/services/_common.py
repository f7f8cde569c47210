"""What the write services share: the result of a save, the status/taux rule, the checks of a
typed taux, action, text or comment, and the one update of an action's fields (``_update``) that
a single edit, the bulk table, a label given to many actions and an undo all go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from db.models import Action, OperationalObjective, Plan, StrategicObjective
from pst_data.actions import EDITABLE_FIELDS, action_values, apply_action_values
from pst_data.rules.validation import PlanChecker
from pst_data.rules.access import Change
from pst_data.rules.errors import ConflictError, EditError
from pst_data.uow import UnitOfWork

FINALISED = "Finalisé"
COMMENT_MAX = 500
LEVELS = {"os": StrategicObjective, "oo": OperationalObjective}
LEVEL_NAMES = {"os": "objectif stratégique", "oo": "objectif opérationnel"}


@dataclass
class SaveResult:
    action_id: int
    code: str
    version: int
    changed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    change_id: str | None = None
    status: str | None = None
    progress: int | None = None

    @property
    def suggests_finalising(self) -> bool:
        return suggests_finalising(self.status, self.progress)


# -- rules --------------------------------------------------------------------------------

def coherent_status_and_progress(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The rule tying status and taux, in one place.

    - Setting "Finalisé" sets the taux to 100 % (and says so).
    - A taux below 100 % on a finalised action takes it back to "En cours" (and says so).
    A taux of 100 % does not finalise by itself: ``suggests_finalising`` lets the page propose it.
    """
    changes = dict(changes)
    notices = []
    status = changes.get("status", current.get("status"))
    progress = changes.get("progress", current.get("progress"))
    if "status" in changes and status == FINALISED and progress != 100:
        changes["progress"] = 100
        notices.append("Statut « Finalisé » : le taux d'avancement passe à 100 %.")
    elif "progress" in changes and status == FINALISED and progress is not None and progress < 100:
        changes["status"] = "En cours"
        notices.append(f"Taux de {progress} % : le statut repasse de « Finalisé » à « En cours ».")
    return changes, notices


def suggests_finalising(status: str | None, progress: int | None) -> bool:
    return progress == 100 and status != FINALISED


def parse_progress(value: Any) -> int | None:
    """A taux as typed ("45", 45, "45 %", "" for none) -> int, or EditError in French. The
    plan-file rule, so a page, the bulk table, a file and the CLI give the same answer."""
    checker = PlanChecker()
    taux = checker.progress(value, "")
    if checker.errors:
        raise EditError([e[0].upper() + e[1:] for e in checker.errors], checker.fields)
    return taux


def validate_action(values: dict[str, Any], scale: list[str], prefix: str = "") -> dict[str, Any]:
    """Validate a whole action (plan-file shape) with the plan-file rules: the normalised
    action, or EditError with every French message and the fields they are about."""
    checker = PlanChecker()
    normalised = checker.action(values, "", set(scale))
    if checker.errors:
        raise EditError([prefix + (e.removeprefix(" › action ").split(" : ", 1)[-1] if " : " in e else e)
                         for e in checker.errors], checker.fields)
    return normalised


def _checked_text(value: str, label: str, limit: int) -> str:
    """The plan-file text rules (length, no NUL byte, no lone surrogate) for one value."""
    checker = PlanChecker()
    value = checker.text(value, "", label, limit=limit)
    if checker.errors:
        raise EditError(checker.errors)
    return value


def _comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise EditError([f"Commentaire trop long ({len(comment)} caractères, maximum {COMMENT_MAX})."])
    return _checked_text(comment, "Commentaire", COMMENT_MAX) if comment else None


def _plan_of(action: Action) -> Plan:
    return action.operational_objective.strategic_objective.plan


# -- action fields ------------------------------------------------------------------------

def _update(uow: UnitOfWork, action: Action, expected_version: int, changes: dict[str, Any],
            comment: str | None, kind: str = "update") -> SaveResult:
    """Validate ``changes`` on top of the action, check its version, apply, record."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise EditError([f"{'Champ non modifiable' if len(unknown) == 1 else 'Champs non modifiables'} : "
                         f"{', '.join(unknown)}."])
    if action.version != expected_version:
        raise ConflictError([uow.conflict("action", action.id, expected_version, action.code, action.version)])
    plan = _plan_of(action)
    for name in changes:  # refused before anything is compared: a lecteur gets no "nothing to save"
        uow.require(Change(plan.id, "action", kind, name, action.lead_account_id))
    current = action_values(action)
    changes, notices = coherent_status_and_progress(current, changes)
    merged = validate_action({**current, **changes}, list(plan.priority_scale or []), f"Action {action.code} : ")
    uow.lock_plan(plan.id)  # every write takes the plan first, then its rows: no deadlock
    new_version = uow.claim(Action, action.id, expected_version, action.code)
    uow.session.refresh(action, ["version"])
    applied = apply_action_values(uow.session, action, plan.id, {k: merged[k] for k in changes}, uow.new_label)
    if not applied:
        # Nothing differs: give the version back so nobody else gets a needless conflict.
        action.version = expected_version
    else:
        action.updated_at = uow.now
        action.updated_by = uow.author
        for name, old, new in applied:
            uow.record(plan.id, kind, name, old, new, code=action.code, entity_id=action.id,
                       comment=comment, version_after=new_version)
    uow.session.flush()
    return SaveResult(action.id, action.code, action.version, [n for n, _, _ in applied], notices,
                      uow.change_id, action.status, action.progress)


def _action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise EditError([f"L'action n° {action_id} n'existe plus (supprimée entre-temps ?). Rechargez la page."])
    return action


def _update_each(uow: UnitOfWork, action_ids: list[int], change_of, comment: str | None) -> list[SaveResult]:
    """One change over many actions: ``change_of(action)`` gives each its fields (read inside
    the write, so what someone changed meanwhile is kept), or None to leave it alone."""
    results = []
    for action_id in dict.fromkeys(action_ids):
        action = _action(uow.session, action_id)
        changes = change_of(action)
        if changes is not None:
            results.append(_update(uow, action, action.version, changes, comment))
    return [r for r in results if r.changed]
