"""Account writes: create, change, disable an account, reset or change a password; log in and
out (a session's or a Bureau link's last use noted); Bureau links; settings, publishing a plan;
linking a chef de projet's name to an account. The rules and the reads are in ``pst_data.accounts``."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from db.engine import impatient
from db.limits import LINK_LABEL_MAX
from db.models import (
    Account,
    AccountSession,
    Action,
    BureauLink,
    OperationalObjective,
    Plan,
    Setting,
    StrategicObjective,
)
from pst_data.rules import clock
from pst_data.rules.access import (
    ROLE_LABELS,
    Actor,
    Change,
    login_problem,
    normalise_login,
    password_problems,
    role_problem,
)
from pst_data.accounts import (
    LOCKOUT_AFTER,
    LOCKOUT_MINUTES,
    SEEN_EVERY,
    SESSION_HOURS,
    SESSION_IDLE_HOURS,
    SETTINGS,
    AccountInfo,
    _email,
    _info,
    _name,
    active_actor,
    generated_password,
    new_token,
    token_hash,
)
from pst_data.rules.errors import EditError
from pst_data.rules.text import has_invalid_character
from pst_data.uow import Operator, actor_of, current_actor, read_session, write

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the login is unknown: the answer takes as long either way.
_DUMMY_HASH = HASHER.hash("pst-pilot-no-such-account")

log = logging.getLogger(__name__)


# -- accounts -----------------------------------------------------------------------------

def _plans(session: Session, slugs: list[str] | None) -> list[Plan] | None:
    if slugs is None:
        return None
    found = {p.slug: p for p in session.scalars(select(Plan).where(Plan.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise EditError([f"Plan inconnu : {', '.join(unknown)}."], ["plans"])
    return [found[s] for s in dict.fromkeys(slugs)]


def _account(session: Session, login: str) -> Account:
    account = session.scalars(select(Account).where(Account.login == normalise_login(login))).one_or_none()
    if account is None:
        raise EditError([f"Aucun compte « {normalise_login(login)[:80]} »."], ["login"])
    return account


def _require_admin(uow, subject: str) -> None:
    uow.require(Change(plan_id=None, entity="account", kind="update", field=subject))


def _keep_an_admin(uow, account: Account) -> None:
    """Before ``account`` stops being an active admin: at least one other must remain. Every
    active admin's row is locked first, in one order, so two admins demoting each other at the
    same moment are served one after the other (PostgreSQL; SQLite serialises writes anyway),
    and the second finds it is no longer an admin itself."""
    admins = uow.session.scalars(select(Account.id).where(Account.role == "admin", Account.active.is_(True))
                                 .order_by(Account.id).with_for_update()).all()
    if uow.actor is not None and uow.actor.account_id not in admins:
        raise EditError(["Vous n'êtes plus administrateur (un autre administrateur vient de changer votre rôle) : "
                         "rien n'a été enregistré."])
    if account.id in admins and len(admins) == 1:
        raise EditError([f"« {account.login} » est le dernier administrateur actif : nommez d'abord un autre "
                         "administrateur. Rien n'a été enregistré."], ["role"])


def create_account(engine: Engine, by: Actor | Operator, login: str, role: str, *, name: str | None = None,
                   email: str | None = None, plans: list[str] | None = None, password: str | None = None
                   ) -> tuple[AccountInfo, str | None]:
    """A new account. ``plans`` None: every plan. Without ``password`` one is generated,
    returned once (to show once) and must be changed at the first login. Returns the account
    and the generated password (None when one was given)."""
    login = normalise_login(login)
    errors = [e for e in (login_problem(login), role_problem(role)) if e]
    generated = None
    if password is None:
        password = generated = generated_password()
    else:
        errors += password_problems(password, login, name or "")
    if errors:
        raise EditError(errors, ["login"] if login_problem(login) else [])
    name_text, email_text = _name(name, login), _email(email)
    with write(engine, by) as uow:
        _require_admin(uow, "create")
        session = uow.session
        if session.scalar(select(func.count(Account.id)).where(Account.login == login)):
            raise EditError([f"Un compte « {login} » existe déjà."], ["login"])
        chosen = _plans(session, plans)
        account = Account(login=login, name=name_text, email=email_text, role=role, all_plans=chosen is None,
                          password_hash=HASHER.hash(password), must_change_password=generated is not None,
                          active=True, failed_logins=0, created_at=uow.now, updated_at=uow.now)
        account.plans = chosen or []
        session.add(account)
        session.flush()
        uow.event("account_created", login, f"rôle {ROLE_LABELS[role]} · {_info(account, uow.now).plans_text}")
        return _info(account, uow.now), generated


def update_account(engine: Engine, by: Actor | Operator, login: str, *, role: str | None = None,
                   plans: list[str] | None | str = "keep", name: str | None = None,
                   email: str | None | str = "keep") -> AccountInfo:
    """Change role, plans (None: every plan), name or e-mail of an account."""
    if role is not None and role_problem(role):
        raise EditError([role_problem(role)], ["role"])
    with write(engine, by) as uow:
        _require_admin(uow, "update")
        account = _account(uow.session, login)
        if uow.actor is not None and account.id == uow.actor.account_id and role not in (None, "admin"):
            raise EditError(["Vous ne pouvez pas retirer votre propre rôle d'administrateur."], ["role"])
        before = _info(account, uow.now)
        if role is not None and role != "admin":
            _keep_an_admin(uow, account)
        if role is not None:
            account.role = role
        if plans != "keep":
            chosen = _plans(uow.session, plans)  # type: ignore[arg-type]
            account.all_plans = chosen is None
            account.plans = chosen or []
        if name is not None:
            account.name = _name(name, account.login)
        if email != "keep":
            account.email = _email(email)  # type: ignore[arg-type]
        account.updated_at = uow.now
        uow.session.flush()
        after = _info(account, uow.now)
        if after != before:
            uow.event("account_updated", account.login,
                      f"{before.role_label} · {before.plans_text} → {after.role_label} · {after.plans_text}")
        return after


def set_active(engine: Engine, by: Actor | Operator, login: str, active: bool) -> AccountInfo:
    """Disable (every session ends at once) or enable an account. Accounts are never deleted:
    the history points at them."""
    with write(engine, by) as uow:
        _require_admin(uow, "disable")
        account = _account(uow.session, login)
        if not active and uow.actor is not None and account.id == uow.actor.account_id:
            raise EditError(["Vous ne pouvez pas désactiver votre propre compte."])
        if not active:
            _keep_an_admin(uow, account)
        if bool(account.active) != active:
            account.active, account.updated_at = active, uow.now
            if active:
                account.failed_logins, account.locked_until = 0, None
            else:
                _end_sessions(uow.session, account.id, uow.now)
            uow.event("account_enabled" if active else "account_disabled", account.login)
        return _info(account, uow.now)


def reset_password(engine: Engine, by: Actor | Operator, login: str) -> str:
    """An admin resets a forgotten password: a new one is generated and returned once, to be
    changed at the next login; the account is unlocked and its sessions end."""
    password = generated_password()
    with write(engine, by) as uow:
        _require_admin(uow, "reset_password")
        account = _account(uow.session, login)
        account.password_hash = HASHER.hash(password)
        account.must_change_password = True
        account.failed_logins, account.locked_until, account.updated_at = 0, None, uow.now
        _end_sessions(uow.session, account.id, uow.now)
        uow.event("password_reset", account.login)
    return password


def change_password(engine: Engine, actor: Actor, current: str, new: str, confirm: str,
                    keep_token: str | None = None) -> None:
    """The person changes their own password (the current one is asked again); their other
    sessions end, the one they use (``keep_token``) goes on."""
    errors = []
    if new != confirm:
        errors.append("Les deux saisies du nouveau mot de passe diffèrent.")
    if new == current:
        errors.append("Le nouveau mot de passe doit différer de l'actuel.")
    errors += password_problems(new, actor.login, actor.name)
    if errors:
        raise EditError(errors, ["new_password"])
    # Operator: changing one's own password is allowed even while "must change" holds.
    refused = None
    with write(engine, Operator(actor.name)) as uow:
        account = uow.session.scalars(select(Account).where(Account.id == actor.account_id)
                                      .with_for_update()).one_or_none()
        if account is None or not account.active:
            raise EditError(["Votre compte est désactivé."])
        if account.locked_until and account.locked_until > uow.now:
            refused = _locked_text(account)
        elif not _verify(account.password_hash, current):
            # Counted with the login form's failures, and committed: a guess must cost one.
            if _count_failure(uow, account):
                _end_sessions(uow.session, account.id, uow.now)
                refused = _locked_text(account)
            else:
                left = LOCKOUT_AFTER - account.failed_logins
                refused = (f"Mot de passe actuel incorrect (encore {left} essai{'s' if left > 1 else ''} avant que "
                           f"le compte soit bloqué {LOCKOUT_MINUTES} minutes).")
        else:
            account.password_hash = HASHER.hash(new)
            account.must_change_password = False
            account.failed_logins, account.updated_at = 0, uow.now
            keep = token_hash(keep_token) if keep_token else None
            uow.session.execute(update(AccountSession).where(
                AccountSession.account_id == account.id, AccountSession.ended_at.is_(None),
                AccountSession.token_hash != (keep or "")).values(ended_at=uow.now))
            uow.event("password_changed", account.login)
    if refused:
        raise EditError([refused], ["current_password"])


def _count_failure(uow, account: Account) -> bool:
    """One more wrong password (login form or « Mot de passe actuel »); True when it locks the
    account (LOCKOUT_AFTER in a row, for LOCKOUT_MINUTES)."""
    account.failed_logins = (account.failed_logins or 0) + 1
    if account.failed_logins < LOCKOUT_AFTER:
        return False
    account.locked_until = uow.now + dt.timedelta(minutes=LOCKOUT_MINUTES)
    account.failed_logins = 0
    uow.event("account_locked", account.login, f"{LOCKOUT_AFTER} essais infructueux")
    return True


def _locked_text(account: Account) -> str:
    until = clock.to_local(account.locked_until)
    return (f"Trop d'essais infructueux : ce compte est bloqué jusqu'à {until:%H:%M}. "
            "Un administrateur peut le débloquer en réinitialisant le mot de passe.")


def _verify(password_hash: str | None, password: str) -> bool:
    # Bytes: a typed lone surrogate cannot be encoded as UTF-8 and would raise instead of
    # simply not matching (no stored password holds one: the policy refuses them).
    secret = password.encode("utf-8", "surrogatepass")
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, secret) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# -- logging in ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginResult:
    token: str | None  # the cookie's value when the login succeeded
    message: str | None  # why not, in French
    actor: Actor | None = None


WRONG = "Identifiant ou mot de passe incorrect."


def log_in(engine: Engine, login: str, password: str) -> LoginResult:
    """Check a login and open a session. Five failures in a row lock the account for 15
    minutes; an unknown login gets the same answer, in the same time, as a wrong password."""
    login = normalise_login(login)
    if login_problem(login) or not password or len(password) > 1000:
        _verify(None, "x")
        return LoginResult(None, WRONG)
    with write(engine, Operator("connexion")) as uow:
        session, now = uow.session, uow.now
        account = session.scalars(select(Account).where(Account.login == login).with_for_update()).one_or_none()
        if account is None or not account.active:
            _verify(None, password)
            return LoginResult(None, WRONG)
        if account.locked_until and account.locked_until > now:
            return LoginResult(None, _locked_text(account))
        if not _verify(account.password_hash, password):
            _count_failure(uow, account)
            return LoginResult(None, WRONG)
        if HASHER.check_needs_rehash(account.password_hash):
            account.password_hash = HASHER.hash(password)
        account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
        token = new_token()
        session.add(AccountSession(token_hash=token_hash(token), account_id=account.id, created_at=now,
                                   last_seen_at=now, expires_at=now + dt.timedelta(hours=SESSION_HOURS)))
        return LoginResult(token, None, actor_of(account))


def log_in_trusted(engine: Engine, login: str) -> Actor | None:
    """Single sign-on: the reverse proxy authenticated ``login``; the account must exist and be
    active (accounts are not created from a header). A password "to change" means nothing
    here: it is dropped, so the person can work (and nobody logs in with it)."""
    actor = active_actor(engine, login)
    if actor is None:
        return None
    if actor.must_change_password:
        with write(engine, Operator("connexion")) as uow:
            uow.session.execute(update(Account).where(Account.id == actor.account_id)
                                .values(must_change_password=False, password_hash=None, updated_at=uow.now))
            uow.event("provisional_password_dropped", actor.login, "connexion par le portail")
        actor = replace(actor, must_change_password=False)
    return actor


def session_actor(engine: Engine, token: str | None) -> Actor | None:
    """The account behind a session cookie, or None (unknown, ended, expired, idle, disabled)."""
    if not token or len(token) > 200:
        return None
    now = clock.stored_now()
    with read_session(engine) as session:
        row = session.scalars(select(AccountSession).where(AccountSession.token_hash == token_hash(token))).one_or_none()
        if row is None or row.ended_at is not None or row.expires_at <= now \
                or row.last_seen_at + dt.timedelta(hours=SESSION_IDLE_HOURS) <= now:
            return None
        actor = current_actor(session, row.account_id)
        stale = now - row.last_seen_at >= SEEN_EVERY
    if actor is not None and stale:
        _note_seen(lambda now: update(AccountSession).where(AccountSession.token_hash == token_hash(token))
                   .values(last_seen_at=now), engine)
    return actor


def _note_seen(statement, engine: Engine) -> None:
    """Bookkeeping of a page view (a session's or a Bureau link's last use), best effort and
    never waited for: a page view must not need the write lock, which an import may hold for a
    while. Missed now, it is noted at a later view (the idle limit is hours away)."""
    try:
        with write(impatient(engine), Operator("connexion"), log_refusal=False) as uow:
            uow.session.execute(statement(uow.now))
    except EditError:
        log.info("last use not noted: the database is busy")


def log_out(engine: Engine, token: str | None) -> None:
    if not token or len(token) > 200:
        return
    with write(engine, Operator("connexion")) as uow:
        uow.session.execute(update(AccountSession).where(
            AccountSession.token_hash == token_hash(token), AccountSession.ended_at.is_(None)).values(ended_at=uow.now))


def _end_sessions(session: Session, account_id: int, now: dt.datetime) -> None:
    session.execute(update(AccountSession).where(AccountSession.account_id == account_id,
                                                 AccountSession.ended_at.is_(None)).values(ended_at=now))


def ensure_first_admin(engine: Engine) -> tuple[str, str] | None:
    """An empty instance gets an « admin » account with a generated password (to change at the
    first login). Returns (login, password) when it was just created, to be told once."""
    with read_session(engine) as session:
        if session.scalar(select(func.count(Account.id))):
            return None
    try:
        _info_, password = create_account(engine, Operator("premier démarrage"), "admin", "admin",
                                          name="Administrateur")
    except EditError:  # another process created it at the same moment
        return None
    return "admin", password or ""


# -- Bureau links -------------------------------------------------------------------------

def create_bureau_link(engine: Engine, actor: Actor | Operator, plan_id: int, label: str) -> str:
    """A read-only link to Présentation of one plan, for the Bureau's screen; returns the
    token (shown once, in the link)."""
    label = " ".join((label or "").split())
    if not label:
        raise EditError(["Donnez un nom au lien (ex. « Écran de la salle du Bureau »)."], ["label"])
    if len(label) > LINK_LABEL_MAX or has_invalid_character(label):
        raise EditError([f"Nom du lien trop long ou invalide (maximum {LINK_LABEL_MAX} caractères)."], ["label"])
    token = new_token()
    with write(engine, actor) as uow:
        uow.require(Change(plan_id=plan_id, entity="bureau_link", kind="create"))
        if uow.actor is not None and not uow.actor.directs(plan_id):
            raise EditError(["Seul un directeur de ce plan (ou un administrateur) crée un lien pour le Bureau."])
        plan = uow.session.get(Plan, plan_id)
        if plan is None:
            raise EditError(["Ce plan n'existe plus."])
        uow.session.add(BureauLink(plan_id=plan_id, token_hash=token_hash(token), label=label,
                                   created_at=uow.now, created_by=uow.author))
        uow.event("bureau_link_created", label, plan.slug)
    return token


def revoke_bureau_link(engine: Engine, actor: Actor | Operator, link_id: int) -> None:
    with write(engine, actor) as uow:
        link = uow.session.get(BureauLink, link_id)
        if link is None:
            raise EditError(["Ce lien n'existe plus."])
        uow.require(Change(plan_id=link.plan_id, entity="bureau_link", kind="delete"))
        if uow.actor is not None and not uow.actor.directs(link.plan_id):
            raise EditError(["Seul un directeur de ce plan (ou un administrateur) révoque un lien pour le Bureau."])
        if link.revoked_at is None:
            link.revoked_at = uow.now
            uow.event("bureau_link_revoked", link.label)


def bureau_link_plan(engine: Engine, token: str | None) -> int | None:
    """The plan a Bureau link opens, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    with read_session(engine) as session:
        link = session.scalars(select(BureauLink).where(BureauLink.token_hash == token_hash(token))).one_or_none()
        if link is None or link.revoked_at is not None:
            return None
        plan_id, stale = link.plan_id, link.last_used_at is None or clock.stored_now() - link.last_used_at >= SEEN_EVERY
    if stale:
        _note_seen(lambda now: update(BureauLink).where(BureauLink.id == link.id).values(last_used_at=now), engine)
    return plan_id


