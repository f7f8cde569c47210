"""Accounts on both backends: passwords, logins, lockout, sessions, disabling, resets, the
password policy, hostile input, the first admin, Bureau links, the command line, and no
password (nor hash) in any export or log.

argon2 is slow on purpose (about a second per hash here): apart from the test of the real
parameters, these tests hash with the same algorithm at tiny costs (``quick_hashing``).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile

import pytest
import yaml
from argon2 import PasswordHasher
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.engine import get_engine
from db.migrate import upgrade
from db.models import (
    Account,
    AccountEvent,
    AccountSession,
    Action,
    BureauLink,
    History,
    OperationalObjective,
    Plan,
    StrategicObjective,
)
from pst_data import accounts, queries, services
from pst_data.accounts import WRONG
from pst_data.cli import main as cli_main
from pst_data.exchange.plan_file import dump_plan_json
from pst_data.exports.excel import plan_workbook
from pst_data.importer import export_plan
from pst_data.rules.access import password_problems
from pst_data.rules.errors import EditError
from pst_data.services import accounts as account_writes
from tests.people import ALICE, BOB, CHRIS, MARIE, PASSWORD

QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PW = "Une phrase de passe 2026"
NEW_PW = "Une autre phrase, plus longue"
BASE = dt.datetime(2026, 11, 24, 9, 0)  # a Tuesday, 9:00 in Brussels
LOCKED = "Trop d'essais infructueux : ce compte est bloqué jusqu'à"


@pytest.fixture
def real_hashing():
    """Ask for it to keep argon2's real parameters in a test."""


@pytest.fixture(autouse=True)
def quick_hashing(request, monkeypatch):
    if "real_hashing" in request.fixturenames:
        return
    # Patched where the writes look them up (log_in, create_account…: pst_data.services.accounts).
    monkeypatch.setattr(account_writes, "HASHER", QUICK_HASHER)
    monkeypatch.setattr(account_writes, "_DUMMY_HASH", QUICK_HASHER.hash("pst-pilot-no-such-account"))


def new_account(engine, login: str = "marc.test", role: str = "directeur", plans=None, password: str | None = PW,
                name: str = "Marc Testeur"):
    return accounts.create_account(engine, ALICE, login, role, name=name, plans=plans, password=password)


def stored(engine, login: str) -> Account | None:
    with Session(engine) as s:
        return s.scalars(select(Account).where(Account.login == login)).one_or_none()


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def action(engine, slug: str, code: str) -> Action:
    with Session(engine) as s:
        return s.scalars(select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                         .where(Plan.slug == slug, Action.code == code)).one()


def plan_state(engine, slug: str = "charleroi") -> tuple:
    """What a refused write must leave as it was."""
    with Session(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.slug == slug)).one()
        actions = s.execute(select(Action.id, Action.version, Action.progress, Action.status, Action.title)
                            .join(OperationalObjective).join(StrategicObjective)
                            .where(StrategicObjective.plan_id == plan.id).order_by(Action.id)).all()
        return plan.revision, s.scalar(select(func.count(History.id))), tuple(actions)


def plan_id(engine, slug: str = "charleroi") -> int:
    with Session(engine) as s:
        return s.scalar(select(Plan.id).where(Plan.slug == slug))


# -- passwords ----------------------------------------------------------------------------

