"""Deny by default: every endpoint in ``app.url_map`` refuses whoever may not use the platform.

The sweep walks the live URL map, so an endpoint added by any feature is covered the moment it
is registered. URLs are built with dummy values for their converters. Only the short list of
public endpoints below is exempt; a new public endpoint must be added here on purpose.

Refusing means: a page sends the browser to sign in (or, mid sign-in, to the code step) and the
API answers 401 in the platform's error format. A 404 for a dummy id does not count: the check
for who is asking must come before the lookup, or the sweep could not tell the two apart.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.routing.converters import AnyConverter, IntegerConverter, UUIDConverter

from tests.access.world import (
    api_sign_in,
    csrf_token,
    insert_user,
    outcome,
    set_account,
    web_sign_in,
)
from tests.conftest import bearer

PUBLIC = {
    "static",
    "auth.login",
    "auth.logout",
    "auth.invitation",
    # The language switch: a cookie for anyone, the account's own choice only once fully
    # signed in (tests/i18n/test_locale.py).
    "auth.language",
    "api-docs.openapi_json",
    "api_auth.create_token",
    "library.public",  # the public best-practice page (TLP:CLEAR, published by a coordinator)
    "library.public_download",  # a document on that page; the policy's public_read() decides
    "meetings.feed",  # iCalendar feed authenticated by its own secret, revocable token
}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
COOKIE = "emisa_session"


def _dummy(converter) -> object:
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-4000-8000-000000000000"
    return "x"


def requests_to_try(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every method of every non-public rule."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        values = {name: _dummy(conv) for name, conv in rule._converters.items()}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, _external=False, **values)
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((rule.endpoint, method, url))
    return found


def _send(client, method: str, url: str, *, csrf: str | None = None, token: str | None = None):
    headers = bearer(token) if token else {}
    if method == "GET":
        return client.get(url, headers=headers)
    if csrf:
        headers["X-CSRFToken"] = csrf
    data = {"csrf_token": csrf} if csrf and not url.startswith("/api/") else None
    return client.open(url, method=method, headers=headers, data=data)


def _refusals(
    app, client, *, page_answer: str, csrf=None, token=None, before=None, own_step=None
) -> dict:
    """Every request that was NOT refused the expected way, with what it answered instead."""
    wrong = {}
    for endpoint, method, url in requests_to_try(app):
        if endpoint == own_step:
            continue
        if before is not None:
            before()
        response = _send(client, method, url, csrf=csrf, token=token)
        if url.startswith("/api/"):
            body = response.get_json(silent=True) or {}
            refused = response.status_code == 401 and bool(body.get("error", {}).get("code"))
        else:
            refused = outcome(response) in (page_answer, 401)
        if not refused:
            wrong[f"{method} {url} ({endpoint})"] = outcome(response)
    return wrong


def test_the_sweep_sees_the_whole_platform(app):
    tried = {endpoint for endpoint, _, _ in requests_to_try(app)}
    assert {"groups.detail", "admin.account_action", "api_groups.approve", "auth.enrol"} <= tried
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert tried == registered - PUBLIC
    # Each public endpoint but the optional library page really exists: the list stays honest.
    assert PUBLIC - {"library.public"} <= registered


def test_anonymous_is_refused_everywhere(app):
    client = app.test_client()
    # A valid CSRF token, so that a refusal is the sign-in check and not the CSRF check.
    assert _refusals(app, client, page_answer="login", csrf=csrf_token(client, "/login")) == {}


def test_password_only_session_is_refused_everywhere(app, make_user):
    person = make_user(admin=True)
    client = web_sign_in(app, person, full=False)
    csrf = csrf_token(client, "/login/code")
    # The code step itself is the one page a password-only session may open.
    assert _refusals(app, client, page_answer="code", csrf=csrf, own_step="auth.code") == {}


@pytest.mark.parametrize("state", ["suspended", "expired"])
def test_suspended_or_expired_account_is_refused_everywhere(app, state):
    """Signed in (browser and token) while active; then the account stops being usable.

    The state is changed in the database behind the platform's back, so no session or token
    was revoked: the state check alone must refuse. The browser cookie is put back before each
    request, as an attacker replaying it would.
    """
    from emisa.timeutil import utcnow

    person = insert_user(app, admin=True, expires_in=timedelta(days=1))
    client = web_sign_in(app, person)
    csrf = csrf_token(client, "/account")
    cookie = client.get_cookie(COOKIE, domain="emisa.test").value
    token = api_sign_in(app, person)
    if state == "suspended":
        set_account(app, person, state="suspended")
    else:
        set_account(app, person, expires_at=utcnow() - timedelta(seconds=1))

    def replay_cookie():
        client.set_cookie(COOKIE, cookie, domain="emisa.test")

    wrong = _refusals(
        app, client, page_answer="login", csrf=csrf, token=token, before=replay_cookie
    )
    assert wrong == {}


def test_public_endpoints_answer_anonymous_as_intended(client):
    assert client.get("/login").status_code == 200
    assert client.get("/invitation/not-a-real-token").status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 200
    answer = client.post("/api/v1/auth/token", json={"email": "a@b.example", "password": "x"})
    assert answer.status_code == 400
