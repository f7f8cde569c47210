"""The refusals of PST Pilot, in French (plain Python: pages, CLI and services share them)."""

from __future__ import annotations

from dataclasses import dataclass


class EditError(ValueError):
    """A refused write; ``errors`` are French sentences for the user, ``fields`` the action
    fields they are about (plan-file keys: "progress", "budget"…), so a form can point at them.
    Nothing was written."""

    def __init__(self, errors: list[str], fields: list[str] | None = None):
        self.errors = errors
        self.fields = list(fields or [])
        super().__init__(" ".join(errors))


class NotLoggedIn(EditError):
    """A write asked by a page whose session has no account (logged out meanwhile, or never
    logged in): refused in French like any other refusal; nothing was written."""

    def __init__(self) -> None:
        super().__init__(["Connectez-vous pour modifier : rien n'a été enregistré."])


ELEMENT_NAMES = {
    "action": "L'action {code} a été modifiée",
    "os": "L'objectif stratégique {code} a été modifié",
    "oo": "L'objectif opérationnel {code} a été modifié",
}


@dataclass
class Conflict:
    """Someone saved the same element since the version the user started from."""

    code: str
    expected_version: int
    current_version: int
    # What the others changed since the user's version: (when, who, field label, old, new).
    their_changes: list[tuple[str, str, str, str | None, str | None]]
    entity: str = "action"

    def message(self) -> str:
        subject = ELEMENT_NAMES.get(self.entity, "L'élément {code} a été modifié").format(code=self.code)
        lines = [f"{subject} par quelqu'un d'autre pendant votre saisie ; "
                 "votre modification n'a pas été enregistrée."]
        for when, who, label, old, new in self.their_changes:
            lines.append(f"{when} — {who} : {label} « {old or '—'} » → « {new or '—'} »")
        return "\n".join(lines)


class ConflictError(EditError):
    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        super().__init__([c.message() for c in conflicts])