def test_passwords_are_stored_as_argon2id_hashes(empty_engine, real_hashing):
    info, generated = new_account(empty_engine)
    assert generated is None and not info.must_change_password
    row = stored(empty_engine, "marc.test")
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's recommended costs
    assert PW not in row.password_hash and row.password_hash != PW
    assert accounts.HASHER.verify(row.password_hash, PW)
    # The same password twice: two different hashes (a salt each).
    new_account(empty_engine, "marc.test2")
    assert stored(empty_engine, "marc.test2").password_hash != row.password_hash
    # Every account of the database: a hash, never a password.
    with Session(empty_engine) as s:
        hashes = s.scalars(select(Account.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h or PW in h for h in hashes)


def test_generated_password_is_returned_once_and_must_be_changed(empty_engine):
    info, generated = new_account(empty_engine, password=None)
    assert info.must_change_password and len(generated) >= 16
    row = stored(empty_engine, "marc.test")
    assert generated not in row.password_hash and QUICK_HASHER.verify(row.password_hash, generated)
    with Session(empty_engine) as s:
        events = s.scalars(select(AccountEvent.detail)).all()
    assert not any(generated in (d or "") for d in events)


# -- logging in ---------------------------------------------------------------------------

def test_log_in_and_the_same_answer_for_an_unknown_login_and_a_wrong_password(empty_engine):
    new_account(empty_engine)
    good = accounts.log_in(empty_engine, "  Marc.Test ", PW)  # typed with capitals and spaces
    assert good.message is None and good.token and good.actor.login == "marc.test"
    assert good.actor.role == "directeur" and good.actor.name == "Marc Testeur"
    assert accounts.session_actor(empty_engine, good.token) == good.actor
    wrong_password = accounts.log_in(empty_engine, "marc.test", PW + "x")
    unknown_login = accounts.log_in(empty_engine, "personne", PW)
    empty_password = accounts.log_in(empty_engine, "marc.test", "")
    assert wrong_password.message == unknown_login.message == empty_password.message == WRONG
    assert WRONG == "Identifiant ou mot de passe incorrect."
    assert not (wrong_password.token or unknown_login.token or wrong_password.actor or unknown_login.actor)
    # The browser keeps a random token; the database only its SHA-256.
    with Session(empty_engine) as s:
        kept = s.scalars(select(AccountSession.token_hash)).all()
    assert kept == [accounts.token_hash(good.token)] and good.token not in kept


def test_lockout_after_five_failures_and_release_after_fifteen_minutes(empty_engine, set_now):
    set_now(BASE)
    new_account(empty_engine)
    for _ in range(4):
        assert accounts.log_in(empty_engine, "marc.test", "pas le bon mot").message == WRONG
    assert accounts.log_in(empty_engine, "marc.test", PW).token  # a success starts the count again
    for _ in range(4):
        assert accounts.log_in(empty_engine, "marc.test", "pas le bon mot").message == WRONG
    assert stored(empty_engine, "marc.test").locked_until is None
    assert accounts.log_in(empty_engine, "marc.test", "pas le bon mot").message == WRONG  # the fifth
    refused = accounts.log_in(empty_engine, "marc.test", PW)  # even the right password, now
    assert refused.token is None and refused.message.startswith(LOCKED)
    assert "09:15" in refused.message and "Un administrateur peut le débloquer" in refused.message
    with Session(empty_engine) as s:
        assert s.scalars(select(AccountEvent.event).where(AccountEvent.subject == "marc.test")).all()[-1] \
            == "account_locked"
        assert [a.locked for a in accounts.list_accounts(s) if a.login == "marc.test"] == [True]
    # An unknown login never says "locked", however many tries.
    for _ in range(6):
        assert accounts.log_in(empty_engine, "personne", "pas le bon mot").message == WRONG
    set_now(BASE + dt.timedelta(minutes=14))
    assert accounts.log_in(empty_engine, "marc.test", PW).message.startswith(LOCKED)
    set_now(BASE + dt.timedelta(minutes=16))
    released = accounts.log_in(empty_engine, "marc.test", PW)
    assert released.message is None and released.token
    # Locked again, an admin's reset unlocks at once.
    for _ in range(5):
        accounts.log_in(empty_engine, "marc.test", "pas le bon mot")
    assert accounts.log_in(empty_engine, "marc.test", PW).message.startswith(LOCKED)
    given = accounts.reset_password(empty_engine, ALICE, "marc.test")
    assert accounts.log_in(empty_engine, "marc.test", given).token


def test_guesses_of_the_current_password_count_towards_the_same_lockout(empty_engine, set_now):
    """« Mot de passe actuel » on Mon compte could be guessed without limit from an open session."""
    set_now(BASE)
    new_account(empty_engine)
    here = accounts.log_in(empty_engine, "marc.test", PW)
    assert accounts.log_in(empty_engine, "marc.test", "pas le bon mot").message == WRONG  # 1 at the login form
    for left in (3, 2, 1):
        with pytest.raises(EditError) as refused:
            accounts.change_password(empty_engine, here.actor, f"essai {left}", NEW_PW, NEW_PW, keep_token=here.token)
        assert refused.value.errors == [f"Mot de passe actuel incorrect (encore {left} essai{'s' if left > 1 else ''} "
                                        "avant que le compte soit bloqué 15 minutes)."]
        assert refused.value.fields == ["current_password"]
    with pytest.raises(EditError) as refused:  # the fifth: locked, and signed out everywhere
        accounts.change_password(empty_engine, here.actor, "essai 0", NEW_PW, NEW_PW, keep_token=here.token)
    assert refused.value.errors[0].startswith(LOCKED) and "09:15" in refused.value.errors[0]
    assert accounts.session_actor(empty_engine, here.token) is None
    assert accounts.log_in(empty_engine, "marc.test", PW).message.startswith(LOCKED)
    with pytest.raises(EditError) as refused:  # even the right one, while locked
        accounts.change_password(empty_engine, here.actor, PW, NEW_PW, NEW_PW)
    assert refused.value.errors[0].startswith(LOCKED)
    set_now(BASE + dt.timedelta(minutes=16))
    accounts.change_password(empty_engine, here.actor, PW, NEW_PW, NEW_PW)
    assert accounts.log_in(empty_engine, "marc.test", NEW_PW).token


def test_session_ends_after_twelve_hours_and_after_four_idle_hours(empty_engine, set_now):
    set_now(BASE)
    new_account(empty_engine)
    used = accounts.log_in(empty_engine, "marc.test", PW).token
    idle = accounts.log_in(empty_engine, "marc.test", PW).token
    set_now(BASE + dt.timedelta(hours=3, minutes=50))
    assert accounts.session_actor(empty_engine, used) is not None
    set_now(BASE + dt.timedelta(hours=4, minutes=1))
    assert accounts.session_actor(empty_engine, idle) is None  # 4 h without a page
    assert accounts.session_actor(empty_engine, used) is not None  # seen 11 minutes ago
    for hours in (7.5, 11):
        set_now(BASE + dt.timedelta(hours=hours))
        assert accounts.session_actor(empty_engine, used) is not None
    set_now(BASE + dt.timedelta(hours=12, minutes=1))
    assert accounts.session_actor(empty_engine, used) is None  # a working day at most, however active
    assert accounts.session_actor(empty_engine, accounts.log_in(empty_engine, "marc.test", PW).token)


def test_a_page_view_never_waits_for_the_write_lock(empty_engine, set_now):
    """The session's « last seen » was written during every page view (at most every 5 minutes):
    while an import held the write lock, a viewer got « Une erreur inattendue » after 12 s. Now
    the view goes on at once, and the moment is noted at a later view."""
    import threading
    import time

    set_now(BASE)
    new_account(empty_engine)
    token = accounts.log_in(empty_engine, "marc.test", PW).token
    set_now(BASE + dt.timedelta(minutes=6))
    holder = empty_engine.connect()  # another writer (an import) holds the lock: the database's
    holder = holder.execution_options(begin_immediate=True) if holder.dialect.name == "sqlite" else holder
    transaction = holder.begin()
    holder.execute(select(AccountSession.id).with_for_update())  # PostgreSQL: every session row
    if holder.dialect.name == "sqlite":
        holder.execute(insert(AccountEvent).values(at=BASE, by="import", event="test", subject="verrou"))
    release = threading.Timer(6, transaction.rollback)  # bounds the wait the test measures, before the fix
    release.start()
    try:
        started = time.monotonic()
        actor = accounts.session_actor(empty_engine, token)
        took = time.monotonic() - started
        assert actor is not None and actor.login == "marc.test"
        assert took < 2, took
    finally:
        release.cancel()
        if transaction.is_active:
            transaction.rollback()
        holder.close()
    with Session(empty_engine) as s:
        assert s.scalar(select(AccountSession.last_seen_at)) < clock_stored(BASE + dt.timedelta(minutes=1))  # busy
    set_now(BASE + dt.timedelta(minutes=7))
    assert accounts.session_actor(empty_engine, token) is not None
    with Session(empty_engine) as s:
        assert s.scalar(select(AccountSession.last_seen_at)) >= clock_stored(BASE + dt.timedelta(minutes=7))


def clock_stored(moment: dt.datetime) -> dt.datetime:
    from pst_data.rules import clock

    return clock.to_stored(moment)


def test_log_out_ends_that_session_only(empty_engine):
    new_account(empty_engine)
    first = accounts.log_in(empty_engine, "marc.test", PW).token
    second = accounts.log_in(empty_engine, "marc.test", PW).token
    accounts.log_out(empty_engine, first)
    assert accounts.session_actor(empty_engine, first) is None
    assert accounts.session_actor(empty_engine, second) is not None
    accounts.log_out(empty_engine, first)  # twice: nothing to do, no error
    accounts.log_out(empty_engine, None)


def test_disabling_ends_the_sessions_and_refuses_writes(seeded_engine):
    new_account(seeded_engine, plans=["charleroi"])
    login = accounts.log_in(seeded_engine, "marc.test", PW)
    a = action(seeded_engine, "charleroi", "1.1.1")
    saved = services.set_progress(seeded_engine, a.id, a.version, 20, login.actor)
    assert action(seeded_engine, "charleroi", "1.1.1").progress == 20
    info = accounts.set_active(seeded_engine, ALICE, "marc.test", False)
    assert not info.active
    assert accounts.session_actor(seeded_engine, login.token) is None
    before = plan_state(seeded_engine)
    with pytest.raises(EditError) as refused:  # with the actor its page still holds
        services.set_progress(seeded_engine, a.id, saved.version, 30, login.actor)
    assert refused.value.errors == ["Votre compte est désactivé ou n'existe plus : rien n'a été enregistré."]
    assert plan_state(seeded_engine) == before
    assert accounts.log_in(seeded_engine, "marc.test", PW).message == WRONG  # nothing said about why
    with pytest.raises(EditError, match="Vous ne pouvez pas désactiver votre propre compte."):
        accounts.set_active(seeded_engine, ALICE, "alice", False)
    accounts.set_active(seeded_engine, ALICE, "marc.test", True)
    again = accounts.log_in(seeded_engine, "marc.test", PW)
    assert again.token and accounts.session_actor(seeded_engine, login.token) is None  # the old one stays ended
    services.set_progress(seeded_engine, a.id, saved.version, 30, again.actor)


def test_a_reset_password_must_be_changed_before_any_write(seeded_engine):
    new_account(seeded_engine, plans=["charleroi"])
    old_session = accounts.log_in(seeded_engine, "marc.test", PW).token
    given = accounts.reset_password(seeded_engine, ALICE, "marc.test")
    assert given != PW and len(given) >= 16
    assert accounts.session_actor(seeded_engine, old_session) is None
    assert accounts.log_in(seeded_engine, "marc.test", PW).message == WRONG
    login = accounts.log_in(seeded_engine, "marc.test", given)
    assert login.token and login.actor.must_change_password
    a, charleroi = action(seeded_engine, "charleroi", "1.1.1"), plan_id(seeded_engine)
    before = plan_state(seeded_engine)
    for write in (
        lambda: services.set_progress(seeded_engine, a.id, a.version, 55, login.actor),
        lambda: accounts.create_bureau_link(seeded_engine, login.actor, charleroi, "Écran"),
    ):
        with pytest.raises(EditError) as refused:
            write()
        assert refused.value.errors == [
            "Changez d'abord le mot de passe reçu (page « Mon compte ») : rien n'a été enregistré."]
    assert plan_state(seeded_engine) == before and count(seeded_engine, BureauLink) == 0
    accounts.change_password(seeded_engine, login.actor, given, NEW_PW, NEW_PW, keep_token=login.token)
    current = accounts.session_actor(seeded_engine, login.token)
    assert current is not None and not current.must_change_password
    services.set_progress(seeded_engine, a.id, a.version, 55, login.actor)  # the database says: changed
    assert action(seeded_engine, "charleroi", "1.1.1").progress == 55
    assert accounts.log_in(seeded_engine, "marc.test", given).message == WRONG


def test_change_password_ends_the_other_sessions_and_keeps_this_one(empty_engine):
    new_account(empty_engine)
    here = accounts.log_in(empty_engine, "marc.test", PW)
    elsewhere = accounts.log_in(empty_engine, "marc.test", PW).token
    for current, new, confirm, message in (
        ("pas le bon mot", NEW_PW, NEW_PW,
         "Mot de passe actuel incorrect (encore 4 essais avant que le compte soit bloqué 15 minutes)."),
        (PW, NEW_PW, NEW_PW + "!", "Les deux saisies du nouveau mot de passe diffèrent."),
        (PW, PW, PW, "Le nouveau mot de passe doit différer de l'actuel."),
    ):
        with pytest.raises(EditError) as refused:
            accounts.change_password(empty_engine, here.actor, current, new, confirm, keep_token=here.token)
        assert message in refused.value.errors
    assert accounts.session_actor(empty_engine, elsewhere) is not None  # nothing changed yet
    accounts.change_password(empty_engine, here.actor, PW, NEW_PW, NEW_PW, keep_token=here.token)
    assert accounts.session_actor(empty_engine, here.token) is not None
    assert accounts.session_actor(empty_engine, elsewhere) is None
    assert accounts.log_in(empty_engine, "marc.test", PW).message == WRONG
    assert accounts.log_in(empty_engine, "marc.test", NEW_PW).token
    with Session(empty_engine) as s:
        assert "password_changed" in s.scalars(select(AccountEvent.event)).all()


POLICY = [
    ("k9!zQ#", "Mot de passe trop court : au moins 10 caractères."),
    ("".join(chr(0x41 + i % 50) for i in range(201)), "Mot de passe trop long (maximum 200 caractères)."),
    ("moi-marc.test-2026", "Le mot de passe ne peut pas contenir votre identifiant ni votre nom."),
    ("Marc Testeur, 2026 !", "Le mot de passe ne peut pas contenir votre identifiant ni votre nom."),
    ("aaaaaaaaaaaaaaa", "Mot de passe trop simple (trop peu de caractères différents)."),
    ("abababababab", "Mot de passe trop simple (trop peu de caractères différents)."),
    ("une phrase\x00 de passe", "Le mot de passe contient un caractère invalide."),
    ("une phrase\ud800 de passe", "Le mot de passe contient un caractère invalide."),
]


def test_password_policy_in_french(empty_engine):
    assert password_problems("cheval agrafe pile correcte", "marc.test", "Marc Testeur") == []
    for password, message in POLICY:
        assert message in password_problems(password, "marc.test", "Marc Testeur"), password
        with pytest.raises(EditError) as refused:
            new_account(empty_engine, password=password)
        assert message in refused.value.errors
        assert stored(empty_engine, "marc.test") is None
    new_account(empty_engine)
    here = accounts.log_in(empty_engine, "marc.test", PW)
    for password, message in POLICY:
        with pytest.raises(EditError) as refused:
            accounts.change_password(empty_engine, here.actor, PW, password, password)
        assert message in refused.value.errors
        assert password not in " ".join(refused.value.errors)  # a message never repeats it
    assert accounts.log_in(empty_engine, "marc.test", PW).token


HOSTILE_LOGINS = [
    "", " ", "a" * 10_000, "marc\x00.test", "marc\ud800", "\ud800", "admin' OR '1'='1", "x'; DROP TABLE accounts;--",
    "\" OR 1=1 --", "marc.test%", "*", "Élodie", "a b", "robert\nadmin", "\u202emarc", "marc\ttest",
]


def test_hostile_logins_and_passwords_are_refused_in_french(empty_engine):
    new_account(empty_engine)
    accounts_before = count(empty_engine, Account)
    for login in HOSTILE_LOGINS:
        result = accounts.log_in(empty_engine, login, PW)
        assert result.token is None and result.message == WRONG, repr(login[:20])
        assert accounts.log_in_trusted(empty_engine, login) is None
        with pytest.raises(EditError) as refused:
            accounts.create_account(empty_engine, ALICE, login, "lecteur", password=PW)
        assert refused.value.errors[0].startswith(("Indiquez un identifiant.", "Identifiant trop long",
                                                   "Identifiant invalide")), repr(login[:20])
    here = accounts.log_in(empty_engine, "marc.test", PW)
    # Typed as the current password when changing it: refused, not a traceback.
    with pytest.raises(EditError, match="Mot de passe actuel incorrect."):
        accounts.change_password(empty_engine, here.actor, "une phrase\ud800 de passe", NEW_PW, NEW_PW)
    answers = []
    for password in ("x" * 10_000, "\x00" * 12, "une phrase\ud800 de passe", "\ud800", "' OR '1'='1", "%s%s%s%n"):
        answers.append(accounts.log_in(empty_engine, "marc.test", password).message)
        assert accounts.log_in(empty_engine, "personne", password).message == WRONG
    # Wrong passwords like any other (the over-long one is refused before it is even checked):
    # with the wrong current password above, five failures, and the account is locked.
    assert answers[:5] == [WRONG] * 5 and answers[5].startswith(LOCKED)
    assert accounts.log_in(empty_engine, "marc.test", PW).message.startswith(LOCKED)
    assert count(empty_engine, Account) == accounts_before
    for name, email, message in (
        ("x" * 10_000, None, "Nom trop long (10000 caractères, maximum 120)."),
        ("Marc\x00", None, "Le nom contient un caractère invalide."),
        ("Marc\udfff", None, "Le nom contient un caractère invalide."),
        ("Marc", "marc@exemple.be\x00", "Adresse e-mail invalide"),
        ("Marc", "pas une adresse", "Adresse e-mail invalide « pas une adresse » : une seule adresse est attendue"),
        # Two addresses in one field: every reminder would go to both (a comma makes two recipients).
        ("Marc", "marc@exemple.be,espion@ailleurs.be", "Adresse e-mail invalide « marc@exemple.be,espion@ailleurs.be »"),
        ("Marc", "marc@exemple.be; espion@ailleurs.be", "Adresse e-mail invalide"),
        ("Marc", "Marc <marc@exemple.be>", "Adresse e-mail invalide"),
        ("Marc", "marc@exemple.be (bureau)", "Adresse e-mail invalide"),
        ("Marc", "marc@@exemple.be", "Adresse e-mail invalide"),
        ("Marc", "marc@localhost", "Adresse e-mail invalide"),
        ("Marc", "m@" + "x" * 10_000, "Adresse e-mail invalide"),
    ):
        with pytest.raises(EditError) as refused:
            accounts.create_account(empty_engine, ALICE, "autre.compte", "lecteur", name=name, email=email,
                                    password=PW)
        assert message in refused.value.errors[0] and len(refused.value.errors[0]) < 300
    with pytest.raises(EditError, match="Rôle inconnu « superadmin »"):
        accounts.create_account(empty_engine, ALICE, "autre.compte", "superadmin", password=PW)
    # Cookies and links that were never given out.
    for token in ("", "\x00", "\ud800", "x" * 10_000, "' OR 1=1 --", accounts.new_token()):
        assert accounts.session_actor(empty_engine, token) is None
        assert accounts.bureau_link_plan(empty_engine, token) is None
        accounts.log_out(empty_engine, token)
    assert count(empty_engine, Account) == accounts_before


def test_first_admin_is_created_once(backend):
    engine = backend.engine(backend.new_url())
    upgrade(engine)  # no account at all: a new instance
    created = accounts.ensure_first_admin(engine)
    assert created is not None
    login, password = created
    assert login == "admin" and len(password) >= 16
    assert accounts.ensure_first_admin(engine) is None
    with Session(engine) as s:
        assert s.scalars(select(Account.login)).all() == ["admin"]
    first = accounts.log_in(engine, "admin", password)
    assert first.actor.role == "admin" and first.actor.must_change_password
    engine.dispose()


def test_ensure_first_admin_leaves_an_instance_with_accounts_alone(empty_engine):
    before = count(empty_engine, Account)
    assert accounts.ensure_first_admin(empty_engine) is None
    assert count(empty_engine, Account) == before


# -- Bureau links -------------------------------------------------------------------------

def test_bureau_link_opens_its_plan_until_revoked(seeded_engine):
    binche = plan_id(seeded_engine, "binche")
    with pytest.raises(EditError, match="Donnez un nom au lien"):
        accounts.create_bureau_link(seeded_engine, BOB, binche, "   ")
    token = accounts.create_bureau_link(seeded_engine, BOB, binche, "Écran de la salle du Bureau")
    assert accounts.bureau_link_plan(seeded_engine, token) == binche
    assert accounts.bureau_link_plan(seeded_engine, token[:-1]) is None
    with Session(seeded_engine) as s:
        [link] = accounts.list_bureau_links(s, binche)
        assert s.get(BureauLink, link["id"]).token_hash == accounts.token_hash(token) != token
    assert link["label"] == "Écran de la salle du Bureau" and link["created_by"] == "Bob"
    assert link["last_used_at"] is not None and link["revoked_at"] is None
    accounts.revoke_bureau_link(seeded_engine, BOB, link["id"])
    assert accounts.bureau_link_plan(seeded_engine, token) is None
    accounts.revoke_bureau_link(seeded_engine, BOB, link["id"])  # twice: still revoked, no error
    with pytest.raises(EditError, match="Ce lien n'existe plus."):
        accounts.revoke_bureau_link(seeded_engine, BOB, link["id"] + 1000)


# -- the command line ---------------------------------------------------------------------

@pytest.fixture
def cli(seeded_engine, monkeypatch, capsys):
    url = seeded_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("PST_DATABASE_URL", url)

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli_main(list(argv))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    yield run
    get_engine(url).dispose()  # the command line's own pool: its connections go back now


def test_cli_user_add_list_disable_and_reset(cli, seeded_engine):
    code, out, err = cli("user", "add", "Marc.Test", "--role", "chef", "--plan", "charleroi", "--name",
                         "Marc Testeur", "--email", "marc@exemple.be", "--password-stdin", stdin=PW + "\n")
    assert (code, err) == (0, "")
    assert out == "Compte « marc.test » créé : Chef de projet, charleroi.\n"  # the password is not printed
    assert accounts.log_in(seeded_engine, "marc.test", PW).actor.plan_ids == {plan_id(seeded_engine)}

    code, out, err = cli("user", "add", "nina.neuve", "--role", "lecteur")
    assert code == 0 and err == ""
    [generated] = re.findall(r"Mot de passe \(affiché une seule fois, à changer à la première connexion\) : (\S+)\n",
                             out)
    assert out.count(generated) == 1
    login = accounts.log_in(seeded_engine, "nina.neuve", generated)
    assert login.actor.must_change_password and login.actor.role == "lecteur"

    code, out, err = cli("user", "list")
    assert code == 0
    assert "marc.test\tMarc Testeur\tChef de projet\tcharleroi\tactif\n" in out
    assert "nina.neuve\tnina.neuve\tLecteur\ttous les plans\tactif\tmot de passe à changer\n" in out
    assert PW not in out and generated not in out and "$argon2" not in out

    session = accounts.log_in(seeded_engine, "marc.test", PW).token
    code, out, err = cli("user", "disable", "marc.test")
    assert (code, out) == (0, "Compte « marc.test » désactivé (ses sessions sont fermées).\n")
    assert accounts.session_actor(seeded_engine, session) is None
    assert "marc.test\tMarc Testeur\tChef de projet\tcharleroi\tdésactivé\n" in cli("user", "list")[1]
    assert cli("user", "enable", "marc.test")[1] == "Compte « marc.test » réactivé.\n"

    code, out, err = cli("user", "reset-password", "marc.test")
    assert code == 0 and err == ""
    [given] = re.findall(r"Nouveau mot de passe de « marc\.test » \(affiché une seule fois, à changer à la "
                         r"connexion suivante\) : (\S+)\n", out)
    assert accounts.log_in(seeded_engine, "marc.test", PW).message == WRONG
    assert accounts.log_in(seeded_engine, "marc.test", given).actor.must_change_password

    code, out, err = cli("user", "set", "marc.test", "--role", "directeur", "--all-plans")
    assert (code, out) == (0, "Compte « marc.test » : Directeur, tous les plans.\n")


def test_cli_user_errors_are_french_and_write_nothing(cli, seeded_engine):
    before = count(seeded_engine, Account)
    for argv, stdin, message in (
        (("user", "add", "bob", "--role", "lecteur"), None, "Un compte « bob » existe déjà."),
        (("user", "add", "x'; DROP TABLE accounts;--", "--role", "lecteur"), None, "Identifiant invalide"),
        (("user", "add", "a" * 10_000, "--role", "lecteur"), None, "Identifiant trop long (10000 caractères"),
        (("user", "add", "marc.test", "--role", "lecteur", "--password-stdin"), "k9!zQ#\n",
         "Mot de passe trop court"),
        (("user", "add", "marc.test", "--role", "lecteur", "--password-stdin"), "une phrase\x00 de passe\n",
         "Le mot de passe contient un caractère invalide."),
        (("user", "add", "marc.test", "--role", "lecteur", "--plan", "nulle-part"), None, "Plan inconnu : nulle-part."),
        (("user", "disable", "personne"), None, "Aucun compte « personne »."),
        (("user", "reset-password", "personne"), None, "Aucun compte « personne »."),
    ):
        code, out, err = cli(*argv, stdin=stdin)
        assert code == 2 and out == "" and message in err, (argv[:3], err)
        if stdin:
            assert stdin.strip() not in err  # the refused password is not echoed
    assert count(seeded_engine, Account) == before


def test_cli_setting_anonymous_read(cli, seeded_engine):
    assert cli("setting", "anonymous_read") == (0, "off\n", "")
    assert cli("setting", "anonymous_read", "on") == (0, "anonymous_read = on\n", "")
    assert cli("setting", "anonymous_read") == (0, "on\n", "")
    with Session(seeded_engine) as s:
        assert accounts.setting(s, "anonymous_read") is True
    assert cli("setting", "anonymous_read", "off")[0] == 0
    with Session(seeded_engine) as s:
        assert accounts.setting(s, "anonymous_read") is False
        assert s.scalars(select(AccountEvent.event)).all()[-2:] == ["setting_changed", "setting_changed"]
        # The journal says it in words: the setting's name on the page, oui / non.
        shown = [(e["subject"], e["detail"]) for e in accounts.recent_events(s)[:2]]
    assert shown == [("Lecture sans compte", "oui → non"), ("Lecture sans compte", "non → oui")]


def test_cli_as_a_disabled_account_is_refused(cli, seeded_engine, tmp_path):
    accounts.set_active(seeded_engine, ALICE, "bob", False)
    before = plan_state(seeded_engine, "binche")
    code, out, err = cli("snapshot", "take", "--plan", "binche", "--name", "Essai", "--as", "bob")
    assert (code, out) == (2, "") and "Aucun compte actif « bob »." in err
    code, out, err = cli("snapshot", "take", "--plan", "binche", "--name", "Essai", "--as", "lea.lecteur")
    assert code == 2 and "Votre rôle (lecteur) permet de consulter, pas de modifier." in err
    assert plan_state(seeded_engine, "binche") == before


# -- no password or hash in any export or log ---------------------------------------------

def test_no_password_or_hash_in_exports_or_logs(seeded_engine, caplog):
    caplog.set_level(logging.DEBUG)
    new_account(seeded_engine, "marc.test", "chef", plans=["charleroi"])
    accounts.log_in(seeded_engine, "marc.test", "pas le bon mot de passe")
    login = accounts.log_in(seeded_engine, "marc.test", PW)
    with pytest.raises(EditError):
        new_account(seeded_engine, "autre.compte", password="k9!zQ#")
    accounts.change_password(seeded_engine, login.actor, PW, NEW_PW, NEW_PW, keep_token=login.token)
    given = accounts.reset_password(seeded_engine, ALICE, "marc.test")
    _, generated = new_account(seeded_engine, "nina.neuve", "lecteur", password=None)
    a = action(seeded_engine, "charleroi", "1.1.1")
    services.update_action(seeded_engine, a.id, a.version, {"project_lead": "Marc Testeur"}, BOB)
    accounts.link_lead(seeded_engine, BOB, plan_id(seeded_engine), "Marc Testeur", stored(seeded_engine, "marc.test").id)
    secrets = [PASSWORD, PW, NEW_PW, "pas le bon mot de passe", "k9!zQ#", given, generated, login.token]
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in logged
    with Session(seeded_engine) as s:
        hashes = s.scalars(select(Account.password_hash)).all()
        plan = queries.find_plan(s, slug="charleroi")
        data = export_plan(s, "charleroi")
        workbook = plan_workbook(s, plan, queries.actions_frame(s, plan))
    with zipfile.ZipFile(io.BytesIO(workbook)) as xlsx:
        sheets = "".join(xlsx.read(name).decode("utf-8", "replace") for name in xlsx.namelist())
    assert "Marc Testeur" in dump_plan_json(data) and "Marc Testeur" in sheets  # the chef de projet is there
    for text in (dump_plan_json(data), yaml.safe_dump(data, allow_unicode=True), sheets):
        assert "$argon2" not in text and "argon2" not in text
        for secret in secrets + hashes:
            assert secret not in text


def test_a_database_refusal_logs_no_hash(empty_engine, monkeypatch, caplog):
    """Someone creates the same login at the same instant: the database refuses the second
    insert, the person gets a French message with a reference, and the server's log gets the
    details without the statement's parameters (the new account's hash among them)."""
    real_plans = account_writes._plans

    def meanwhile(session, slugs):  # between the "is this login free?" check and the insert
        now = account_writes.clock.stored_now()
        session.execute(insert(Account).values(
            login="marc.test", name="Marc (l'autre)", role="lecteur", all_plans=True, password_hash=None,
            must_change_password=True, active=True, failed_logins=0, created_at=now, updated_at=now))
        return real_plans(session, slugs)

    monkeypatch.setattr(account_writes, "_plans", meanwhile)  # where create_account looks it up
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EditError) as refused:
        new_account(empty_engine)
    [message] = refused.value.errors
    assert message.startswith("Quelqu'un vient d'enregistrer un élément qui entre en conflit avec le vôtre")
    reference = re.search(r"référence ([0-9a-f]{8})", message).group(1)
    assert f"write refused by the database (reference {reference})" in caplog.text
    assert "INSERT INTO accounts" in caplog.text  # the details are there for the administrator...
    assert "$argon2" not in caplog.text and PW not in caplog.text  # ...but not the hash
    assert stored(empty_engine, "marc.test") is None


