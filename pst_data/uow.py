"""Unit of work: one transaction per save, on either backend.

Every write of PST Pilot (import, quick edit, fiche form, bulk edit, undo) runs inside
``unit_of_work``: the change, its history rows and the plan's revision bump commit together or
not at all.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from db.engine import writer_engine
from db.models import Plan
from pst_data import clock
from pst_data.errors import EditError

log = logging.getLogger(__name__)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises. A database
    refusal the validators did not foresee (a race on a unique code, a locked SQLite file during
    a long import) becomes a French EditError; the original goes to the server's log."""
    session = Session(writer_engine(engine), expire_on_commit=False, autoflush=True)
    try:
        with session.begin():
            yield session
    except DBAPIError as exc:
        reference = uuid.uuid4().hex[:8]
        log.exception("write refused by the database (reference %s)", reference)
        raise EditError([_database_refusal(exc) + f" Rien n'a été enregistré (référence {reference})."]) from None
    finally:
        session.close()


def _database_refusal(exc: DBAPIError) -> str:
    text = str(exc.orig).lower()
    if isinstance(exc, OperationalError) and ("locked" in text or "busy" in text):
        return "La base de données est occupée (un import est peut-être en cours) : réessayez dans un instant."
    if isinstance(exc, IntegrityError):
        return ("Quelqu'un vient d'enregistrer un élément qui entre en conflit avec le vôtre "
                "(un code en double, par exemple) : rechargez la page et réessayez.")
    if isinstance(exc, OperationalError) and isinstance(exc.orig, Exception) and "connect" in text:
        return "La base de données est injoignable : réessayez dans un instant."
    return "La base de données a refusé cette valeur (hors des limites permises)."


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
