"""The old names of the writes that moved to pst_data/services/ (``accounts.log_in``,
``meetings.add_meeting``…), still answered by the modules that keep their subject's reads."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any


def moved_names(module: str, service: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module's ``__getattr__`` (PEP 562) that finds ``names`` in ``service`` on first use:
    importing the service at the top of the module would be a cycle (it reads that module)."""
    moved = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in moved:
            return getattr(importlib.import_module(service), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