# -- settings and publishing --------------------------------------------------------------

def set_setting(engine: Engine, by: Actor | Operator, key: str, value: Any) -> None:
    if key not in SETTINGS:
        raise EditError([f"Réglage inconnu « {key} »."])
    with write(engine, by) as uow:
        uow.require(Change(plan_id=None, entity="setting", kind="update", field=key))
        row = uow.session.get(Setting, key)
        before = SETTINGS[key] if row is None else row.value
        if row is None:
            uow.session.add(Setting(key=key, value=value))
        else:
            row.value = value
        if before != value:
            uow.event("setting_changed", key, f"{before} → {value}")


def publish_plan(engine: Engine, by: Actor | Operator, plan_id: int, published: bool, show_names: bool) -> None:
    """The admin chooses the plan(s) on the public page, and whether staff names show there."""
    with write(engine, by) as uow:
        uow.require(Change(plan_id=plan_id, entity="plan", kind="update", field="published"))
        plan = uow.session.get(Plan, plan_id)
        if plan is None:
            raise EditError(["Ce plan n'existe plus."])
        if (plan.published, plan.published_names) != (published, show_names):
            plan.published, plan.published_names = published, show_names
            uow.touch(plan.id)
            uow.event("plan_published" if published else "plan_unpublished", plan.slug,
                      "avec les noms" if published and show_names else None)


