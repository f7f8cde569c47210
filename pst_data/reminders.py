"""Reminders by e-mail, read side: the SMTP settings, who is late in updating and would get one
(``situation``), the message itself, and the reminders already sent. Sending them (« Relancer »
in the app, and the automatic reminder before each Bureau: ``python -m pst_data remind --plan
SLUG``, meant for cron) is written in ``pst_data.services.reminders``; the old names still work
from here.

SMTP comes from the environment (the IT person's business, not the app's pages):
``PST_SMTP_HOST`` (no host: no e-mail), ``PST_SMTP_PORT`` (587), ``PST_SMTP_USER``,
``PST_SMTP_PASSWORD``, ``PST_SMTP_TLS`` (``starttls``, ``ssl`` or ``non``; starttls by default,
ssl on port 465), ``PST_SMTP_FROM`` (the sender address; else the user).

Each message is claimed in ``reminders`` (« sending », committed) before the mail server is
called, with no transaction open while it answers (a slow server must not hold every save of
every plan), then marked « sent »; if the server refuses it, the claim is removed and the next
run tries again. The automatic reminder carries a key (plan, next Bureau, person) that the
database keeps unique: run twice, or twice at once, it sends once.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Account, Plan, Reminder
from pst_data import queries
from pst_data.rules import clock
from pst_data.rules.errors import EditError
from pst_data.rules.follow_up import (
    Calendar,
    Reference,
    calendar,
    behind,
    late_by_person,
    reference,
)
from pst_data.meetings import list_meetings
from pst_data.rules.formatting import fmt_datetime
from pst_data.uow import actor_of
from pst_data.moved import moved_names

TLS_MODES = {"starttls": "starttls", "ssl": "ssl", "tls": "ssl", "non": "none", "none": "none", "off": "none",
             "0": "none", "false": "none"}
SMTP_TIMEOUT_SECONDS = 20
# A « sending » claim older than this was left by a run that died between claim and answer
# (a connection, a login and a message, each bounded by SMTP_TIMEOUT_SECONDS): taken over.
CLAIM_MINUTES = 10


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: str  # starttls | ssl | none
    sender: str

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.tls}), expéditeur {self.sender}"


def smtp_settings(environ: Mapping[str, str] = os.environ) -> SmtpSettings | None:
    """The SMTP settings, or None when no server is set (PST_SMTP_HOST). A wrong value is
    refused in French, naming the variable."""
    host = (environ.get("PST_SMTP_HOST") or "").strip()
    if not host:
        return None
    tls_text = (environ.get("PST_SMTP_TLS") or "").strip().lower()
    port_text = (environ.get("PST_SMTP_PORT") or "").strip()
    if port_text and not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
                          and 0 < int(port_text) < 65536):
        raise EditError([f"PST_SMTP_PORT « {port_text[:20]} » : un numéro de port de 1 à 65535 est attendu."])
    if tls_text and tls_text not in TLS_MODES:
        raise EditError([f"PST_SMTP_TLS « {tls_text} » : attendu starttls, ssl ou non."])
    port = int(port_text) if port_text else 587
    tls = TLS_MODES[tls_text] if tls_text else ("ssl" if port == 465 else "starttls")
    user = (environ.get("PST_SMTP_USER") or "").strip() or None
    sender = (environ.get("PST_SMTP_FROM") or "").strip() or user
    if not sender or "@" not in sender:
        raise EditError(["PST_SMTP_FROM : indiquez l'adresse qui envoie les relances (ex. pst@cpas-binche.be)."])
    return SmtpSettings(host, port, user, environ.get("PST_SMTP_PASSWORD") or None, tls, sender)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
        if settings.tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.user and settings.password:
        smtp.login(settings.user, settings.password)
    return smtp


@dataclass
class Outcome:
    """What a reminder run did, person by person (French lines for the page and the CLI)."""

    heading: str = ""
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return ([self.heading] if self.heading else []) + [f"Envoyé : {s}" for s in self.sent] + \
            [f"Pas envoyé : {s}" for s in self.skipped] + [f"Échec : {s}" for s in self.failed]


@dataclass(frozen=True)
class Situation:
    """A plan's follow-up as the reminders see it."""

    plan: dict
    actions: pd.DataFrame
    calendar: Calendar
    reference: Reference
    late: dict[int, pd.DataFrame]  # account id -> their actions to update
    unlinked: pd.DataFrame  # late actions whose chef de projet has no account
    people: dict[int, Person]  # the late accounts
    reminder_text: str | None  # the plan's own text (None: the default)


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None
    active: bool


def situation(session: Session, plan_id: int, today: dt.date) -> Situation:
    plan = queries.find_plan(session, plan_id=plan_id)
    if plan is None:
        raise EditError(["Ce plan n'existe plus."])
    actions = queries.actions_frame(session, plan, today)
    cal = calendar(list_meetings(session, plan_id), today)
    ref = reference(cal, today, plan["stale_after_days"])
    late = late_by_person(actions, ref)
    # A chef whose account no longer sees the plan (or is disabled) is not reminded of it.
    accounts = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(list(late))))}
    late = {i: rows for i, rows in late.items() if i in accounts and actor_of(accounts[i]).sees(plan_id)}
    unlinked = behind(actions, ref)
    unlinked = unlinked[unlinked["lead_account_id"].isna()] if not unlinked.empty else unlinked
    people = {i: Person(accounts[i].name, (accounts[i].email or "").strip() or None, bool(accounts[i].active))
              for i in late}
    text = session.scalar(select(Plan.reminder_text).where(Plan.id == plan_id))
    return Situation(plan, actions, cal, ref, late, unlinked, people, text)


def reminder_history(session: Session, plan_id: int, limit: int = 50) -> pd.DataFrame:
    rows = session.execute(
        select(Reminder.sent_at, Reminder.sent_by, Reminder.trigger, Reminder.recipient, Reminder.actions,
               Account.name.label("account_name"))
        .outerjoin(Account, Account.id == Reminder.account_id)
        .where(Reminder.plan_id == plan_id, Reminder.state == "sent")
        .order_by(Reminder.sent_at.desc(), Reminder.id.desc()).limit(limit)
    ).all()
    return pd.DataFrame({
        "Envoyée le": [fmt_datetime(r.sent_at) for r in rows],
        "À": [r.account_name or "—" for r in rows],
        "Adresse": [r.recipient for r in rows],
        "Actions": [r.actions for r in rows],
        "Par": [r.sent_by for r in rows],
        "Type": ["automatique" if r.trigger == "auto" else "« Relancer »" for r in rows],
    })


def _message(settings: SmtpSettings, to_name: str, to_address: str, subject: str, body: str,
             organisation: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((f"PST Pilot — {organisation}", settings.sender))
    message["To"] = formataddr((to_name, to_address))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    message["Date"] = clock.now()
    message.set_content(body)  # plain text, UTF-8: accents and « » as typed
    return message


# -- the writes, moved to pst_data.services.reminders -------------------------------------

__getattr__ = moved_names(__name__, "pst_data.services.reminders", {"send_reminders"})