def test_single_sign_on_drops_a_provisional_password_so_the_person_can_work(seeded_engine):
    """Behind a portal there is no « Mon compte » password form: a password "to change" (a new
    account, a reset) must not block the person's writes."""
    from pst_data import services
    from tests.test_services import action

    accounts.reset_password(seeded_engine, ALICE, "bob")
    assert accounts.active_actor(seeded_engine, "bob").must_change_password  # the CLI's --as leaves it
    actor = accounts.log_in_trusted(seeded_engine, "bob")
    assert not actor.must_change_password
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    assert services.set_progress(seeded_engine, a.id, a.version, 81, actor).changed == ["progress"]
    assert accounts.log_in(seeded_engine, "bob", "n'importe quoi").token is None


def test_a_chef_de_projet_name_is_required_to_link_one(seeded_engine):
    with pytest.raises(EditError, match="Choisissez le nom d'un chef de projet"):
        accounts.link_lead(seeded_engine, BOB, 1, "  ", CHRIS.account_id)


def test_an_account_s_e_mail_is_one_address_when_changed_too(empty_engine):
    """« a@x,espion@y » in the field would send every reminder to both: refused, nothing changed."""
    accounts.create_account(empty_engine, ALICE, "ursule.zed", "lecteur", name="Ursule Zed", email="uz@exemple.be",
                            password=PW)
    with pytest.raises(EditError, match="une seule adresse est attendue"):
        accounts.update_account(empty_engine, ALICE, "ursule.zed", email="uz@exemple.be,espion@ailleurs.be")
    with Session(empty_engine) as s:
        assert next(a for a in accounts.list_accounts(s) if a.login == "ursule.zed").email == "uz@exemple.be"


