"""Reminder writes: send each person late in updating one e-mail listing their actions
(« Relancer », or the automatic reminder before a Bureau), each message claimed and committed
before the mail server is called, then marked sent or given up."""

from __future__ import annotations

import datetime as dt
import smtplib

from sqlalchemy import Engine, select

from db.models import Meeting, Reminder
from pst_data.reminders import CLAIM_MINUTES, Outcome, SmtpSettings, _connect, _message, situation, smtp_settings
from pst_data.rules import clock
from pst_data.rules.access import Actor, Change
from pst_data.rules.errors import EditError
from pst_data.rules.follow_up import reminder_message, reminder_text_problems
from pst_data.rules.formatting import fmt_date, fmt_datetime, plural
from pst_data.rules.text import normalised_text
from pst_data.uow import Operator, write


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
