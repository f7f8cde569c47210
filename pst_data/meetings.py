"""The Bureau calendar of a plan, read, and the name of a meeting. Adding or removing a meeting
and the plan's follow-up settings are written in ``pst_data.services.meetings`` (recorded in the
journal as « Calendrier et relances »); the old names still work from here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Meeting
from pst_data.rules.formatting import fmt_date
from pst_data.moved import moved_names

ENTITY = "calendar"
CODE = "Calendrier"


def meeting_name(kind: str, day: dt.date) -> str:
    return f"{'Bureau' if kind == 'bureau' else 'Conseil'} du {fmt_date(day)}"


def list_meetings(session: Session, plan_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(Meeting).where(Meeting.plan_id == plan_id).order_by(Meeting.held_on, Meeting.kind))
    return [{"id": m.id, "kind": m.kind, "held_on": m.held_on, "note": m.note} for m in rows]


# -- the writes, moved to pst_data.services.meetings --------------------------------------

__getattr__ = moved_names(__name__, "pst_data.services.meetings",
                          {"add_meeting", "delete_meeting", "save_follow_up_settings"})
