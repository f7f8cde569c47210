"""The write services: every write use case of PST Pilot, one module per subject, each a short
function over one unit of work (``pst_data.uow.write``).

The service validates first (French messages naming the field; nothing is written on error),
then the unit of work checks versions atomically, records the history, bumps the plan's revision
and commits once. Structure changes (OS, OO) and deletions are recorded like field changes and
can be undone: a deleted element is kept whole in its history row.

- ``actions``: one action's fields, the bulk table, create / move / delete an action, the same
  change over many actions (Ville–CPAS synergy, merging two spellings of a chef de projet);
- ``structure``: objectives (OS, OO): create, rename, reorder, delete;
- ``labels``: define a label, give it to many actions or take it away;
- ``undo``: revert one change of the journal;
- ``accounts``, ``meetings``, ``indicators``, ``snapshots``, ``imports``, ``reminders``: the
  writes of those subjects (their reads stay in ``pst_data.accounts``, ``pst_data.meetings``…);
- ``_common``: what they share (the save result, the status/taux rule, ``_update``).

The action, structure, label and undo services are re-exported here, as before the package:
``from pst_data import services; services.update_action(...)``.
"""

from __future__ import annotations

# LABEL_NAME_MAX and LABEL_DESCRIPTION_MAX are read by the forms through this module (max_chars).
from db.limits import LABEL_DESCRIPTION_MAX, LABEL_NAME_MAX  # noqa: F401
from db.models import STATUSES
from pst_data.actions import action_values  # noqa: F401
from pst_data.rules.errors import Conflict, ConflictError, EditError
from pst_data.services._common import (
    COMMENT_MAX,  # noqa: F401
    FINALISED,  # noqa: F401
    SaveResult,
    coherent_status_and_progress,
    parse_progress,
    suggests_finalising,
    validate_action,  # noqa: F401
)
from pst_data.services.actions import (
    BulkResult,
    CellConflict,
    RowEdit,
    bulk_update,
    create_action,
    delete_action,
    mark_with_commune,
    merge_leads,
    move_action,
    set_progress,
    update_action,
)
from pst_data.services.labels import label_actions, save_label
from pst_data.services.structure import delete_objective, reorder_objectives, save_objective
from pst_data.services.undo import NOT_UNDONE_HERE, undo_change  # noqa: F401
from pst_data.uow import Operator  # noqa: F401

__all__ = [
    "STATUSES", "BulkResult", "CellConflict", "Conflict", "ConflictError", "EditError", "RowEdit",
    "SaveResult", "bulk_update", "coherent_status_and_progress", "create_action",
    "delete_action", "delete_objective", "label_actions", "mark_with_commune", "merge_leads", "move_action",
    "parse_progress", "reorder_objectives", "save_label", "save_objective", "set_progress", "suggests_finalising",
    "undo_change", "update_action",
]