# -- chefs de projet ----------------------------------------------------------------------

def link_lead(engine: Engine, actor: Actor | Operator, plan_id: int, lead_name: str, account_id: int | None) -> int:
    """Link a chef de projet's name (as the plan's documents give it) to an account, on every
    action of the plan that names them; ``account_id`` None unlinks. Returns the number of
    actions changed. Recorded in each action's history."""
    lead_name = " ".join((lead_name or "").split())
    if not lead_name:
        raise EditError(["Choisissez le nom d'un chef de projet."], ["project_lead"])
    with write(engine, actor) as uow:
        session = uow.session
        uow.lock_plan(plan_id)
        if account_id is not None:
            account = session.get(Account, account_id)
            if account is None or not account.active:
                raise EditError(["Ce compte n'existe pas ou est désactivé."], ["lead_account"])
            if not actor_of(account).sees(plan_id):
                raise EditError([f"Le compte {account.login} n'a pas accès à ce plan : un administrateur doit "
                                 "d'abord le lui ouvrir."], ["lead_account"])
            shown = f"{account.name} ({account.login})"
        else:
            shown = None
        actions = session.scalars(
            select(Action).join(OperationalObjective).join(StrategicObjective)
            .where(StrategicObjective.plan_id == plan_id, Action.project_lead == lead_name)
        ).all()
        if not actions:
            raise EditError([f"Aucune action de ce plan n'a « {lead_name[:80]} » pour chef de projet."])
        accounts = {a.id: f"{a.name} ({a.login})" for a in session.scalars(select(Account))}
        changed = 0
        for action in actions:
            if action.lead_account_id == account_id:
                continue
            old = accounts.get(action.lead_account_id) if action.lead_account_id else None
            version = uow.claim(Action, action.id, action.version, action.code)
            session.refresh(action, ["version"])
            uow.record(plan_id, "update", "lead_account", old, shown, code=action.code, entity_id=action.id,
                       version_after=version)
            action.lead_account_id = account_id
            action.updated_at, action.updated_by = uow.now, uow.author
            changed += 1
        return changed
