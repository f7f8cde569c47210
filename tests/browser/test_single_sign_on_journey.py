"""Single sign-on behind a real reverse proxy (docs/DEPLOYMENT.md): nginx asks for a password
(auth_basic), then passes the login in ``X-Remote-User`` and proves it is the proxy with the
shared secret in ``X-PST-Proxy-Secret``. The app trusts that header and nothing else: a header
a browser sends itself is overwritten by nginx, and one sent straight to the app's port (without
the secret) is ignored.

One app server and one nginx for the whole file; nginx is Debian's (``make browser`` installs
it). Without nginx the journeys skip, except in CI where the run fails."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from unittest import mock

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import ARTIFACTS, required_tool, shot
from tests.browser.server import StreamlitServer, free_port, wait_for_app

USER_HEADER = "X-Remote-User"
NGINX_PASSWORDS = {"claire.martin": "mot-de-passe-nginx-claire", "lea.lecteur": "mot-de-passe-nginx-lea"}


def nginx_path() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


@pytest.fixture(scope="module")
def nginx_binary(chromium):
    return required_tool(nginx_path(), "nginx introuvable (apt-get install nginx) : parcours d'authentification "
                                       "unique non exécutés")


@pytest.fixture(scope="module")
def proxy_secret() -> str:
    return secrets.token_hex(16)  # 32 characters


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory, seeded_sqlite_file, nginx_binary, proxy_secret):
    """The app, configured for single sign-on, on a copy of the seeded database (which allows
    reading without an account, like the demo)."""
    path = tmp_path_factory.mktemp("browser-sso") / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, path)
    ARTIFACTS.mkdir(exist_ok=True)
    # StreamlitServer copies os.environ when it starts the process: set ours only around it.
    with mock.patch.dict(os.environ, {"PST_TRUSTED_USER_HEADER": USER_HEADER, "PST_PROXY_SECRET": proxy_secret}):
        server = StreamlitServer(f"sqlite:///{path}", ARTIFACTS / "streamlit-browser-sso.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def htpasswd_line(login: str, password: str) -> str:
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{login}:{{SHA}}{digest}"


NGINX_CONF = """\
{user}worker_processes 1;
error_log {artifacts}/nginx-sso-error.log info;
pid {tmp}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log {artifacts}/nginx-sso-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_basic "PST Pilot";
            auth_basic_user_file {tmp}/htpasswd;
            proxy_pass http://127.0.0.1:{app_port};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Remote-User $remote_user;
            proxy_set_header X-PST-Proxy-Secret "{secret}";
            proxy_set_header Authorization "";
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx(tmp_path_factory, nginx_binary, sso_app, proxy_secret):
    """nginx in front of the app: its URL (http://127.0.0.1:PORT)."""
    tmp = tmp_path_factory.mktemp("nginx-sso")
    (tmp / "htpasswd").write_text("".join(htpasswd_line(u, p) + "\n" for u, p in NGINX_PASSWORDS.items()))
    port = free_port()
    # As root, nginx's worker would become "nobody" and could not read pytest's private tmp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, artifacts=ARTIFACTS, tmp=tmp, port=port,
                                      app_port=sso_app.port, secret=proxy_secret))
    log = open(ARTIFACTS / "nginx-sso.log", "w")
    process = subprocess.Popen([nginx_binary, "-p", str(tmp), "-c", str(conf), "-e", str(ARTIFACTS / "nginx-sso-error.log"),
                                "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with {process.returncode}; see {ARTIFACTS}/nginx-sso*.log")
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            except urllib.error.HTTPError:  # 401: nginx answers
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("nginx did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def new_page(browser):
    """``new_page(login=None, password=None, headers=None)``: a page in a browser context of its
    own, with these basic-auth credentials (``login`` alone: its nginx password) and these extra
    request headers on every request, the websocket's included."""
    contexts = []

    def new_page_(login: str | None = None, password: str | None = None, headers: dict[str, str] | None = None):
        options = {"locale": "fr-BE", "viewport": {"width": 1400, "height": 1000}}
        if login:
            options["http_credentials"] = {"username": login, "password": password or NGINX_PASSWORDS[login]}
        if headers:
            options["extra_http_headers"] = headers
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield new_page_
    for context in contexts:
        context.close()


# Who is logged in shows in every page's sidebar: these journeys open the lightest page that has
# one (no chart to draw), not the overview.
PAGE = "/Mon_compte"


def sidebar_text(page) -> str:
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("PST Pilot", exact=True).wait_for(timeout=15_000)
    return sidebar.inner_text()


def test_the_proxy_logs_in_the_person_it_authenticated(nginx, new_page):
    page = new_page(login="claire.martin")
    response = page.goto(f"{nginx}{PAGE}")
    assert response.status == 200
    text = sidebar_text(page)
    assert "Connecté : Claire Martin · Directeur" in text
    assert "Lecture sans compte" not in text
    # The proxy logs people out, not PST Pilot: no link that would do nothing.
    assert "Se déconnecter" not in text
    shot(page, "sso-1-claire-through-nginx")


def test_a_user_header_sent_by_the_browser_is_overwritten_by_the_proxy(nginx, new_page):
    page = new_page(login="lea.lecteur", headers={USER_HEADER: "alice", "X-PST-Proxy-Secret": "devine-devine-devine"})
    page.goto(f"{nginx}{PAGE}")
    text = sidebar_text(page)
    assert "Connecté : Léa Lecteur · Lecteur" in text
    assert "Alice" not in text and "Administrateur" not in text
    shot(page, "sso-2-lea-sending-alice-through-nginx")


def test_without_credentials_the_proxy_shows_no_page(nginx, new_page):
    page = new_page()
    answers = []
    page.on("response", lambda response: answers.append(response.status))
    with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
        page.goto(f"{nginx}/")  # nothing to answer the password prompt with
    assert answers == [401]
    assert page.locator("[data-testid='stApp']").count() == 0

    page = new_page(login="claire.martin", password="pas-le-bon")
    response = page.goto(f"{nginx}/")
    assert response.status == 401
    assert page.locator("[data-testid='stApp']").count() == 0
    assert "401 Authorization Required" in page.locator("body").inner_text()

    for path in ("/connexion", "/_stcore/health"):  # no part of the app answers without a password
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{nginx}{path}", timeout=5)
        assert refused.value.code == 401


@pytest.mark.parametrize("secret_header", [None, "pas-le-bon-secret-mais-assez-long"],
                         ids=["no-secret", "wrong-secret"])
def test_a_user_header_forged_straight_to_the_app_is_ignored(sso_app, new_page, secret_header):
    headers = {USER_HEADER: "alice"}
    if secret_header:
        headers["X-PST-Proxy-Secret"] = secret_header
    page = new_page(headers=headers)
    page.goto(f"{sso_app.url}{PAGE}")
    text = sidebar_text(page)
    assert "Lecture sans compte" in text
    assert "Connecté" not in text and "Alice" not in text
    shot(page, f"sso-3-forged-alice-{'wrong' if secret_header else 'no'}-secret")


def test_the_app_does_read_the_headers_a_browser_sends(sso_app, new_page, proxy_secret):
    """The control for the test above: the same header WITH the secret logs in, so the browser's
    headers do reach the app and the refusal above is the secret's doing."""
    page = new_page(headers={USER_HEADER: "alice", "X-PST-Proxy-Secret": proxy_secret})
    page.goto(f"{sso_app.url}{PAGE}")
    assert "Connecté : Alice · Administrateur" in sidebar_text(page)
