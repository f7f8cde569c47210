"""Reminders by e-mail: « Relancer » in the app, and the automatic reminder before each Bureau
(``python -m pst_data remind --plan SLUG``, meant for cron).

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
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Account, Meeting, Plan, Reminder
from pst_data import clock, queries
from pst_data.access import Actor, Change
from pst_data.errors import EditError
from pst_data.follow_up import (
    Calendar,
    Reference,
    calendar,
    behind,
    late_by_person,
    reference,
    reminder_message,
    reminder_text_problems,
)
from pst_data.formatting import fmt_date, fmt_datetime, plural
from pst_data.meetings import list_meetings
from pst_data.text import normalised_text
from pst_data.uow import Operator, actor_of, write

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


def _claim(engine: Engine, actor: Actor | Operator, plan_id: int, account_id: int, recipient: str, subject: str,
           actions: int, once_key: str | None, automatic: bool, next_bureau: dt.date | None) -> int | str:
    """Record the reminder as « sending » and commit, before the mail server is called: a second
    run (or a second cron) finds the key and sends nothing. Returns the row's id, or why not.
    A claim older than CLAIM_MINUTES was left by a run that died while sending: it is taken over."""
    with write(engine, actor) as uow:
        uow.require(Change(plan_id=plan_id, entity="reminder", kind="create"))
        uow.lock_plan(plan_id)  # two cron runs at once: the second waits, then finds the key
        earlier = uow.session.scalars(select(Reminder).where(Reminder.once_key == once_key)).one_or_none() \
            if once_key else None
        if earlier is not None and earlier.state == "sent":
            return f"déjà relancé le {fmt_datetime(earlier.sent_at)} pour ce Bureau."
        if earlier is not None and earlier.sent_at > uow.now - dt.timedelta(minutes=CLAIM_MINUTES):
            return f"relance en cours d'envoi depuis le {fmt_datetime(earlier.sent_at)} (un autre envoi)."
        meeting_id = uow.session.scalar(select(Meeting.id).where(
            Meeting.plan_id == plan_id, Meeting.kind == "bureau", Meeting.held_on == next_bureau)) \
            if next_bureau else None
        row = earlier or Reminder(plan_id=plan_id, account_id=account_id, trigger="auto" if automatic else "manual",
                                  once_key=once_key)
        row.meeting_id, row.recipient, row.subject, row.actions = meeting_id, recipient, subject[:300], actions
        row.sent_at, row.sent_by, row.state = uow.now, uow.author, "sending"
        uow.session.add(row)
        uow.session.flush()
        return row.id


def _settle(engine: Engine, actor: Actor | Operator, claim: int, sent: bool) -> None:
    """After the mail server answered: « sent » (at that instant), or the claim removed so that
    the next run tries again."""
    with write(engine, actor) as uow:
        row = uow.session.get(Reminder, claim)
        if row is None:
            return
        if sent:
            row.state, row.sent_at = "sent", uow.now
        else:
            uow.session.delete(row)


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


def send_reminders(engine: Engine, actor: Actor | Operator, plan_id: int, *, automatic: bool,
                   account_ids: list[int] | None = None, text: str | None = None,
                   settings: SmtpSettings | None = None, today: dt.date | None = None,
                   dry_run: bool = False) -> Outcome:
    """Send each person late in updating one e-mail listing their actions.

    ``automatic``: the cron run. It sends only within the plan's « days before the next
    Bureau », and at most once per person and Bureau. ``account_ids``: only these people
    (« Relancer » one person). ``text``: the message typed on the page (else the plan's).
    ``dry_run``: say who would get one, send and record nothing."""
    today = today or clock.today()
    settings = settings if settings is not None else smtp_settings()
    if settings is None and not dry_run:
        raise EditError(["Aucun serveur d'e-mail n'est configuré (PST_SMTP_HOST) : demandez-le au service "
                         "informatique. Rien n'a été envoyé."])
    if text is not None:
        text = normalised_text(text)
        problems = reminder_text_problems(text)
        if problems:
            raise EditError(problems, ["reminder_text"])
    with write(engine, actor) as uow:  # the role is checked before anything is read or sent
        uow.require(Change(plan_id=plan_id, entity="reminder", kind="create"))
        state = situation(uow.session, plan_id, today)
        template = text if text is not None else state.reminder_text
        people = state.people
        # The automatic reminders already sent for this plan (a send checks again, under the lock).
        already = dict(uow.session.execute(select(Reminder.once_key, Reminder.sent_at).where(
            Reminder.plan_id == plan_id, Reminder.once_key.is_not(None), Reminder.state == "sent")).all())
        signature = (f"{uow.author}" if actor is not None and not isinstance(actor, Operator)
                     else f"PST Pilot — {state.plan['organisation']}")
    outcome = Outcome()
    cal = state.calendar
    if automatic:
        if cal.next_bureau is None:
            outcome.heading = "Aucun Bureau à venir au calendrier : pas de relance automatique."
            return outcome
        days_left = (cal.next_bureau - today).days
        if days_left > state.plan["reminder_days_before"]:
            outcome.heading = (f"Prochain Bureau le {fmt_date(cal.next_bureau)}, dans {days_left} jours : la relance "
                               f"part {plural(state.plan['reminder_days_before'], 'jour')} avant. Rien à envoyer aujourd'hui.")
            return outcome
    outcome.heading = (f"Actions à mettre à jour {state.reference.text}"
                       + (f", pour le Bureau du {fmt_date(cal.next_bureau)}." if cal.next_bureau else "."))
    wanted = set(account_ids) if account_ids is not None else None
    for account_id, rows in state.late.items():
        if wanted is not None and account_id not in wanted:
            continue
        person = people.get(account_id)
        name = person.name if person else f"compte n° {account_id}"
        count = plural(len(rows), "action")
        if person is None or not person.active:
            outcome.skipped.append(f"{name} ({count}) : compte désactivé.")
            continue
        if not person.email:
            outcome.skipped.append(f"{name} ({count}) : pas d'adresse e-mail sur son compte.")
            continue
        subject, body = reminder_message(
            template, name=person.name, next_bureau=cal.next_bureau, plan=state.plan["organisation"],
            rows=rows.to_dict("records"), stale_after_days=state.plan["stale_after_days"], signature=signature)
        once_key = f"auto:{plan_id}:{cal.next_bureau.isoformat()}:{account_id}" if automatic else None
        if dry_run:
            earlier = already.get(once_key) if once_key else None
            if earlier is not None:
                outcome.skipped.append(f"{name} : déjà relancé le {fmt_datetime(earlier)} pour ce Bureau.")
            else:
                outcome.sent.append(f"{name} <{person.email}> : {count} (essai : rien n'est envoyé).")
            continue
        try:
            claim = _claim(engine, actor, plan_id, account_id, person.email, subject, len(rows), once_key,
                           automatic, cal.next_bureau)
        except EditError as exc:
            outcome.failed.append(f"{name} : {' '.join(exc.errors)}")
            continue
        if isinstance(claim, str):
            outcome.skipped.append(f"{name} : {claim}")
            continue
        try:  # no transaction is open while the mail server answers
            with _connect(settings) as smtp:
                smtp.send_message(_message(settings, person.name, person.email, subject, body,
                                           state.plan["organisation"]))
        except (smtplib.SMTPException, OSError) as exc:
            _settle(engine, actor, claim, sent=False)
            outcome.failed.append(f"{name} : le serveur d'e-mail a refusé ou n'a pas répondu ({type(exc).__name__}).")
            continue
        except ValueError:  # a header or a login SMTP cannot carry (a line break, a non-ASCII password…)
            _settle(engine, actor, claim, sent=False)
            outcome.failed.append(f"{name} : message impossible à envoyer (adresse ou nom du compte, ou réglage "
                                  "PST_SMTP_FROM / PST_SMTP_PASSWORD à vérifier).")
            continue
        try:
            _settle(engine, actor, claim, sent=True)
        except EditError:  # sent all the same: say so; the claim stays and shows as « en cours d'envoi »
            outcome.sent.append(f"{name} <{person.email}> : {count} (envoyé ; l'envoi n'a pas pu être noté).")
            continue
        outcome.sent.append(f"{name} <{person.email}> : {count}.")
    if wanted is None and not state.unlinked.empty:
        counts = state.unlinked["project_lead"].fillna("(sans chef de projet)").value_counts(sort=False)
        outcome.skipped.append(
            f"{plural(len(state.unlinked), 'action')} dont le chef de projet n'a aucun compte relié (Mise à jour → "
            "« Chefs de projet ») : " + ", ".join(f"{lead} ({n})" for lead, n in sorted(counts.items())) + ".")
    if not outcome.sent and not outcome.skipped and not outcome.failed:
        outcome.heading += " Tout le monde est à jour : personne à relancer."
    return outcome
