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
from db.models import Account, AccountEvent, Action, History, Plan
from pst_data.actions import history_text
from pst_data.rules import clock
from pst_data.rules.access import Actor, Change, refusal
from pst_data.rules.errors import Conflict, ConflictError, EditError, NotLoggedIn
from pst_data.rules.fields import FIELD_LABELS
from pst_data.rules.formatting import fmt_datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Operator:
    """Whoever runs the command line on the server (``python -m pst_data``): they hold the
    database's credentials, so the roles do not apply to them. Only the CLI and the demo seed
    make one; every page write comes from an authenticated account (an ``Actor``)."""

    name: str


@dataclass
class UnitOfWork:
    session: Session
    author: str  # the account's name (or the operator's), written in every history row
    actor: Actor | None = None  # None: the command line's operator
    change_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    now: Any = field(default_factory=clock.stored_now)  # one instant for the whole change
    origin: str | None = None  # "import": marked in every row (an import is not undone from the journal)
    _locked: set[int] = field(default_factory=set)
    _touched: set[int] = field(default_factory=set)
    recorded: list[History] = field(default_factory=list)  # this change's rows (an import's preview)

    @property
    def account_id(self) -> int | None:
        return self.actor.account_id if self.actor else None

    def require(self, change: Change) -> None:
        """Refuse (EditError, in French; the transaction is rolled back) what the role does not
        allow. ``record`` calls it for every history row, so no write escapes it."""
        if self.actor is None:
            return
        reason = refusal(self.actor, change)
        if reason:
            raise EditError([reason])

    def new_label(self, name: str) -> None:
        """A label named nowhere yet is a new label definition, shared by every plan: the
        admin's (or the command line's), never created in passing by a directeur's fiche or import."""
        if self.actor is None:
            return
        if refusal(self.actor, Change(plan_id=None, entity="label", kind="create", field="label_name",
                                      origin=self.origin)):
            raise EditError([f"Le label « {name} » n'existe pas, et seul un administrateur crée un label (il est "
                             "partagé par tous les plans) : choisissez un label existant, ou demandez-le à un "
                             "administrateur. Rien n'a été enregistré."], ["labels"])

    def lead_of(self, action_id: int | None) -> int | None:
        """The account leading this action, when the actor is a chef (what the rules ask)."""
        return self._lead_of(action_id)

    def _lead_of(self, action_id: int | None) -> int | None:
        if action_id is None or self.actor is None or self.actor.role != "chef":
            return None
        return self.session.scalar(select(Action.lead_account_id).where(Action.id == action_id))

    def event(self, event: str, subject: str, detail: str | None = None) -> None:
        """An account or access event (account created, password reset, Bureau link...)."""
        self.session.add(AccountEvent(at=self.now, by=self.author, event=event, subject=subject, detail=detail))

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
        if self.actor is not None and self.actor.role in ("chef", "lecteur"):
            # A lecteur claims nothing, a chef only their own actions (fields are checked as
            # they are recorded): a refused save must not even bump a version.
            self.require(Change(plan_id=None, entity=entity, kind="update",
                                field="progress" if entity == "action" else "",
                                lead_account_id=self._lead_of(element_id) if entity == "action" else None))
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
        """One history row of this change, once the actor's role allows it; the plan's revision
        is bumped with it."""
        self.require(Change(plan_id=plan_id, entity=entity, kind=kind, field=field_name, origin=self.origin,
                            lead_account_id=self._lead_of(entity_id) if entity == "action" else None))
        self.touch(plan_id)
        row = History(
            plan_id=plan_id, action_id=entity_id if entity == "action" else None, action_code=code,
            changed_at=self.now, changed_by=self.author, account_id=self.account_id, kind=kind, entity=entity, entity_id=entity_id,
            field=field_name, old_value=history_text(old), new_value=history_text(new), comment=comment,
            change_id=change_id or self.change_id, version_after=version_after,
            payload={**(payload or {}), "origin": self.origin} if self.origin else payload,
        )
        self.session.add(row)
        self.recorded.append(row)
        return row


@contextmanager
def write(engine: Engine, actor: Actor | Operator, origin: str | None = None,
          log_refusal: bool = True) -> Iterator[UnitOfWork]:
    """``with write(engine, actor) as uow:`` one change, committed once when the block ends,
    rolled back entirely if it raises. The account is read again inside the transaction: a
    disabled account, or one whose role was lowered since its login, writes with what the
    database says now, not with what its session remembered."""
    with _transaction(engine, log_refusal) as session:
        if isinstance(actor, Operator):
            uow = UnitOfWork(session, actor.name, None, origin=origin)
        elif actor is None:  # a page whose session has no account
            raise NotLoggedIn()
        elif not isinstance(actor, Actor):  # a typed name is not an identity: a programming error
            raise TypeError(f"write() needs an Actor or an Operator, not {type(actor).__name__}")
        else:
            current = current_actor(session, actor.account_id)
            if current is None:
                raise EditError(["Votre compte est désactivé ou n'existe plus : rien n'a été enregistré."])
            uow = UnitOfWork(session, current.name, current, origin=origin)
        if origin == "import":
            # Asked before anything is written: an import that changes only the plan's own
            # fields (or creates an empty plan) records no history row to be checked.
            uow.require(Change(plan_id=None, entity="plan", kind="import", origin=origin))
        yield uow
        uow.finish()


def current_actor(session: Session, account_id: int) -> Actor | None:
    """The account as the database has it now (None if unknown or disabled)."""
    account = session.get(Account, account_id)
    if account is None or not account.active:
        return None
    return actor_of(account)


def actor_of(account: Account) -> Actor:
    return Actor(
        account_id=account.id, login=account.login, name=account.name, role=account.role,
        plan_ids=None if account.all_plans or account.role == "admin" else frozenset(p.id for p in account.plans),
        must_change_password=bool(account.must_change_password),
    )


@contextmanager
def _transaction(engine: Engine, log_refusal: bool = True) -> Iterator[Session]:
    session = Session(writer_engine(engine), expire_on_commit=False, autoflush=True)
    try:
        with session.begin():
            yield session
    except DBAPIError as exc:
        reference = uuid.uuid4().hex[:8]
        # The statement goes to the log, not its values: they may hold a password's hash.
        exc.hide_parameters = True
        if log_refusal:
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
