"""Keeping the plan alive between Bureaus: health, the Bureau calendar, who has updated since
the last Bureau, staleness, and e-mail reminders sent to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Action, History, Reminder
from pst_data import accounts, cli, queries, services
from pst_data.rules import clock
from pst_data.rules.errors import EditError
from pst_data.rules.follow_up import (
    DEFAULT_REMINDER,
    Reference,
    calendar,
    fill,
    reminder_text_problems,
    staleness_text,
    update_table,
)
from pst_data.meetings import add_meeting, delete_meeting, list_meetings, save_follow_up_settings
from pst_data.reminders import reminder_history, send_reminders, smtp_settings
from pst_data.services import RowEdit
from pst_data.uow import Operator
from tests.conftest import TODAY
from tests.people import BOB, CHRIS, DOMINIQUE, LEA, PASSWORD
from tests.smtp_server import smtp_server

SETUP = Operator("préparation des tests")
D = dt.date
# Binche's chefs de projet as its document names them, and the accounts the tests give them.
BINCHE_CHEFS = {"DELTENRE Ludivine": "ludivine.deltenre", "DOUBLET M.": "m.doublet", "PUTTENEERS J.": "j.putteneers"}


# -- the rules --------------------------------------------------------------------------------

def test_the_last_bureau_is_before_today_and_the_next_one_on_or_after():
    meetings = [{"kind": kind, "held_on": day} for kind, day in (
        ("bureau", D(2026, 10, 6)), ("conseil", D(2026, 11, 20)), ("bureau", D(2026, 11, 10)), ("bureau", D(2026, 12, 8)))]
    assert calendar(meetings, D(2026, 11, 23)) == calendar(meetings[::-1], D(2026, 11, 23))
    cal = calendar(meetings, D(2026, 11, 23))
    assert (cal.last_bureau, cal.next_bureau) == (D(2026, 11, 10), D(2026, 12, 8))
    on_the_day = calendar(meetings, D(2026, 12, 8))  # the Bureau being held is still the one prepared
    assert (on_the_day.last_bureau, on_the_day.next_bureau) == (D(2026, 11, 10), D(2026, 12, 8))
    assert calendar([], D(2026, 11, 23)).last_bureau is None
    assert calendar([{"kind": "conseil", "held_on": D(2026, 11, 1)}], D(2026, 11, 23)).last_bureau is None


def _frame(rows, by_file=()):
    frame = pd.DataFrame(rows, columns=["code", "os_code", "os_title", "project_lead", "status", "last_update_day",
                                        "lead_account_id"])
    frame["last_update"] = [None if d is None else dt.datetime.combine(d, dt.time(9)) for d in frame["last_update_day"]]
    frame["last_update_by_file"] = frame["code"].isin(by_file)
    return frame


def test_who_has_updated_since_the_last_bureau_per_chef_and_per_os():
    actions = _frame([
        ("1.1", "1", "Social", "Anne", "En cours", D(2026, 11, 12), 1),
        ("1.2", "1", "Social", "Anne", "En cours", D(2026, 11, 10), 1),  # on the Bureau's day: before it
        ("1.3", "1", "Social", "Bruno", None, D(2026, 10, 1), None),
        ("2.1", "2", "Logement", "Bruno", "Finalisé", D(2026, 1, 1), None),  # closed: not followed
        ("2.2", "2", "Logement", None, "En cours", None, None),
    ], by_file={"1.3"})
    ref = Reference(D(2026, 11, 10), "depuis le Bureau du 10/11/2026", True)
    per_lead = update_table(actions, ref, "lead")
    assert per_lead.to_dict("records") == [
        {"Chef de projet": "(sans chef de projet)", "Actions suivies": 1, "À jour": 0, "Pas à jour": 1,
         "Dernière mise à jour": "jamais", "À mettre à jour": "2.2"},
        {"Chef de projet": "Anne", "Actions suivies": 2, "À jour": 1, "Pas à jour": 1,
         "Dernière mise à jour": "12/11/2026", "À mettre à jour": "1.2"},
        {"Chef de projet": "Bruno", "Actions suivies": 1, "À jour": 0, "Pas à jour": 1,
         "Dernière mise à jour": "01/10/2026 (par fichier)", "À mettre à jour": "1.3"},
    ]
    per_os = update_table(actions, ref, "os")
    assert per_os[["OS", "Actions suivies", "À jour", "Pas à jour"]].values.tolist() == [["1", 3, 1, 2], ["2", 1, 0, 1]]


def test_staleness_reads_in_words():
    assert staleness_text(0, 60) == "mise à jour aujourd'hui"
    assert staleness_text(1, 60) == "mise à jour hier"
    assert staleness_text(59, 60) == "mise à jour il y a 59 jours"
    assert staleness_text(60, 60) == "non mise à jour depuis 60 jours"
    assert staleness_text(None, 60) == "jamais mise à jour"


@pytest.mark.parametrize("text, problem", [
    ("Bonjour {nom}", "doit contenir {actions}"),
    ("{actions} {__class__}", "Champ inconnu dans le texte de la relance : {__class__}"),
    ("{actions} {nom.__class__}", None),  # not a placeholder at all: left as typed
    ("   ", "vide"),
    ("{actions}" + "x" * 6000, "trop long"),
    ("{actions}\x00", "contient un caractère de contrôle ou invalide (U+0000), refusé"),
    ("{actions} \ud800", "contient un caractère de contrôle ou invalide (U+D800), refusé"),
])
def test_a_reminder_text_is_checked_before_it_is_kept(text, problem):
    problems = reminder_text_problems(text)
    assert (problem is None and problems == []) or any(problem in p for p in problems)


def test_a_reminder_text_is_filled_without_reading_the_program_s_objects():
    assert fill("{nom} {nom.__class__} {0} {actions}", {"nom": "Anne", "actions": "- 1.1"}) == \
        "Anne {nom.__class__} {0} - 1.1"
    assert reminder_text_problems(DEFAULT_REMINDER) == []


def test_smtp_settings_come_from_the_environment_and_are_checked():
    assert smtp_settings({}) is None
    settings = smtp_settings({"PST_SMTP_HOST": "smtp.cpas.be", "PST_SMTP_USER": "pst@cpas.be"})
    assert (settings.port, settings.tls, settings.sender) == (587, "starttls", "pst@cpas.be")
    assert smtp_settings({"PST_SMTP_HOST": "h", "PST_SMTP_PORT": "465", "PST_SMTP_FROM": "a@b.be"}).tls == "ssl"
    for env, message in (({"PST_SMTP_PORT": "abc"}, "PST_SMTP_PORT"), ({"PST_SMTP_PORT": "9" * 5000}, "PST_SMTP_PORT"),
                         ({"PST_SMTP_PORT": "٣"}, "PST_SMTP_PORT"), ({"PST_SMTP_TLS": "peut-être"}, "PST_SMTP_TLS"),
                         ({"PST_SMTP_FROM": ""}, "PST_SMTP_FROM")):
        with pytest.raises(EditError, match=message):
            smtp_settings({"PST_SMTP_HOST": "h", **env})


# -- health, on both backends ----------------------------------------------------------------------

def _action(engine, slug: str, code: str) -> Action:
    with Session(engine) as s:
        plan = queries.find_plan(s, slug=slug)
        frame = queries.actions_frame(s, plan, TODAY)
        row = frame[frame["code"] == code].iloc[0]
        return s.get(Action, int(row["id"]))


def test_health_needs_a_reason_unless_it_is_good_and_a_chef_sets_it_on_their_actions(seeded_engine):
    with Session(seeded_engine) as s:
        s.execute(Action.__table__.update().where(Action.code == "1.1.1").values(lead_account_id=CHRIS.account_id))
        s.commit()
    action = _action(seeded_engine, "charleroi", "1.1.1")
    with pytest.raises(EditError) as refused:
        services.update_action(seeded_engine, action.id, action.version, {"health": "En difficulté"}, CHRIS)
    assert "indiquez-en la raison" in refused.value.errors[0] and refused.value.fields == ["health_reason"]
    with pytest.raises(EditError, match="santé « Moyen » inconnue"):
        services.update_action(seeded_engine, action.id, action.version, {"health": "Moyen"}, CHRIS)
    saved = services.update_action(seeded_engine, action.id, action.version,
                                   {"health": "En difficulté", "health_reason": "Marché public infructueux"}, CHRIS)
    assert saved.changed == ["health", "health_reason"]
    with Session(seeded_engine) as s:
        plan = queries.find_plan(s, slug="charleroi")
        row = queries.actions_frame(s, plan, TODAY).set_index("code").loc["1.1.1"]
        assert (row["health"], row["health_reason"]) == ("En difficulté", "Marché public infructueux")
        rows = s.execute(select(History.field, History.changed_by).where(History.change_id == saved.change_id)).all()
        assert sorted(rows) == [("health", "Chris Chef"), ("health_reason", "Chris Chef")]
    with pytest.raises(EditError, match="lecteur"):
        services.update_action(seeded_engine, action.id, saved.version, {"health": "Bon"}, LEA)


# -- the Bureau calendar ---------------------------------------------------------------------------

def test_a_directeur_keeps_the_bureau_calendar_and_the_journal_says_so(seeded_engine):
    binche = _plan(seeded_engine, "binche")
    meeting = add_meeting(seeded_engine, DOMINIQUE, binche["id"], "bureau", "15/12/2026", "Point PST")
    add_meeting(seeded_engine, DOMINIQUE, binche["id"], "conseil", dt.date(2026, 12, 17))
    with pytest.raises(EditError, match="Le Bureau du 15/12/2026 est déjà au calendrier"):
        add_meeting(seeded_engine, DOMINIQUE, binche["id"], "bureau", "2026-12-15")
    for day in ("31/02/2026", "demain", "15/12/0001"):
        with pytest.raises(EditError, match="Date de réunion"):
            add_meeting(seeded_engine, DOMINIQUE, binche["id"], "bureau", day)
    for someone in (CHRIS, LEA):
        with pytest.raises(EditError):
            add_meeting(seeded_engine, someone, binche["id"], "bureau", "16/12/2026")
    with pytest.raises(EditError, match="accès"):  # Dominique directs Binche only
        add_meeting(seeded_engine, DOMINIQUE, _plan(seeded_engine, "charleroi")["id"], "bureau", "16/12/2026")
    with Session(seeded_engine) as s:
        assert [(m["kind"], m["held_on"], m["note"]) for m in list_meetings(s, binche["id"])] == [
            ("bureau", D(2026, 12, 15), "Point PST"), ("conseil", D(2026, 12, 17), None)]
        journal = queries.recent_changes(s, binche["id"], 5)
        last_change = s.scalar(select(History.change_id).order_by(History.id.desc()).limit(1))
    assert journal[["field", "new_value", "changed_by"]].values.tolist()[:2] == [
        ["meeting", "Conseil du 17/12/2026", "Dominique Binche"], ["meeting", "Bureau du 15/12/2026", "Dominique Binche"]]
    delete_meeting(seeded_engine, DOMINIQUE, meeting)
    with Session(seeded_engine) as s:
        assert [m["kind"] for m in list_meetings(s, binche["id"])] == ["conseil"]
    with pytest.raises(EditError, match="ne s'annulent pas"):
        services.undo_change(seeded_engine, last_change, DOMINIQUE)


def test_follow_up_settings_are_checked_and_recorded(seeded_engine):
    binche = _plan(seeded_engine, "binche")
    for value in ("abc", "-1", "0", "7,5", "1e308", "99999", True):
        with pytest.raises(EditError, match="Non mise à jour après"):
            save_follow_up_settings(seeded_engine, DOMINIQUE, binche["id"], stale_after_days=value,
                                    reminder_days_before=7, reminder_text=None)
    with pytest.raises(EditError, match="inconnu"):
        save_follow_up_settings(seeded_engine, DOMINIQUE, binche["id"], stale_after_days=30,
                                reminder_days_before=7, reminder_text="{actions} {mot_de_passe}")
    changed = save_follow_up_settings(seeded_engine, DOMINIQUE, binche["id"], stale_after_days="30",
                                      reminder_days_before=" 5 ", reminder_text="Bonjour {nom},\r\n{actions}")
    assert changed == ["stale_after_days", "reminder_days_before", "reminder_text"]
    assert save_follow_up_settings(seeded_engine, DOMINIQUE, binche["id"], stale_after_days=30,
                                   reminder_days_before=5, reminder_text="Bonjour {nom},\n{actions}") == []
    with pytest.raises(EditError):
        save_follow_up_settings(seeded_engine, CHRIS, binche["id"], stale_after_days=30, reminder_days_before=5,
                                reminder_text=None)
    plan = _plan(seeded_engine, "binche")
    assert (plan["stale_after_days"], plan["reminder_days_before"]) == (30, 5)


def _plan(engine, slug):
    with Session(engine) as s:
        return queries.find_plan(s, slug=slug)


# -- « Mes actions »: one save, three changes -----------------------------------------------------

def _binche_chefs(engine) -> dict[str, int]:
    """Accounts for Binche's three chefs de projet, with e-mail, linked to their actions."""
    binche = _plan(engine, "binche")
    ids = {}
    for lead, login in BINCHE_CHEFS.items():
        accounts.create_account(engine, SETUP, login, "chef", name=lead.title(), email=f"{login}@cpas-binche.be",
                                plans=["binche"], password=PASSWORD)
        ids[lead] = accounts.active_actor(engine, login).account_id
        accounts.link_lead(engine, SETUP, binche["id"], lead, ids[lead])
    return ids


