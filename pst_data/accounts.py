"""Accounts, sessions, Bureau links and settings, read: the password and session rules, the
account list, the account journal in words. Every write (create an account, log in, link a chef
de projet…) is in ``pst_data.services.accounts``; the old names still work from here.

Passwords are hashed with argon2id (argon2-cffi); a password is never stored, logged, exported
or put in an error message. Logins and Bureau links are random tokens held by the browser; the
database keeps only their SHA-256, so a copy of the database opens no session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import getaddresses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.limits import AUTHOR_MAX, EMAIL_MAX, LINK_LABEL_MAX, PASSWORD_MAX, PASSWORD_MIN  # noqa: F401 (read by the forms)
from db.models import Account, AccountEvent, BureauLink, Setting
from pst_data.rules import clock
from pst_data.rules.access import (
    ROLE_LABELS,
    Actor,
    login_problem,
    normalise_login,
)
from pst_data.rules.errors import EditError
from pst_data.rules.text import has_invalid_character
from pst_data.uow import actor_of, read_session
from pst_data.moved import moved_names

LOCKOUT_AFTER = 5  # failed logins in a row
LOCKOUT_MINUTES = 15
SESSION_HOURS = 12  # a login lasts a working day at most
SESSION_IDLE_HOURS = 4  # and ends after this long without a page opened
SEEN_EVERY = dt.timedelta(minutes=5)  # last_seen_at is written at most this often
SETTINGS = {"anonymous_read": False}  # defaults
GENERATED_PASSWORD_BYTES = 12  # 16 characters of URL-safe base64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def generated_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _name(text: str | None, login: str) -> str:
    name = " ".join((text or "").split()) or login
    if len(name) > AUTHOR_MAX:
        raise EditError([f"Nom trop long ({len(name)} caractères, maximum {AUTHOR_MAX})."], ["name"])
    if has_invalid_character(name):
        raise EditError(["Le nom contient un caractère invalide."], ["name"])
    return name


def _email(text: str | None) -> str | None:
    """One address, as a mail library reads it: « a@x.be,espion@y.be » would send every reminder
    to two people, « Nom <a@x.be> » or a comment would not be what the field shows."""
    email = (text or "").strip() or None
    if email is None:
        return None
    if len(email) > EMAIL_MAX or not _one_address(email):
        raise EditError([f"Adresse e-mail invalide « {email[:80]} » : une seule adresse est attendue "
                         "(ex. prenom.nom@cpas.be)."], ["email"])
    return email


def _one_address(text: str) -> bool:
    if any(c.isspace() or not c.isprintable() for c in text) or any(c in text for c in ",;<>()[]\\\""):
        return False
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, HeaderParseError):
        return False
    return (getaddresses([text]) == [("", text)] and address.addr_spec == text and bool(address.username)
            and "." in address.domain and not address.domain.startswith(".") and not address.domain.endswith("."))


# -- accounts -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountInfo:
    login: str
    name: str
    email: str | None
    role: str
    plans: tuple[str, ...]  # slugs; empty with all_plans
    all_plans: bool
    active: bool
    locked: bool
    must_change_password: bool
    last_login_at: dt.datetime | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def plans_text(self) -> str:
        return "tous les plans" if self.all_plans or self.role == "admin" else (", ".join(self.plans) or "aucun plan")


def _info(account: Account, now: dt.datetime) -> AccountInfo:
    return AccountInfo(
        login=account.login, name=account.name, email=account.email, role=account.role,
        plans=tuple(p.slug for p in account.plans), all_plans=bool(account.all_plans), active=bool(account.active),
        locked=bool(account.locked_until and account.locked_until > now),
        must_change_password=bool(account.must_change_password), last_login_at=account.last_login_at,
    )


def list_accounts(session: Session) -> list[AccountInfo]:
    now = clock.stored_now()
    return [_info(a, now) for a in session.scalars(select(Account).order_by(Account.login))]


def accounts_for_plan(session: Session, plan_id: int) -> list[tuple[int, str]]:
    """Active accounts that see the plan (to link a chef de projet's name to one)."""
    rows = session.scalars(select(Account).where(Account.active.is_(True)).order_by(Account.name)).all()
    return [(a.id, f"{a.name} ({a.login})") for a in rows if actor_of(a).sees(plan_id)]


# -- logging in ---------------------------------------------------------------------------

def active_actor(engine: Engine, login: str) -> Actor | None:
    """The active account with this login, as it is (the CLI's --as)."""
    login = normalise_login(login)
    if login_problem(login):
        return None
    with read_session(engine) as session:
        account = session.scalars(select(Account).where(Account.login == login)).one_or_none()
        return actor_of(account) if account is not None and account.active else None


# -- Bureau links -------------------------------------------------------------------------

def list_bureau_links(session: Session, plan_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(BureauLink).where(BureauLink.plan_id == plan_id).order_by(BureauLink.id)).all()
    return [{"id": r.id, "label": r.label, "created_at": r.created_at, "created_by": r.created_by,
             "revoked_at": r.revoked_at, "last_used_at": r.last_used_at} for r in rows]


# -- settings -----------------------------------------------------------------------------

def setting(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    return SETTINGS[key] if row is None else row.value


# -- the account journal ------------------------------------------------------------------

SETTING_LABELS = {"anonymous_read": "Lecture sans compte"}
_SETTING_VALUES = {"True": "oui", "False": "non"}


def recent_events(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The account journal, in words: a setting by its name on the page (« Lecture sans
    compte : non → oui »), not its key and Python's booleans (rows written before included)."""
    rows = session.scalars(select(AccountEvent).order_by(AccountEvent.id.desc()).limit(limit)).all()
    return [{"at": r.at, "by": r.by, "event": r.event,
             "subject": SETTING_LABELS.get(r.subject, r.subject) if r.event == "setting_changed" else r.subject,
             "detail": _setting_detail(r.detail) if r.event == "setting_changed" else r.detail} for r in rows]


def _setting_detail(detail: str | None) -> str | None:
    if not detail or " → " not in detail:
        return detail
    before, after = detail.split(" → ", 1)
    return f"{_SETTING_VALUES.get(before, before)} → {_SETTING_VALUES.get(after, after)}"


EVENT_LABELS = {
    "account_created": "compte créé", "account_updated": "compte modifié", "account_disabled": "compte désactivé",
    "account_enabled": "compte réactivé", "password_reset": "mot de passe réinitialisé",
    "password_changed": "mot de passe changé", "account_locked": "compte bloqué (essais infructueux)",
    "bureau_link_created": "lien Bureau créé", "bureau_link_revoked": "lien Bureau révoqué",
    "setting_changed": "réglage modifié",
    "provisional_password_dropped": "mot de passe provisoire abandonné (portail)", "plan_published": "plan publié", "plan_unpublished": "plan retiré de la page publique",
}


# -- the writes, moved to pst_data.services.accounts --------------------------------------

__getattr__ = moved_names(__name__, "pst_data.services.accounts", {
    "HASHER", "LoginResult", "WRONG", "bureau_link_plan", "change_password", "create_account", "create_bureau_link",
    "ensure_first_admin", "link_lead", "log_in", "log_in_trusted", "log_out", "publish_plan", "reset_password",
    "revoke_bureau_link", "session_actor", "set_active", "set_setting", "update_account",
})
