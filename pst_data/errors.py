"""The refusals of PST Pilot, in French (plain Python: pages, CLI and services share them)."""

from __future__ import annotations


class EditError(ValueError):
    """A refused write; ``errors`` are French sentences for the user. Nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(" ".join(errors))
