"""The one write path: every write of PST Pilot runs in a ``UnitOfWork``.

Action fields, structure (OS, OO), labels, imports, snapshots and undo all go through it: the
service validates first, then the unit of work checks the version atomically (no lost update),
records the history (who, when, what, old -> new), bumps the plan's revision and commits once,
all or nothing. History rows are built here and nowhere else; so is the version check.

A database refusal the validators did not foresee (a race on a unique code, a locked SQLite
file during a long import) becomes a French ``EditError`` with a reference; the original goes
to the server's log, never to the user.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from db.engine import writer_engine
from db.limits import AUTHOR_MAX
from db.models import History, Plan
from pst_data import clock
from pst_data.actions import history_text
from pst_data.errors import Conflict, ConflictError, EditError
from pst_data.fields import FIELD_LABELS
from pst_data.formatting import fmt_datetime

log = logging.getLogger(__name__)


@dataclass
class UnitOfWork:
    session: Session
    author: str
    change_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    now: Any = field(default_factory=clock.stored_now)  # one instant for the whole change
    origin: str | None = None  # "import": marked in every row (an import is not undone from the journal)
    _locked: set[int] = field(default_factory=set)
    _touched: set[int] = field(default_factory=set)

    def lock_plan(self, plan_id: int) -> None:
        """Hold the plan's row until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds
        the whole file): changes to one plan are serialised, so checks such as "is this code
        free?" cannot race."""
        if plan_id not in self._locked:
            self.session.execute(select(Plan.id).where(Plan.id == plan_id).with_for_update())
            self._locked.add(plan_id)

    def touch(self, plan_id: int) -> None:
        """The plan changed: its revision (what viewers poll) is bumped once, at commit."""
        self.lock_plan(plan_id)
        self._touched.add(plan_id)

    def finish(self) -> None:
        for plan_id in sorted(self._touched):
            self.session.execute(
                update(Plan).where(Plan.id == plan_id)
                .values(revision=Plan.revision + 1, updated_at=self.now)
                .execution_options(synchronize_session=False)
            )

    def claim(self, model: Any, element_id: int, expected_version: int, code: str,
              entity: str = "action") -> int:
        """Check and bump an element's version in one statement: the row is locked from here
        to commit, and a concurrent save from the same version finds no row (ConflictError,
        listing what the others changed). Returns the new version."""
        bumped = self.session.execute(
            update(model).where(model.id == element_id, model.version == expected_version)
            .values(version=model.version + 1).execution_options(synchronize_session=False)
        ).rowcount
        if bumped != 1:
            current = self.session.scalar(select(model.version).where(model.id == element_id))
            if current is None:
                raise EditError([f"{code} n'existe plus (supprimé entre-temps ?). Rechargez la page."])
            raise ConflictError([self.conflict(entity, element_id, expected_version, code, current)])
        return expected_version + 1

    def conflict(self, entity: str, element_id: int, since_version: int, code: str,
                 current_version: int) -> Conflict:
        rows = self.session.execute(
            select(History.changed_at, History.changed_by, History.field, History.old_value,
                   History.new_value)
            .where(History.entity == entity, History.entity_id == element_id,
                   History.version_after > since_version)
            .order_by(History.id)
        ).all()
        return Conflict(
            code=code, expected_version=since_version, current_version=current_version,
            their_changes=[(fmt_datetime(r.changed_at), r.changed_by, FIELD_LABELS.get(r.field, r.field),
                            r.old_value, r.new_value) for r in rows],
            entity=entity,
        )

    def record(self, plan_id: int, kind: str, field_name: str, old: Any, new: Any, *, code: str,
               entity: str = "action", entity_id: int | None = None, comment: str | None = None,
               version_after: int | None = None, payload: dict[str, Any] | None = None,
               change_id: str | None = None) -> History:
        """One history row of this change; the plan's revision is bumped with it."""
        self.touch(plan_id)
        row = History(
            plan_id=plan_id, action_id=entity_id if entity == "action" else None, action_code=code,
            changed_at=self.now, changed_by=self.author, kind=kind, entity=entity, entity_id=entity_id,
            field=field_name, old_value=history_text(old), new_value=history_text(new), comment=comment,
            change_id=change_id or self.change_id, version_after=version_after,
            payload={**(payload or {}), "origin": self.origin} if self.origin else payload,
        )
        self.session.add(row)
        return row


def check_author(author: str | None) -> str:
    name = (author or "").strip()
    if not name:
        raise EditError(["Indiquez votre nom avant d'enregistrer : il est inscrit dans l'historique."])
    if len(name) > AUTHOR_MAX:
        raise EditError([f"Nom trop long ({len(name)} caractères, maximum {AUTHOR_MAX})."])
    if "\x00" in name or any("\ud800" <= c <= "\udfff" for c in name):
        raise EditError(["Le nom contient un caractère invalide."])
    return name


@contextmanager
def write(engine: Engine, author: str, origin: str | None = None) -> Iterator[UnitOfWork]:
    """``with write(engine, author) as uow:`` one change, committed once when the block ends,
    rolled back entirely if it raises."""
    author = check_author(author)
    with _transaction(engine) as session:
        uow = UnitOfWork(session, author, origin=origin)
        yield uow
        uow.finish()


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
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
    if "deadlock" in text or "could not serialize" in text:
        return "Deux enregistrements se sont croisés au même instant : réessayez."
    if isinstance(exc, OperationalError) and ("database is locked" in text or "database table is locked" in text
                                               or "busy" in text):
        return "La base de données est occupée (un import est peut-être en cours) : réessayez dans un instant."
    if isinstance(exc, IntegrityError):
        return ("Quelqu'un vient d'enregistrer un élément qui entre en conflit avec le vôtre "
                "(un code en double, par exemple) : rechargez la page et réessayez.")
    if isinstance(exc, OperationalError) and "connect" in text:
        return "La base de données est injoignable : réessayez dans un instant."
    return "La base de données a refusé cette valeur (hors des limites permises)."


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def plan_by_slug(session: Session, slug: str) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.slug == slug)).one_or_none()
