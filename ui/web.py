"""The two HTTP pages Streamlit cannot make: « Se connecter » and « Se déconnecter ».

Streamlit pages talk over a websocket and cannot set a cookie; a login must survive a reload,
a new tab and a move between pages. So the login form is a plain HTML form served next to the
app (``ui/server.py`` mounts these routes): it checks the password, opens a session in the
database and sets an HttpOnly, SameSite=Strict cookie holding a random token. Every page then
reads that cookie (``st.context.cookies``) and asks the database who it belongs to, which works
the same on every server process sharing the database.

No JavaScript, no external resource: the page works with a screen reader, a keyboard and a
password manager, and its Content-Security-Policy allows nothing else.
"""

from __future__ import annotations

import hmac
import html
import logging
import os
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from db.engine import database_url, get_engine
from pst_data import accounts
from pst_data.seed import ensure_ready
from pst_data.services import accounts as account_writes
from ui.framework_fr import script as french_script

log = logging.getLogger("pst_pilot.web")

SESSION_COOKIE = "pst_session"
CSRF_COOKIE = "pst_login_csrf"
LOGIN_PATH = "/connexion"
LOGOUT_PATH = "/deconnexion"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_ready = False


def _engine():
    """The app's engine; the first call (in a worker thread: never on the event loop) brings
    the database to the schema, as the pages do."""
    global _ready
    engine = get_engine(database_url())
    if not _ready:  # the login page may be the first thing served after a start
        from pst_data.cli import tell_first_admin

        tell_first_admin(ensure_ready(engine))
        _ready = True
    return engine


