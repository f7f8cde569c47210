"""The PST schema: one definition for SQLite and PostgreSQL (SQLAlchemy 2.0 declarative style).

Tree: Plan -> StrategicObjective (OS) -> OperationalObjective (OO) -> Action -> SubAction.
Labels are shared by every plan (unique by name); services are per plan. Every change of an
action field is a History row. Timestamps are naive UTC, set by the writers from
``pst_data.rules.clock`` (no column default reads a clock of its own). Integrity rules live here as
database constraints, so that no client (page, CLI, SQL console) can store a taux of 140 or
orphan a row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.limits import (  # noqa: F401  (STATUSES re-exported for pages and services)
    STATUSES,
    HEALTHS,
    HEALTH_MAX,
    INDICATOR_UNIT_MAX,
    MEETING_KINDS,
    MEETING_NOTE_MAX,
    REMINDER_DAYS_DEFAULT,
    SCHEDULE_BEHIND_DEFAULT,
    SCHEDULE_ON_TRACK_DEFAULT,
    REMINDER_DAYS_MAX,
    STALE_DAYS_DEFAULT,
    STALE_DAYS_MAX,
    AUTHOR_MAX,
    AXIS_MAX,
    CODE_MAX,
    EMAIL_MAX,
    LINK_LABEL_MAX,
    LOGIN_MAX,
    PASSWORD_HASH_MAX,
    ROLES,
    TOKEN_HASH_MAX,
    DATE_TEXT_MAX,
    DOCUMENT_MAX,
    LABEL_NAME_MAX,
    NAME_MAX,
    INS_CODE_MAX,
    ORGANISATION_MAX,
    PRIORITY_MAX,
    SLUG_MAX,
    SNAPSHOT_NAME_MAX,
    STATUS_MAX,
    TITLE_MAX,
)

# Deterministic constraint names keep Alembic migrations identical on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


action_labels = Table(
    "action_labels",
    Base.metadata,
    Column("action_id", ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True),
    Column("label_id", ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True),
)

action_services = Table(
    "action_services",
    Base.metadata,
    Column("action_id", ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("position", Integer, nullable=False, default=0),
)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_MAX))
    # The CPAS's INS code (five digits): how eComptes names the CPAS in its PST files.
    ins_code: Mapped[str | None] = mapped_column(String(INS_CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    period_start: Mapped[int | None]
    period_end: Mapped[int | None]
    document: Mapped[str | None] = mapped_column(String(DOCUMENT_MAX))
    source: Mapped[str | None] = mapped_column(String(DOCUMENT_MAX))
    # Ordered list of the plan's own priority levels, highest first (Charleroi: ["Niveau 1"]).
    priority_scale: Mapped[list[Any]] = mapped_column(default=list)
    # [{"label": "Réalisé", "min": 80, "max": 100}, ...] highest band first.
    evaluation_bands: Mapped[list[Any]] = mapped_column(default=list)
    stated_totals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[list[Any]] = mapped_column(default=list)
    # Bumped in the same transaction as every write to the plan: the cheap "has anything
    # changed" value that viewers poll.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The public page (art. 27ter: the PST is published online): chosen by an admin; staff
    # names are left out unless the admin chooses to show them.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    published_names: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Follow-up between Bureaus, set by the plan's directeur: an open action not updated for
    # this many days is « non mise à jour »; the automatic reminder goes out this many days
    # before the next Bureau, with this text (None: the default text).
    stale_after_days: Mapped[int] = mapped_column(default=STALE_DAYS_DEFAULT,
                                                  server_default=str(STALE_DAYS_DEFAULT))
    reminder_days_before: Mapped[int] = mapped_column(default=REMINDER_DAYS_DEFAULT,
                                                      server_default=str(REMINDER_DAYS_DEFAULT))
    reminder_text: Mapped[str | None] = mapped_column(Text)
    # Schedule status (pst_data.rules.schedule): « dans les temps » from this % of the expected taux,
    # « en retard sur le calendrier » from the second, « très en retard » below.
    schedule_on_track: Mapped[int] = mapped_column(default=SCHEDULE_ON_TRACK_DEFAULT,
                                                   server_default=str(SCHEDULE_ON_TRACK_DEFAULT))
    schedule_behind: Mapped[int] = mapped_column(default=SCHEDULE_BEHIND_DEFAULT,
                                                 server_default=str(SCHEDULE_BEHIND_DEFAULT))

    strategic_objectives: Mapped[list[StrategicObjective]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StrategicObjective.position",
    )
    services: Mapped[list[Service]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("revision >= 0", name="revision_positive"),
        CheckConstraint(f"stale_after_days >= 1 AND stale_after_days <= {STALE_DAYS_MAX}",
                        name="stale_after_days_range"),
        CheckConstraint(f"reminder_days_before >= 0 AND reminder_days_before <= {REMINDER_DAYS_MAX}",
                        name="reminder_days_range"),
        CheckConstraint("schedule_behind >= 1 AND schedule_behind < schedule_on_track AND schedule_on_track <= 100",
                        name="schedule_thresholds_range"),
    )


class StrategicObjective(Base):
    __tablename__ = "strategic_objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    axis: Mapped[str | None] = mapped_column(String(AXIS_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    stated_totals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    plan: Mapped[Plan] = relationship(back_populates="strategic_objectives")
    operational_objectives: Mapped[list[OperationalObjective]] = relationship(
        back_populates="strategic_objective",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OperationalObjective.position",
    )

    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_strategic_objectives_plan_code"),)


class OperationalObjective(Base):
    __tablename__ = "operational_objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategic_objective_id: Mapped[int] = mapped_column(
        ForeignKey("strategic_objectives.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    indicators: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    strategic_objective: Mapped[StrategicObjective] = relationship(
        back_populates="operational_objectives"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="operational_objective",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Action.position",
    )

    __table_args__ = (
        UniqueConstraint("strategic_objective_id", "code", name="uq_operational_objectives_os_code"),
    )


class Service(Base):
    """A service or department of the CPAS ("Service Informatique"), per plan."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))

    plan: Mapped[Plan] = relationship(back_populates="services")

    __table_args__ = (UniqueConstraint("plan_id", "name", name="uq_services_plan_name"),)


