"""The login and logout pages over HTTP (Starlette's test client, a real database): cookie
settings, CSRF, no open redirect, French answers, no password in any log."""

from __future__ import annotations

import logging
import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from db.engine import make_engine
from pst_data import accounts
from tests.people import PASSWORD
from ui import web


@pytest.fixture
def client(app_db_url, monkeypatch):
    monkeypatch.setenv("PST_DATABASE_URL", app_db_url)
    monkeypatch.delenv("PST_SECURE_COOKIES", raising=False)
    with TestClient(Starlette(routes=web.routes()), base_url="http://pst.local", follow_redirects=False) as c:
        yield c


def csrf_of(response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', response.text).group(1)


def log_in(client, login="claire.martin", password=PASSWORD, next_path="/Objectifs?plan=binche", headers=None):
    page = client.get("/connexion", params={"suivant": next_path}, headers=headers)
    return client.post("/connexion", data={"identifiant": login, "mot_de_passe": password, "csrf": csrf_of(page),
                                           "suivant": next_path}, headers=headers)


def cookie_header(response, name: str) -> str:
    found = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(f"{name}=")]
    assert len(found) == 1, response.headers
    return found[0]


def test_the_login_page_is_french_labelled_and_locked_down(client):
    page = client.get("/connexion")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert '<label for="identifiant">Identifiant</label>' in page.text
    assert '<label for="mot_de_passe">Mot de passe</label>' in page.text
    assert '<button type="submit">Se connecter</button>' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    csrf = cookie_header(page, web.CSRF_COOKIE).lower()
    assert "httponly" in csrf and "samesite=strict" in csrf


def test_a_login_sets_an_httponly_strict_session_cookie_and_comes_back(client, app_db_url):
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/Objectifs?plan=binche"
    cookie = cookie_header(response, web.SESSION_COOKIE)
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert f"max-age={accounts.SESSION_HOURS * 3600}" in flags
    assert "secure" not in flags  # plain HTTP on a developer's machine: a Secure cookie would never come back
    token = cookie.split(";")[0].split("=", 1)[1]
    engine = make_engine(app_db_url)
    assert accounts.session_actor(engine, token).login == "claire.martin"
    # Logging out ends the session in the database and clears the cookie.
    client.cookies.set(web.SESSION_COOKIE, token)
    out = client.get("/deconnexion")
    assert out.status_code == 303 and out.headers["location"] == "/connexion?fin=1"
    assert 'max-age=0' in cookie_header(out, web.SESSION_COOKIE).lower()
    assert accounts.session_actor(engine, token) is None
    engine.dispose()


def test_behind_an_https_proxy_the_cookie_is_secure(client):
    client.base_url = "https://pst.local"  # what nginx forwards: the browser spoke HTTPS to it
    response = log_in(client, headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 303
    assert "secure" in cookie_header(response, web.SESSION_COOKIE).lower()


@pytest.mark.parametrize("login,password", [("claire.martin", "mauvais mot de passe"), ("personne", PASSWORD),
                                            ("' OR 1=1 --", "x"), ("a" * 5000, "x"), ("claire\x00", "x")])
def test_a_refused_login_says_the_same_thing_in_french_and_sets_no_session(client, login, password):
    response = log_in(client, login=login, password=password)
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.text
    assert web.SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert "Traceback" not in response.text


def test_a_form_not_from_the_login_page_is_refused(client):
    response = client.post("/connexion", data={"identifiant": "claire.martin", "mot_de_passe": PASSWORD,
                                                "csrf": "forged", "suivant": "/"})
    assert response.status_code == 400 and "Le formulaire a expiré" in response.text
    assert web.SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)",
                                    "/\\evil.example", "\n//evil.example"])
def test_no_open_redirect_after_login(client, target):
    response = log_in(client, next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_no_password_in_any_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    log_in(client)
    log_in(client, password="un autre secret bien long")
    assert PASSWORD not in caplog.text and "un autre secret bien long" not in caplog.text
    assert "$argon2" not in caplog.text