# -- the last admin -------------------------------------------------------------------------

def active_admins(engine) -> list[str]:
    with Session(engine) as s:
        return s.scalars(select(Account.login).where(Account.role == "admin", Account.active.is_(True))
                         .order_by(Account.login)).all()


def test_the_last_admin_can_be_neither_demoted_nor_disabled(empty_engine):
    for login in ("claire", "marie.dupont"):
        accounts.update_account(empty_engine, ALICE, login, role="directeur")
    operator = services.Operator("ligne de commande")
    last = ("« alice » est le dernier administrateur actif : nommez d'abord un autre administrateur. "
            "Rien n'a été enregistré.")
    for change, message in ((lambda: accounts.update_account(empty_engine, operator, "alice", role="lecteur"), last),
                            (lambda: accounts.set_active(empty_engine, operator, "alice", False), last),
                            (lambda: accounts.update_account(empty_engine, MARIE, "alice", role="lecteur"),
                             "Seul un administrateur peut gérer les comptes.")):
        with pytest.raises(EditError) as refused:
            change()
        assert refused.value.errors == [message]
    assert active_admins(empty_engine) == ["alice"]
    accounts.update_account(empty_engine, operator, "alice", role="admin", name="Alice A.")  # not a demotion
    assert active_admins(empty_engine) == ["alice"]


def test_two_admins_demoting_each_other_at_the_same_moment_leave_one(empty_engine):
    """Each write re-reads its actor, but without a lock both saw the other still admin and
    both committed (29 races of 30 left no admin on PostgreSQL)."""
    import threading

    accounts.update_account(empty_engine, ALICE, "claire", role="directeur")
    for _round in range(8):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def demote(by, login):
            barrier.wait()
            try:
                accounts.update_account(empty_engine, by, login, role="directeur")
                outcomes.append("saved")
            except EditError as refused:
                outcomes.append(refused.errors[0])

        threads = [threading.Thread(target=demote, args=(ALICE, "marie.dupont")),
                   threading.Thread(target=demote, args=(MARIE, "alice"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(active_admins(empty_engine)) == 1, outcomes
        assert sorted(outcomes)[-1] == "saved" and outcomes.count("saved") == 1, outcomes
        survivor = active_admins(empty_engine)[0]
        operator = services.Operator("tests")
        accounts.update_account(empty_engine, operator, "alice" if survivor != "alice" else "marie.dupont",
                                role="admin")
