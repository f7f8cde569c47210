"""Unit of work: one transaction per save, on either backend.

Every write of PST Pilot (import, quick edit, fiche form, bulk edit, undo) runs inside
``unit_of_work``: the change, its history rows and the plan's revision bump commit together or
not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.engine import writer_engine
from db.models import Plan
from pst_data import clock


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    session = Session(writer_engine(engine), expire_on_commit=False, autoflush=True)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def bump_revision(session: Session, plan_id: int) -> None:
    """Mark the plan as changed, inside the caller's transaction (viewers poll this value)."""
    session.execute(
        update(Plan)
        .where(Plan.id == plan_id)
        .values(revision=Plan.revision + 1, updated_at=clock.stored_now())
        .execution_options(synchronize_session=False)
    )


def plan_by_slug(session: Session, slug: str) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.slug == slug)).one_or_none()