class Label(Base):
    """A link to another plan or theme (États généraux, PPI, PGP...), shared by all plans."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(LABEL_NAME_MAX), unique=True)
    # pst_data.rules.text.label_key(name): « ppi » is « PPI », on SQLite as on PostgreSQL
    name_key: Mapped[str] = mapped_column(String(4 * LABEL_NAME_MAX), unique=True)  # NFKD may lengthen it
    description: Mapped[str | None] = mapped_column(Text)
    colour: Mapped[str] = mapped_column(String(7), default="#6c757d")

    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    operational_objective_id: Mapped[int] = mapped_column(
        ForeignKey("operational_objectives.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(PRIORITY_MAX))
    project_lead: Mapped[str | None] = mapped_column(String(NAME_MAX))
    # The account of the chef de projet, once a directeur linked the name to one: that
    # account may update the taux, status and comment of this action.
    lead_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    department: Mapped[str | None] = mapped_column(String(NAME_MAX))
    partners: Mapped[list[Any]] = mapped_column(default=list)
    # The source's wording ("2019-2020", "1er trimestre 2020") and the date derived from it.
    start_text: Mapped[str | None] = mapped_column(String(DATE_TEXT_MAX))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_text: Mapped[str | None] = mapped_column(String(DATE_TEXT_MAX))
    end_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str | None] = mapped_column(String(STATUS_MAX))
    progress: Mapped[int | None]
    # The chef de projet's judgement (Bon, À surveiller, En difficulté, En pause) and why.
    health: Mapped[str | None] = mapped_column(String(HEALTH_MAX))
    health_reason: Mapped[str | None] = mapped_column(Text)
    # Run with, or shared with, the commune (a Ville–CPAS synergy the evaluation reviews).
    with_commune: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    indicators: Mapped[list[Any]] = mapped_column(default=list)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    budget_text: Mapped[str | None] = mapped_column(Text)
    staff_fte: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    staff_text: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[list[Any]] = mapped_column(default=list)
    deliverables: Mapped[str | None] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)
    evaluation: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(AUTHOR_MAX))

    operational_objective: Mapped[OperationalObjective] = relationship(back_populates="actions")
    labels: Mapped[list[Label]] = relationship(secondary=action_labels, order_by=Label.name)
    services: Mapped[list[Service]] = relationship(
        secondary=action_services, order_by=action_services.c.position
    )
    sub_actions: Mapped[list[SubAction]] = relationship(
        back_populates="action",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SubAction.position",
    )

    __table_args__ = (
        UniqueConstraint("operational_objective_id", "code", name="uq_actions_oo_code"),
        CheckConstraint(
            "progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress_range"
        ),
        CheckConstraint(
            "status IS NULL OR status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")",
            name="status_known",
        ),
        CheckConstraint(
            "health IS NULL OR health IN (" + ", ".join(f"'{h}'" for h in HEALTHS) + ")",
            name="health_known",
        ),
        CheckConstraint("weight >= 0", name="weight_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_positive"),
        CheckConstraint("staff_fte IS NULL OR staff_fte >= 0", name="staff_positive"),
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date", name="dates_ordered"
        ),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
    )


class SubAction(Base):
    __tablename__ = "sub_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    evaluation: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    action: Mapped[Action] = relationship(back_populates="sub_actions")

    __table_args__ = (UniqueConstraint("action_id", "code", name="uq_sub_actions_action_code"),)


class History(Base):
    """One row per change of one field of one element of a plan (every write records them).

    ``entity`` says what the row is about: an action (``action_id``), an objective ("os", "oo"),
    a label or a snapshot; ``entity_id`` is that element's id. The plan and the element's code
    are copied into the row so the journal stays readable after the element is deleted
    (action_id then becomes NULL; the row belongs to its plan). A delete keeps the element
    whole in ``payload``, so that undo can bring it back with its history.
    """

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"))
    action_code: Mapped[str] = mapped_column(String(CODE_MAX))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    changed_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))  # the account's name then
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    # import | create | update | delete | undo
    kind: Mapped[str] = mapped_column(String(20))
    # action | os | oo | label | snapshot
    entity: Mapped[str] = mapped_column(String(20), default="action", server_default="action")
    entity_id: Mapped[int | None]
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    # Rows written by one save share a change_id (undo reverts a whole save).
    change_id: Mapped[str] = mapped_column(String(36), index=True)
    # The action's version after this change: a refused save lists the changes made since the
    # version the user started from.
    version_after: Mapped[int | None]

    __table_args__ = (
        Index("ix_history_plan_changed_at", "plan_id", "changed_at"),
        Index("ix_history_action_changed_at", "action_id", "changed_at"),
        CheckConstraint(
            "kind IN ('import', 'create', 'update', 'delete', 'undo')", name="kind_known"
        ),
    )


class Snapshot(Base):
    """The plan's state frozen under a name ("Évaluation mi-législature 2021"), to compare later
    states with. ``as_of``: the day it describes (a snapshot can be taken of a past day)."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(SNAPSHOT_NAME_MAX))
    as_of: Mapped[dt.date] = mapped_column(Date)
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime)
    taken_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    note: Mapped[str | None] = mapped_column(Text)

    actions: Mapped[list[SnapshotAction]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", passive_deletes=True,
        order_by="SnapshotAction.position",
    )

    __table_args__ = (UniqueConstraint("plan_id", "name", name="uq_snapshots_plan_name"),)


