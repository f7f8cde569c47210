"""Calendar writes: add or remove a Bureau (or Conseil) date of a plan, and the plan's follow-up
settings; written by the plan's directeur, recorded in the journal as « Calendrier et relances »."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.limits import (
    MEETING_KINDS,
    MEETING_NOTE_MAX,
    REMINDER_DAYS_MAX,
    STALE_DAYS_MAX,
)
from db.models import Meeting, Plan
from pst_data.rules.validation import echo
from pst_data.meetings import CODE, ENTITY, meeting_name
from pst_data.rules.access import Actor
from pst_data.rules.dates import typed_day
from pst_data.rules.errors import EditError
from pst_data.rules.follow_up import reminder_text_problems
from pst_data.rules.text import has_invalid_character, normalised_text
from pst_data.uow import Operator, write


def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise EditError(["Ce plan n'existe plus."])
    return plan


def add_meeting(engine: Engine, actor: Actor | Operator, plan_id: int, kind: str, held_on: Any,
                note: str | None = None) -> int:
    """Record a Bureau (or Conseil) date of the plan; refused if it is already there."""
    if kind not in MEETING_KINDS:
        raise EditError([f"Type de réunion inconnu « {kind} » (attendu : Bureau ou Conseil)."], ["kind"])
    day = typed_day(held_on, "Date de réunion", "held_on")
    note = normalised_text(note or "").strip() or None
    if note and (len(note) > MEETING_NOTE_MAX or has_invalid_character(note)):
        raise EditError([f"Note de la réunion trop longue ou invalide (maximum {MEETING_NOTE_MAX} caractères)."],
                        ["note"])
    with write(engine, actor) as uow:
        _plan(uow.session, plan_id)
        uow.lock_plan(plan_id)
        taken = uow.session.scalar(select(Meeting.id).where(
            Meeting.plan_id == plan_id, Meeting.kind == kind, Meeting.held_on == day))
        if taken:
            raise EditError([f"Le {meeting_name(kind, day)} est déjà au calendrier."])
        meeting = Meeting(plan_id=plan_id, kind=kind, held_on=day, note=note, created_at=uow.now,
                          created_by=uow.author)
        uow.session.add(meeting)
        uow.session.flush()
        uow.record(plan_id, "create", "meeting", None, meeting_name(kind, day), code=CODE, entity=ENTITY,
                   entity_id=meeting.id, comment=note)
        return meeting.id


def delete_meeting(engine: Engine, actor: Actor | Operator, meeting_id: int) -> None:
    with write(engine, actor) as uow:
        meeting = uow.session.get(Meeting, meeting_id)
        if meeting is None:
            raise EditError(["Cette réunion n'est plus au calendrier (supprimée entre-temps ?)."])
        uow.lock_plan(meeting.plan_id)
        uow.record(meeting.plan_id, "delete", "meeting", meeting_name(meeting.kind, meeting.held_on), None,
                   code=CODE, entity=ENTITY, entity_id=meeting.id)
        uow.session.delete(meeting)


def _whole(value: Any, label: str, low: int, high: int, field: str) -> int:
    text = str(value).strip() if value is not None else ""
    # Length first: int() of a pasted page of digits would itself fail (Python caps it at 4 300 digits).
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or len(text) > len(str(high)) \
            or not low <= int(text) <= high:
        raise EditError([f"« {label} » : un nombre entier de {low} à {high} est attendu (reçu « {echo(text)} »)."],
                        [field])
    return int(text)


def save_follow_up_settings(engine: Engine, actor: Actor | Operator, plan_id: int, *, stale_after_days: Any,
                            reminder_days_before: Any, reminder_text: str | None,
                            schedule_on_track: Any = None, schedule_behind: Any = None) -> list[str]:
    """The plan's follow-up settings; returns the names of what changed. The schedule
    thresholds (None: kept as they are) are whole % of the expected taux, « en retard » below
    « dans les temps »."""
    values = {
        "stale_after_days": _whole(stale_after_days, "Non mise à jour après (jours)", 1, STALE_DAYS_MAX,
                                   "stale_after_days"),
        "reminder_days_before": _whole(reminder_days_before, "Relance automatique (jours avant le Bureau)", 0,
                                       REMINDER_DAYS_MAX, "reminder_days_before"),
    }
    if schedule_on_track is not None or schedule_behind is not None:
        on_track = _whole(schedule_on_track, "Dans les temps à partir de (% du taux attendu)", 2, 100,
                          "schedule_on_track")
        behind = _whole(schedule_behind, "Très en retard sous (% du taux attendu)", 1, 99, "schedule_behind")
        if behind >= on_track:
            raise EditError([f"« Très en retard sous » ({behind} %) doit être inférieur à « Dans les temps à partir "
                             f"de » ({on_track} %)."], ["schedule_behind"])
        values.update(schedule_on_track=on_track, schedule_behind=behind)
    text = normalised_text((reminder_text or "").replace("\r\n", "\n")).strip() or None
    if text is not None:
        problems = reminder_text_problems(text)
        if problems:
            raise EditError(problems, ["reminder_text"])
    values["reminder_text"] = text
    changed = []
    with write(engine, actor) as uow:
        plan = _plan(uow.session, plan_id)
        uow.lock_plan(plan_id)
        for name, new in values.items():
            old = getattr(plan, name)
            if old != new:
                uow.record(plan_id, "update", name, old, new, code=CODE, entity=ENTITY, entity_id=plan_id)
                setattr(plan, name, new)
                changed.append(name)
    return changed