def secure_cookies(request: Request) -> bool:
    """Secure cookies when the browser reached us over HTTPS (directly, or through a proxy that
    says so), or when the IT person forces it (PST_SECURE_COOKIES=1)."""
    if os.environ.get("PST_SECURE_COOKIES", "").lower() in ("1", "true", "yes", "on"):
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (no //host, no scheme)."""
    target = (target or "/").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target[:500]


PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · PST Pilot</title>
<style>
body {{ font-family: "Source Sans Pro", "DejaVu Sans", Arial, sans-serif; background: #f5f7fa; color: #1b1f24;
       margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
main {{ background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15);
        width: min(26rem, 92vw); }}
h1 {{ font-size: 1.6rem; margin: 0 0 .3rem; }}
p.lead {{ margin: 0 0 1.4rem; color: #3d4650; }}
label {{ display: block; font-weight: 600; margin: 1rem 0 .3rem; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: .55rem .6rem;
        border: 1px solid #6b7580; border-radius: 4px; }}
input:focus, button:focus, a:focus {{ outline: 3px solid #0b57d0; outline-offset: 2px; }}
button {{ margin-top: 1.5rem; width: 100%; font-size: 1.1rem; padding: .65rem; border: 0; border-radius: 4px;
         background: #0d5bb5; color: #fff; font-weight: 600; cursor: pointer; }}
.error {{ background: #fdecea; color: #8a1c13; border-left: 4px solid #b3261e; padding: .7rem .9rem; margin-bottom: 1rem; }}
.info {{ background: #e8f1fb; color: #0b3d75; border-left: 4px solid #0d5bb5; padding: .7rem .9rem; margin-bottom: 1rem; }}
a {{ color: #0b4f9c; }}
</style>
</head>
<body><main>{body}</main></body>
</html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status,
                        headers=SECURITY_HEADERS)


def _login_form(next_path: str, csrf: str, error: str | None = None, login: str = "", info: str | None = None) -> str:
    message = f'<div class="error" role="alert">{html.escape(error)}</div>' if error else ""
    message += f'<div class="info" role="status">{html.escape(info)}</div>' if info else ""
    return f"""<h1>PST Pilot</h1>
<p class="lead">Connectez-vous pour suivre et mettre à jour le Programme stratégique transversal.</p>
{message}
<form method="post" action="{LOGIN_PATH}">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">
<input type="hidden" name="suivant" value="{html.escape(next_path)}">
<label for="identifiant">Identifiant</label>
<input type="text" id="identifiant" name="identifiant" value="{html.escape(login)}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required maxlength="64"{'' if login else ' autofocus'}>
<label for="mot_de_passe">Mot de passe</label>
<input type="password" id="mot_de_passe" name="mot_de_passe" autocomplete="current-password" required
 maxlength="1000"{' autofocus' if login else ''}>
<button type="submit">Se connecter</button>
</form>
<p><a href="/">Revenir au tableau de bord</a></p>
<p><small>Mot de passe oublié : l'administrateur de PST Pilot de votre CPAS le réinitialise.</small></p>"""


def _with_csrf(response: Response, request: Request, csrf: str) -> Response:
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, path=LOGIN_PATH, httponly=True, samesite="strict",
                        secure=secure_cookies(request))
    return response


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        csrf = secrets.token_urlsafe(24)
        info = "Vous êtes déconnecté." if request.query_params.get("fin") == "1" else None
        return _with_csrf(_page("Connexion", _login_form(safe_next(request.query_params.get("suivant")), csrf,
                                                         info=info)), request, csrf)
    form = await request.form()
    login = str(form.get("identifiant", ""))[:200]
    password = str(form.get("mot_de_passe", ""))
    next_path = safe_next(str(form.get("suivant", "/")))
    sent, expected = str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        csrf = secrets.token_urlsafe(24)
        return _with_csrf(_page("Connexion", _login_form(
            next_path, csrf, "Le formulaire a expiré ou ne vient pas de PST Pilot : saisissez à nouveau vos identifiants.",
            login), status=400), request, csrf)
    try:
        result = await run_in_threadpool(lambda: account_writes.log_in(_engine(), login, password))
    except Exception:  # the database is down: a French page, the detail in the log
        reference = secrets.token_hex(4)
        log.exception("login failed (reference %s)", reference)
        csrf = secrets.token_urlsafe(24)
        return _with_csrf(_page("Connexion", _login_form(
            next_path, csrf, f"La connexion est impossible pour le moment (référence {reference}) : réessayez "
                             "dans un instant ou prévenez le service informatique.", login), status=503), request, csrf)
    if result.token is None:
        csrf = secrets.token_urlsafe(24)
        return _with_csrf(_page("Connexion", _login_form(next_path, csrf, result.message, login)), request, csrf)
    if result.actor is not None and result.actor.must_change_password:
        next_path = "/Mon_compte"
    response = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(SESSION_COOKIE, result.token, max_age=accounts.SESSION_HOURS * 3600, path="/",
                        httponly=True, samesite="strict", secure=secure_cookies(request))
    response.delete_cookie(CSRF_COOKIE, path=LOGIN_PATH)
    return response


async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    try:
        await run_in_threadpool(lambda: account_writes.log_out(_engine(), token))
    except Exception:
        log.exception("logout: the session could not be ended in the database")
    response = RedirectResponse(f"{LOGIN_PATH}?fin=1", status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request))
    return response


def routes() -> list[Route]:
    return [
        Route(LOGIN_PATH, login_page, methods=["GET", "POST"]),
        Route(LOGOUT_PATH, logout, methods=["GET", "POST"]),
    ]


FRENCH_SCRIPT = french_script().encode()


class FrenchPages:
    """ASGI middleware: Streamlit's page shell says ``<html lang="en">``; ours speak French
    (screen readers pick their voice from it, WCAG 3.1.1), and it carries the script that puts
    the framework's few English texts in French (ui/framework_fr.py). Only the small HTML shell
    is rewritten; everything else streams through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or \
                b"text/html" not in dict(scope.get("headers") or []).get(b"accept", b""):
            await self.app(scope, receive, send)
            return
        # A browser asking for a page: the shell (2 kB) comes back uncompressed, so it can be read.
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: dict | None = None
        chunks: list[bytes] = []

        async def send_wrapper(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    body = b"".join(chunks).replace(b'<html lang="en"', b'<html lang="fr"', 1)
                    body = body.replace(b"</head>", FRENCH_SCRIPT + b"</head>", 1)
                    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, send_wrapper)
