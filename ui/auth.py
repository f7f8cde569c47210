"""Who is looking at this page: an account (session cookie or single sign-on), a Bureau screen
(a read-only link), an anonymous reader (when the setting allows it), or nobody yet.

Identity never comes from ``st.session_state`` or from anything a widget can set: each run reads
the HttpOnly cookie set by the login page (ui/web.py) or the reverse proxy's header, and the
database says which account it is. Writes check the account again (pst_data/uow.py).
"""

from __future__ import annotations

import hmac
import logging
import os
from dataclasses import dataclass

import streamlit as st

from pst_data import accounts
from pst_data.rules.access import Actor
from pst_data.services import accounts as account_writes
from pst_data.uow import read_session
from ui import data
from ui.web import LOGIN_PATH, LOGOUT_PATH, SESSION_COOKIE

log = logging.getLogger("pst_pilot.auth")

# Single sign-on behind a reverse proxy (off unless both are set; see docs/DEPLOYMENT.md):
# the proxy authenticates, sends the login in this header and proves it is the proxy with the
# shared secret, so a header forged by someone reaching the app's port directly is ignored.
TRUSTED_USER_HEADER = "PST_TRUSTED_USER_HEADER"
PROXY_SECRET = "PST_PROXY_SECRET"
PROXY_SECRET_HEADER = "X-PST-Proxy-Secret"
CACHE_SECONDS = 5  # a logout or a disabled account is seen by every page within this delay


@dataclass(frozen=True)
class Viewer:
    actor: Actor | None  # the account, when logged in
    anonymous_read: bool  # reading without an account is allowed (the demo)
    bureau_plan_id: int | None = None  # a Bureau link: this plan's Présentation only
    single_sign_on: bool = False  # the account comes from the reverse proxy's header
    forwarded_login: str | None = None  # what the proxy said, even when no account matches

    @property
    def may_read(self) -> bool:
        return self.actor is not None or self.anonymous_read or self.bureau_plan_id is not None

    def sees(self, plan_id: int) -> bool:
        if self.actor is not None:
            return self.actor.sees(plan_id)
        if self.bureau_plan_id is not None:
            return plan_id == self.bureau_plan_id
        return self.anonymous_read


def request_token() -> str | None:
    """The session cookie of this browser (the page tests replace this one function)."""
    try:
        return st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no browser request behind this run
        return None


def request_header(name: str) -> str | None:
    try:
        return st.context.headers.get(name)
    except Exception:
        return None


@st.cache_data(ttl=CACHE_SECONDS, max_entries=1000, show_spinner=False)
def _session_actor(token: str) -> Actor | None:
    return account_writes.session_actor(data.engine(), token)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=1000, show_spinner=False)
def _trusted_actor(login: str) -> Actor | None:
    return account_writes.log_in_trusted(data.engine(), login)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=100, show_spinner=False)
def _bureau_plan(token: str) -> int | None:
    return account_writes.bureau_link_plan(data.engine(), token)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _anonymous_read() -> bool:
    with read_session(data.engine()) as session:
        return bool(accounts.setting(session, "anonymous_read"))


def single_sign_on_login() -> str | None:
    header = os.environ.get(TRUSTED_USER_HEADER, "").strip()
    if not header:
        return None
    secret = os.environ.get(PROXY_SECRET, "")
    if len(secret) < 16:
        _warn_once(f"{TRUSTED_USER_HEADER} is set but {PROXY_SECRET} is missing or shorter than 16 characters: "
                   "the header is ignored")
        return None
    sent = request_header(PROXY_SECRET_HEADER) or ""
    if not hmac.compare_digest(sent.encode(), secret.encode()):
        return None  # not from our proxy: someone reached the app's port directly
    return (request_header(header) or "").strip() or None


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.error(message)


def viewer() -> Viewer:
    sso_login = single_sign_on_login()
    actor = _trusted_actor(sso_login) if sso_login else None
    if sso_login and actor is None:
        _warn_once(f"single sign-on: no active account for the login sent by the proxy ({sso_login[:64]!r})")
    single_sign_on = actor is not None
    if actor is None:
        token = request_token()
        actor = _session_actor(token) if token else None
    bureau_token = st.query_params.get("bureau")
    bureau_plan = _bureau_plan(bureau_token) if bureau_token and actor is None else None
    return Viewer(actor=actor, anonymous_read=_anonymous_read(), bureau_plan_id=bureau_plan,
                  single_sign_on=single_sign_on, forwarded_login=sso_login)


def forget_cached_identity() -> None:
    """After a change of accounts or settings: every page sees it at its next run."""
    _session_actor.clear()
    _trusted_actor.clear()
    _bureau_plan.clear()
    _anonymous_read.clear()


def login_url(next_path: str = "/") -> str:
    from urllib.parse import quote

    return f"{LOGIN_PATH}?suivant={quote(next_path, safe='')}"


def logout_url() -> str:
    return LOGOUT_PATH


def current_path() -> str:
    """The page's path (for « Se connecter » to come back here)."""
    try:
        url = st.context.url or "/"
    except Exception:
        return "/"
    from urllib.parse import urlsplit

    from urllib.parse import urlencode

    query = urlencode([(key, value) for key in st.query_params.keys() for value in st.query_params.get_all(key)
                       if key != "bureau"])  # never carry a Bureau token into a login
    return (urlsplit(url).path or "/") + (f"?{query}" if query else "")