def test_a_chef_updates_three_actions_in_one_save_and_the_history_shows_three_changes(seeded_engine):
    ids = _binche_chefs(seeded_engine)
    chef = accounts.active_actor(seeded_engine, "m.doublet")
    with Session(seeded_engine) as s:
        mine = queries.my_actions(s, chef.account_id, chef.plan_ids, TODAY)
    assert len(mine) == 4 and set(mine["plan_slug"]) == {"binche"}
    assert set(mine["lead_account_id"]) == {ids["DOUBLET M."]}
    rows = mine.head(3).to_dict("records")
    edits = [RowEdit(r["id"], r["version"], {"progress": "55"}, r["code"]) for r in rows[:1]] + \
            [RowEdit(r["id"], r["version"], {"health": "À surveiller", "health_reason": "Congé de maladie"}, r["code"])
             for r in rows[1:2]] + [RowEdit(r["id"], r["version"], {"comment": "Réunion tenue le 20/11"}, r["code"])
                                    for r in rows[2:3]]
    result = services.bulk_update(seeded_engine, edits, chef)
    assert [r.code for r in result.saved] == [r["code"] for r in rows]
    with Session(seeded_engine) as s:
        changes = s.execute(select(History.action_code, History.field, History.changed_by)
                            .where(History.change_id == result.saved[0].change_id).order_by(History.id)).all()
    assert [(c.action_code, c.field) for c in changes] == [
        (rows[0]["code"], "progress"), (rows[1]["code"], "health"), (rows[1]["code"], "health_reason"),
        (rows[2]["code"], "comment")]
    assert {c.changed_by for c in changes} == {"Doublet M."}
    assert len({c.action_code for c in changes}) == 3