class SnapshotAction(Base):
    """One action as it stood in a snapshot. Codes and titles are copied so the snapshot still
    reads after the plan is restructured; ``action_id`` links it to the live action if it still
    exists."""

    __tablename__ = "snapshot_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"))
    position: Mapped[int]
    os_code: Mapped[str] = mapped_column(String(CODE_MAX))
    os_title: Mapped[str] = mapped_column(String(TITLE_MAX))
    oo_code: Mapped[str] = mapped_column(String(CODE_MAX))
    oo_title: Mapped[str] = mapped_column(String(TITLE_MAX))
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    status: Mapped[str | None] = mapped_column(String(STATUS_MAX))
    progress: Mapped[int | None]
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    snapshot: Mapped[Snapshot] = relationship(back_populates="actions")

    __table_args__ = (
        CheckConstraint("progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress_range"),
    )


account_plans = Table(
    "account_plans",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("plan_id", ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Account(Base):
    """A person who logs in. ``role``: lecteur, chef (de projet), directeur, admin. The plans an
    account sees are ``account_plans``; ``all_plans`` covers every plan, present and future.
    Accounts are disabled, never deleted: the history keeps pointing at them."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(LOGIN_MAX), unique=True)  # lower case
    name: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    role: Mapped[str] = mapped_column(String(20))
    all_plans: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(PASSWORD_HASH_MAX))  # argon2id
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    plans: Mapped[list[Plan]] = relationship(secondary=account_plans, order_by=Plan.id)

    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="role_known"),
        CheckConstraint("length(login) > 0", name="login_not_empty"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_positive"),
    )


class AccountSession(Base):
    """A login: the browser holds a random token in an HttpOnly cookie, the database its hash.
    Every server process reads the same table, so a login is valid on all of them."""

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_MAX), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class BureauLink(Base):
    """A revocable read-only link for the Bureau's screen: Présentation of one plan, no login,
    no edit control. Only the token's hash is stored."""

    __tablename__ = "bureau_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_MAX), unique=True)
    label: Mapped[str] = mapped_column(String(LINK_LABEL_MAX))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AccountEvent(Base):
    """What happened to accounts and access (created, role changed, password reset, disabled,
    Bureau link made or revoked, setting changed): who did it, when. Never a password."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    by: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    event: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    detail: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    """Instance settings an admin changes in the app (``anonymous_read``)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Meeting(Base):
    """A meeting the plan is reported to: the Bureau permanent (monthly) or the Conseil.
    « Depuis le dernier Bureau » counts from the last Bureau before today."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(MEETING_NOTE_MAX))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))

    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "held_on", name="uq_meetings_plan_kind_day"),
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in MEETING_KINDS) + ")", name="kind_known"),
    )


class Reminder(Base):
    """An e-mail reminder sent to a chef de projet. ``once_key`` is set for the automatic one
    (plan, next Bureau, account): unique, so running the cron command twice sends it once."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(String(20))  # auto (the cron command) | manual (« Relancer »)
    once_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    recipient: Mapped[str] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String(300))
    actions: Mapped[int]
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime)  # while « sending »: when it was claimed
    sent_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    # « sending » is recorded (and committed) before the mail server is called, « sent » after:
    # the once-only key holds without a transaction open while the server answers.
    state: Mapped[str] = mapped_column(String(10), default="sent", server_default="sent")

    __table_args__ = (
        CheckConstraint("trigger IN ('auto', 'manual')", name="trigger_known"),
        CheckConstraint("state IN ('sending', 'sent')", name="state_known"),
    )


class Indicator(Base):
    """A result indicator that is measured: of an operational objective (Saint-Ghislain's
    « Indicateurs de résultat ») or of an action. Its values are ``IndicatorValue`` rows."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    operational_objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("operational_objectives.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(TITLE_MAX))
    unit: Mapped[str | None] = mapped_column(String(INDICATOR_UNIT_MAX))
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(16, 4))
    baseline_year: Mapped[int | None]
    target: Mapped[Decimal | None] = mapped_column(Numeric(16, 4))
    target_year: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", passive_deletes=True,
        order_by="IndicatorValue.measured_on")

    __table_args__ = (
        CheckConstraint("(operational_objective_id IS NULL) <> (action_id IS NULL)", name="one_owner"),
        CheckConstraint("length(label) > 0", name="label_not_empty"),
    )


class IndicatorValue(Base):
    """One measured value of an indicator, on a day."""

    __tablename__ = "indicator_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    measured_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(AUTHOR_MAX))

    indicator: Mapped[Indicator] = relationship(back_populates="values")

    __table_args__ = (UniqueConstraint("indicator_id", "measured_on", name="uq_indicator_values_indicator_day"),)
