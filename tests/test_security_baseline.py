"""The security baseline every answer carries: CSRF, headers, cookies, errors, debug, secrets."""

from __future__ import annotations

import pytest
from flask import Blueprint

from emisa import create_app
from emisa.settings import ConfigurationError
from tests.support.web import post_form


def test_a_form_post_without_csrf_token_is_refused(app, make_user):
    person = make_user()
    client = app.test_client()
    answer = client.post("/login", data={"email": person.email, "password": person.password})
    assert answer.status_code == 400
    assert "form expired" in answer.get_data(as_text=True)
    forged = client.post(
        "/login", data={"email": person.email, "password": person.password, "csrf_token": "x"}
    )
    assert forged.status_code == 400
    assert client.get("/").status_code == 302  # nobody signed in


def test_a_csrf_token_from_another_session_is_refused(app, make_user, login):
    person = make_user()
    attacker, victim = app.test_client(), app.test_client()
    login(victim, person)
    from tests.support.web import csrf_from

    attacker_token = csrf_from(attacker.get("/login").get_data(as_text=True))
    answer = victim.post("/logout", data={"csrf_token": attacker_token})
    assert answer.status_code == 400
    assert victim.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/api/v1/me", "/nowhere"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in headers["Content-Security-Policy"].split(";")
    }
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


def session_cookie_header(app, make_user) -> str:
    person = make_user()
    client = app.test_client()
    answer = post_form(client, "/login", {"email": person.email, "password": person.password})
    cookies = [v for k, v in answer.headers.items() if k == "Set-Cookie"]
    return next(c for c in cookies if c.startswith("emisa_session="))


def test_session_cookie_is_httponly_and_samesite_lax(app, make_user):
    cookie = session_cookie_header(app, make_user)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in the embedded default


class TestSecureCookies:
    @pytest.fixture
    def app_config(self, app_config, monkeypatch):
        monkeypatch.setenv("EMISA_SECURE_COOKIES", "1")
        return app_config

    def test_cookie_is_secure_when_configured(self, app, make_user):
        cookie = session_cookie_header(app, make_user)
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_production_defaults_to_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.delenv("EMISA_SECURE_COOKIES", raising=False)
    monkeypatch.setenv("EMISA_MASTER_KEY", "A" * 43 + "=")
    from emisa.settings import build_config

    config = build_config(
        {"EMISA_ENV": "production", "SECRET_KEY": "x" * 48, "EMISA_DATA_DIR": tmp_path}
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["DEBUG"] is False


@pytest.mark.parametrize("secret", [None, "", "change-me", "secret", "too-short-but-random"])
def test_production_refuses_to_start_without_a_real_secret(tmp_path, monkeypatch, secret):
    monkeypatch.delenv("EMISA_SECRET_KEY", raising=False)
    monkeypatch.setenv("EMISA_MASTER_KEY", "A" * 43 + "=")
    config = {"EMISA_ENV": "production", "EMISA_DATA_DIR": tmp_path / "data"}
    if secret is not None:
        config["SECRET_KEY"] = secret
    with pytest.raises(ConfigurationError, match="EMISA_SECRET_KEY"):
        create_app(config)


def test_production_refuses_to_start_without_a_master_key(tmp_path, monkeypatch):
    monkeypatch.delenv("EMISA_MASTER_KEY", raising=False)
    monkeypatch.delenv("EMISA_MASTER_KEYS", raising=False)
    config = {"EMISA_ENV": "production", "EMISA_DATA_DIR": tmp_path, "SECRET_KEY": "k" * 48}
    with pytest.raises(ConfigurationError, match="EMISA_MASTER_KEY"):
        create_app(config)


def test_debug_is_off_by_default(app):
    assert app.debug is False
    assert app.config["DEBUG"] is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is False


@pytest.fixture
def broken_app(app):
    """The test app with two routes that fail the way a bug would."""
    broken = Blueprint("broken", __name__)

    @broken.route("/_broken")
    def page():
        raise RuntimeError("secret detail /srv/emisa/db.py line 42")

    @broken.route("/api/v1/_broken")
    def api():
        raise KeyError("secret detail")

    app.register_blueprint(broken)
    return app


@pytest.mark.parametrize("path", ["/_broken", "/api/v1/_broken"])
def test_no_stack_trace_in_a_500(broken_app, make_user, token_for, path, caplog):
    client = broken_app.test_client()
    headers = {}
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token_for(make_user())}"}
    answer = client.get(path, headers=headers)
    assert answer.status_code == 500
    text = answer.get_data(as_text=True)
    assert "Traceback" not in text and "secret detail" not in text and ".py" not in text
    if path.startswith("/api/"):
        assert answer.get_json() == {
            "error": {
                "code": "internal_error",
                "message": "Something went wrong on our side; nothing you sent was half-stored.",
            }
        }
    # The operator still gets the trace in the log.
    assert "secret detail" in caplog.text


def test_declared_rate_limits_apply_without_the_per_request_hook(app):
    """Every limit is declared on its view, so Flask-Limiter's app-wide hook is dropped."""
    from emisa.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs[None]
    client = app.test_client()
    body = {"email": "nobody@example.org", "password": "wrong passphrase", "otp": "000000"}
    limited = client.post("/api/v1/auth/token", json=body)
    assert limited.status_code == 401
    assert limited.headers["X-RateLimit-Limit"] == "60"
    assert "X-RateLimit-Limit" not in client.get("/login").headers