# -- reminders, to a real SMTP server ---------------------------------------------------------------

@pytest.fixture
def binche_before_a_bureau(seeded_engine, set_now, monkeypatch, app_like_env):
    """Binche 30 days after the seed: its chefs have accounts; a Bureau was held 20 days ago
    and the next is in 3 days; Deltenre updated one action since, the others nothing."""
    ids = _binche_chefs(seeded_engine)
    later = dt.datetime.combine(TODAY + dt.timedelta(days=30), dt.time(9, 0))
    set_now(later)
    binche = _plan(seeded_engine, "binche")
    add_meeting(seeded_engine, DOMINIQUE, binche["id"], "bureau", later.date() - dt.timedelta(days=20))
    add_meeting(seeded_engine, DOMINIQUE, binche["id"], "bureau", later.date() + dt.timedelta(days=3))
    return seeded_engine, binche, ids, later.date()


@pytest.fixture
def app_like_env(monkeypatch):
    for name in ("PST_SMTP_HOST", "PST_SMTP_PORT", "PST_SMTP_USER", "PST_SMTP_PASSWORD", "PST_SMTP_TLS", "PST_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_remind_twice_sends_each_late_person_one_message_then_none(binche_before_a_bureau, capsys):
    engine, binche, ids, today = binche_before_a_bureau
    monkeypatch = pytest.MonkeyPatch()
    with smtp_server() as (mailbox, _settings, env), monkeypatch.context() as m:
        m.setenv("PST_DATABASE_URL", _url(engine))
        for name, value in env.items():
            m.setenv(name, value)
        assert cli.main(["remind", "--plan", "binche"]) == 0
        first = capsys.readouterr().out
        assert len(mailbox.messages) == 3
        assert cli.main(["remind", "--plan", "binche"]) == 0
        second = capsys.readouterr().out
        assert len(mailbox.messages) == 3  # nothing more
        assert cli.main(["remind", "--plan", "binche", "--dry-run"]) == 0
        rehearsal = capsys.readouterr().out
    assert rehearsal.count("déjà relancé le") == 3 and "essai" not in rehearsal
    assert first.count("Envoyé : ") == 3
    assert second.count("déjà relancé le") == 3 and "Envoyé : " not in second
    deltenre = mailbox.to("ludivine.deltenre@cpas-binche.be")
    assert len(deltenre) == 1
    message = deltenre[0]
    bureau = (today + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    assert message["Subject"] == f"PST : mise à jour de vos actions avant le Bureau du {bureau}"
    body = message.get_content()
    assert body.startswith("Bonjour Deltenre Ludivine,") and f"Programme stratégique transversal (CPAS de Binche) le {bureau}." in body
    with Session(engine) as s:
        theirs = queries.actions_frame(s, binche, today)
    codes = theirs[theirs["project_lead"] == "DELTENRE Ludivine"]["code"].tolist()
    assert len(codes) == 5 and all(f"- {code} · " in body for code in codes)
    assert "non mise à jour depuis 30 jours" not in body  # 30 days < the 60-day threshold
    assert "jamais mise à jour" in body  # the seed's import is nobody's update
    assert "échéance dépassée (31/12/2024)" in body  # Binche's actions were due at the end of 2024
    with Session(engine) as s:
        assert s.scalar(select(func.count(Reminder.id))) == 3


def test_remind_waits_for_the_window_and_sends_nothing_without_late_people(binche_before_a_bureau, set_now):
    engine, binche, ids, today = binche_before_a_bureau
    with smtp_server() as (mailbox, settings, _env):
        early = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings,
                               today=today - dt.timedelta(days=10))
        assert "Rien à envoyer aujourd'hui" in early.heading and mailbox.messages == []
        # Every action of Doublet updated since the Bureau: Doublet is no longer late.
        with Session(engine) as s:
            doublet = accounts.active_actor(engine, "m.doublet")
            mine = queries.my_actions(s, doublet.account_id, doublet.plan_ids, today)
        services.bulk_update(engine, [RowEdit(r["id"], r["version"], {"comment": "À jour"}, r["code"])
                                      for r in mine.to_dict("records")], accounts.active_actor(engine, "m.doublet"))
        outcome = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
        assert sorted(m["To"].addresses[0].addr_spec for m in mailbox.messages) == [
            "j.putteneers@cpas-binche.be", "ludivine.deltenre@cpas-binche.be"]
        assert any("KONIECZNY EDWIGE, MICHAUX ORIANE (3)" in line and "aucun compte relié" in line
                   for line in outcome.skipped)


def test_relancer_one_person_with_an_edited_text_and_refusals(binche_before_a_bureau):
    engine, binche, ids, today = binche_before_a_bureau
    with smtp_server() as (mailbox, settings, _env):
        text = "Cher·e {nom}, pour le {date_bureau} :\n{actions}\n<b>**gras**</b>"
        outcome = send_reminders(engine, DOMINIQUE, binche["id"], automatic=False, account_ids=[ids["PUTTENEERS J."]],
                                 text=text, settings=settings, today=today)
        assert len(outcome.sent) == 1 and len(mailbox.messages) == 1
        body = mailbox.messages[0].get_content()
        assert body.startswith("Cher·e Putteneers J., pour le ") and body.rstrip().endswith("<b>**gras**</b>")
        assert mailbox.messages[0]["Content-Type"].startswith("text/plain")
        # Manual reminders can be sent again (a second « Relancer »); the automatic one is separate.
        send_reminders(engine, DOMINIQUE, binche["id"], automatic=False, account_ids=[ids["PUTTENEERS J."]],
                       settings=settings, today=today)
        assert len(mailbox.messages) == 2
        for someone in (CHRIS, LEA):
            with pytest.raises(EditError):
                send_reminders(engine, someone, binche["id"], automatic=False, settings=settings, today=today)
        with pytest.raises(EditError, match="doit contenir"):
            send_reminders(engine, DOMINIQUE, binche["id"], automatic=False, text="Bonjour", settings=settings,
                           today=today)
        assert len(mailbox.messages) == 2
    with pytest.raises(EditError, match="PST_SMTP_HOST"):
        send_reminders(engine, BOB, binche["id"], automatic=False, today=today)


def test_a_refusing_smtp_server_records_nothing_so_the_next_run_tries_again(binche_before_a_bureau):
    engine, binche, ids, today = binche_before_a_bureau
    with smtp_server() as (_mailbox, settings, _env):
        pass  # stopped: nothing listens on its port any more
    outcome = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
    assert len(outcome.failed) == 3 and not outcome.sent
    with Session(engine) as s:
        assert s.scalar(select(func.count(Reminder.id))) == 0
    with smtp_server() as (mailbox, settings, _env):
        again = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
    assert len(again.sent) == 3 and len(mailbox.messages) == 3


def test_a_slow_mail_server_keeps_no_save_waiting(binche_before_a_bureau):
    """The reminder run held its write transaction while the mail server answered: on SQLite
    every save of every plan waited (and some were refused after 10 s), on PostgreSQL every save
    of the plan. A directeur saves while the server is still taking the first message."""
    import threading
    import time

    from tests.smtp_server import Mailbox

    engine, binche, ids, today = binche_before_a_bureau
    entered, release = threading.Event(), threading.Event()

    class SlowMailbox(Mailbox):
        async def handle_DATA(self, server, session, envelope):
            entered.set()
            release.wait(30)
            return await super().handle_DATA(server, session, envelope)

    outcome = {}
    with smtp_server(SlowMailbox()) as (mailbox, settings, _env):
        run = threading.Thread(target=lambda: outcome.update(sent=send_reminders(
            engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)))
        run.start()
        assert entered.wait(30)
        unblock = threading.Timer(8, release.set)  # without the fix, the save below waits for this
        unblock.start()
        with Session(engine) as s:
            target = s.scalars(select(Action).where(Action.code == "1.1.1.1.1", Action.id.in_(
                queries.actions_frame(s, binche, today)["id"].tolist()))).one()
        started = time.monotonic()
        services.set_progress(engine, target.id, target.version, 61, BOB, "Pendant la relance")
        took = time.monotonic() - started
        saved_while_sending = not release.is_set()
        release.set()
        unblock.cancel()
        run.join(60)
    assert saved_while_sending and took < 3, took
    assert len(outcome["sent"].sent) == 3 and len(mailbox.messages) == 3
    with Session(engine) as s:
        assert s.scalars(select(Reminder.state)).all() == ["sent"] * 3


def test_a_run_that_died_while_sending_is_taken_over_after_ten_minutes(binche_before_a_bureau, set_now):
    """The claim (« sending ») is committed before the server is called: a run that finds a
    recent one sends nothing for that person; one left by a dead run is taken over later."""
    engine, binche, ids, today = binche_before_a_bureau
    with smtp_server() as (_mailbox, settings, _env):
        send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
    with Session(engine) as s, s.begin():  # as if the run had died between claim and answer
        row = s.scalars(select(Reminder).where(Reminder.recipient == "ludivine.deltenre@cpas-binche.be")).one()
        row.state = "sending"
        claimed = clock.to_local(row.sent_at).replace(tzinfo=None)
    set_now(claimed + dt.timedelta(minutes=2))
    with smtp_server() as (mailbox, settings, _env):
        soon = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
    assert mailbox.messages == [] and not soon.sent
    assert any("Deltenre Ludivine : relance en cours d'envoi depuis le" in line for line in soon.skipped), soon.skipped
    with Session(engine) as s:  # not shown as sent on the page meanwhile
        assert len(reminder_history(s, binche["id"])) == 2
    set_now(claimed + dt.timedelta(minutes=11))
    with smtp_server() as (mailbox, settings, _env):
        later = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
    assert [m["To"].addresses[0].addr_spec for m in mailbox.messages] == ["ludivine.deltenre@cpas-binche.be"]
    assert len(later.sent) == 1
    with Session(engine) as s:
        assert s.scalar(select(func.count(Reminder.id))) == 3 and len(reminder_history(s, binche["id"])) == 3


def test_a_message_sent_but_not_noted_is_said_sent_and_stops_nothing(binche_before_a_bureau, monkeypatch):
    """The database refuses the « sent » mark (busy) after the server took the message: the run
    says it was sent, goes on with the others, and never shows a traceback."""
    from pst_data.services import reminders as reminder_writes  # where send_reminders looks _settle up

    engine, binche, ids, today = binche_before_a_bureau
    real = reminder_writes._settle

    def settle(engine_, actor, claim, sent):
        if sent:
            raise EditError(["La base de données est occupée : réessayez dans un instant."])
        return real(engine_, actor, claim, sent)

    monkeypatch.setattr(reminder_writes, "_settle", settle)
    with smtp_server() as (mailbox, settings, _env):
        outcome = send_reminders(engine, Operator("cron"), binche["id"], automatic=True, settings=settings, today=today)
    assert len(mailbox.messages) == 3 and len(outcome.sent) == 3
    assert all(line.endswith("(envoyé ; l'envoi n'a pas pu être noté).") for line in outcome.sent)


def test_health_and_staleness_filters_read_from_a_link_and_apply():
    from pst_data.rules.filters import Filters, apply_filters, parse_query_params

    parsed = parse_query_params({"plan": "binche", "health": ["En difficulté", "Non renseignée", "**Moyen**"],
                                 "stale": "1"}, ["binche"], [], "binche")
    assert parsed.filters.healths == ("En difficulté", "Non renseignée") and parsed.filters.stale
    assert parsed.problems == ["Santé inconnue ignorée : **Moyen**."]
    assert parsed.filters.to_query_params()["health"] == ["En difficulté", "Non renseignée"]
    actions = pd.DataFrame({"health": ["Bon", "En difficulté", None], "is_stale": [True, False, True]})
    assert apply_filters(actions, Filters(healths=("En difficulté", "Non renseignée"))).index.tolist() == [1, 2]
    assert apply_filters(actions, Filters(stale=True)).index.tolist() == [0, 2]


# -- Ville–CPAS synergies ---------------------------------------------------------------------------

def test_synergies_are_suggested_from_partners_marked_at_once_and_undone_as_one(seeded_engine):
    from pst_data.aggregates import synergy_rows, synergy_sentence, synergy_suggestions

    charleroi = _plan(seeded_engine, "charleroi")
    with Session(seeded_engine) as s:
        actions = queries.actions_frame(s, charleroi, TODAY)
    suggested = synergy_suggestions(actions)
    assert len(suggested) > 0 and all(any("Ville" in p or "ommun" in p for p in [*ps, *ss])
                                       for ps, ss in zip(suggested["partners"], suggested["services"], strict=True))
    assert synergy_sentence(actions) == "Aucune action n'est marquée comme synergie Ville–CPAS."
    ids = suggested["id"].astype(int).tolist()
    with pytest.raises(EditError):
        services.mark_with_commune(seeded_engine, CHRIS, ids, True)
    saved = services.mark_with_commune(seeded_engine, BOB, ids, True)
    assert len(saved) == len(ids) and len({r.change_id for r in saved}) == 1
    assert services.mark_with_commune(seeded_engine, BOB, ids, True) == []  # already marked: nothing
    with Session(seeded_engine) as s:
        after = queries.actions_frame(s, charleroi, TODAY)
        rows = s.execute(select(History.old_value, History.new_value).where(History.change_id == saved[0].change_id)).all()
    assert {tuple(r) for r in rows} == {("non", "oui")}
    assert synergy_rows(after)["Code"].tolist() == suggested["code"].tolist()
    assert len(ids) > 1 and synergy_sentence(after).startswith(
        f"{len(ids)} actions sur {len(after)} menées avec la commune ou partagées avec elle")
    assert synergy_suggestions(after).empty
    services.undo_change(seeded_engine, saved[0].change_id, BOB)
    with Session(seeded_engine) as s:
        assert not queries.actions_frame(s, charleroi, TODAY)["with_commune"].any()


@pytest.mark.parametrize("value, expected", [(True, True), ("Oui", True), ("x", True), ("non", False), ("", False),
                                             (None, False), ("peut-être", None)])
def test_a_plan_file_says_yes_or_no_to_the_commune(value, expected):
    from pst_data.rules.validation import PlanChecker

    checker = PlanChecker()
    result = checker.yes_no(value, "action 1.1", "with_commune")
    if expected is None:
        assert checker.errors == ["action 1.1 : « Synergie Ville–CPAS » : oui ou non attendu (reçu « peut-être »)."]
    else:
        assert result is expected and checker.errors == []


def test_the_report_has_a_section_on_the_synergies(seeded_engine):
    import io
    import re

    from pypdf import PdfReader

    from pst_data.exports.report import evaluation_report

    charleroi = _plan(seeded_engine, "charleroi")
    with Session(seeded_engine) as s:
        suggested = queries.actions_frame(s, charleroi, TODAY)
    from pst_data.aggregates import synergy_suggestions

    chosen = synergy_suggestions(suggested).head(2)
    services.mark_with_commune(seeded_engine, BOB, chosen["id"].astype(int).tolist(), True)
    with Session(seeded_engine) as s:
        pdf = evaluation_report(s, charleroi, "finale", TODAY, TODAY)
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    section = next(p for p in pages if p.startswith("Synergies entre la commune et le CPAS"))
    assert "2 actions sur 97 menées avec la commune" in section
    assert all(code in section for code in chosen["code"])


# -- found in review ---------------------------------------------------------------------------------

def test_an_indicator_of_an_action_does_not_make_it_new_in_the_past(seeded_engine):
    from pst_data.as_of import plan_as_of
    from pst_data.indicator_store import record_value, save_indicator

    plan = _plan(seeded_engine, "saint-ghislain")
    with Session(seeded_engine) as s:
        actions = queries.actions_frame(s, plan, TODAY)
    first = actions.iloc[0]
    indicator = save_indicator(seeded_engine, BOB, {"label": "Dossiers", "target": "10"}, action_id=int(first["id"]))
    record_value(seeded_engine, BOB, indicator, TODAY, "3")
    with Session(seeded_engine) as s:
        before = plan_as_of(s, plan, queries.actions_frame(s, plan, TODAY), TODAY - dt.timedelta(days=1))
    assert len(before.actions) == len(actions) and before.created_since == [] and before.changes_undone == 0


def test_a_directeur_s_housekeeping_is_not_the_chef_s_update(seeded_engine):
    binche = _plan(seeded_engine, "binche")
    with Session(seeded_engine) as s:
        before = queries.actions_frame(s, binche, TODAY).set_index("id")["last_update"]
    ids = _binche_chefs(seeded_engine)  # linking the accounts writes a row on each of their actions
    doublet = [int(i) for i, lead in _lead_ids(seeded_engine, binche).items() if lead == ids["DOUBLET M."]]
    services.mark_with_commune(seeded_engine, BOB, doublet, True)
    with Session(seeded_engine) as s:
        after = queries.actions_frame(s, binche, TODAY).set_index("id")["last_update"]
    assert after.equals(before) and after.isna().all()  # the seed's import is no update: nobody has reported
    with Session(seeded_engine) as s:
        mine = queries.actions_frame(s, binche, TODAY).set_index("id").loc[doublet[0]]
    services.update_action(seeded_engine, doublet[0], int(mine["version"]), {"comment": "Point fait"}, BOB)
    with Session(seeded_engine) as s:
        assert not pd.isna(queries.actions_frame(s, binche, TODAY).set_index("id").loc[doublet[0], "last_update"])


def _lead_ids(engine, plan):
    with Session(engine) as s:
        frame = queries.actions_frame(s, plan, TODAY)
    return dict(zip(frame["id"], frame["lead_account_id"], strict=True))


def test_mes_actions_and_reminders_leave_out_a_plan_the_account_no_longer_sees(seeded_engine):
    ids = _binche_chefs(seeded_engine)
    accounts.update_account(seeded_engine, SETUP, "m.doublet", plans=["bernissart"])
    doublet = accounts.active_actor(seeded_engine, "m.doublet")
    with Session(seeded_engine) as s:
        assert queries.my_actions(s, doublet.account_id, doublet.plan_ids, TODAY).empty
        from pst_data.reminders import situation

        assert ids["DOUBLET M."] not in situation(s, _plan(seeded_engine, "binche")["id"], TODAY).late


def test_an_indicator_s_unit_or_year_changed_alone_is_recorded(seeded_engine):
    from pst_data.indicator_store import plan_indicators, save_indicator

    plan = _plan(seeded_engine, "saint-ghislain")
    with Session(seeded_engine) as s:
        oo_id = int(queries.objectives_frame(s, plan["id"]).dropna(subset=["oo_id"]).iloc[0]["oo_id"])
    indicator = save_indicator(seeded_engine, BOB, {"label": "Ménages"}, oo_id=oo_id)
    with Session(seeded_engine) as s:
        version = next(i for i in plan_indicators(s, plan["id"]) if i["id"] == indicator)["version"]
    save_indicator(seeded_engine, BOB, {"label": "Ménages", "unit": "ménages", "baseline_year": "2020"},
                   indicator_id=indicator, expected_version=version)
    with Session(seeded_engine) as s:
        rows = s.execute(select(History.new_value).where(History.field == "indicator", History.kind == "update")
                         .order_by(History.id)).scalars().all()
    assert rows == ["Ménages · unité : ménages", "Ménages · année de départ : 2020"]


def test_an_empty_plan_has_its_slides():
    from pst_data.slides import build_deck

    empty = pd.DataFrame(columns=queries.ACTION_COLUMNS)
    plan = {"organisation": "CPAS", "title": "PST", "evaluation_bands": None, "priority_scale": [],
            "stale_after_days": 60}
    changes = pd.DataFrame(columns=["changed_at", "changed_by", "action_code", "field", "old_value", "new_value",
                                    "comment", "kind", "entity"])
    deck = build_deck(plan, empty, changes, TODAY, TODAY, "tous")
    assert [s.kind for s in deck][-3:] == ["late", "drift", "health"]  # no period: a plan that runs
    assert deck[-2].empty == "Aucune action en cours n'est en retard sur son calendrier."
    ended = build_deck({**plan, "period_end": 2024}, empty, changes, TODAY, TODAY, "tous")
    assert [s.kind for s in ended][-2:] == ["late", "health"]


def test_a_pasted_page_of_digits_is_refused_with_a_short_message(seeded_engine):
    action = _action(seeded_engine, "binche", "1.1.1.1.1")
    binche = _plan(seeded_engine, "binche")
    from pst_data.rules.indicators import parse_year

    page = "7" * 10_000_000
    for write in (lambda: services.update_action(seeded_engine, action.id, action.version, {"progress": page}, BOB),
                  lambda: save_follow_up_settings(seeded_engine, BOB, binche["id"], stale_after_days=page,
                                                  reminder_days_before=7, reminder_text=None),
                  lambda: add_meeting(seeded_engine, BOB, binche["id"], "bureau", page),
                  lambda: parse_year(page, "Année de la cible", "target_year")):
        with pytest.raises(EditError) as refused:
            write()
        message = " ".join(refused.value.errors)
        assert len(message) < 200 and "7" * 20 in message, message
