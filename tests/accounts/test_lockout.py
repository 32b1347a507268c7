"""Brute force: after 10 failures an account gets 429 for a bounded time; no address is locked."""

from __future__ import annotations

import re

from tests.conftest import last_step
from tests.support.web import post_form, totp_code

THRESHOLD = 10


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in_password(client, email: str, password: str):
    return post_form(client, "/login", {"email": email, "password": password})


def assert_locked(response) -> int:
    """429, and the person is told when to try again; returns that wait in seconds."""
    assert response.status_code == 429
    told = re.search(r"Try again in (?:(\d+) min )?(\d+) s", response.get_data(as_text=True))
    assert told, "the page does not say when to retry"
    wait = int(told.group(1) or 0) * 60 + int(told.group(2))
    assert wait >= 1
    # Retry-After is never earlier than the lockout (the request rate limit may push it later).
    assert int(response.headers["Retry-After"]) >= wait - 1
    return wait


def test_eleventh_password_attempt_is_refused_even_with_the_right_password(app, make_user):
    victim = make_user()
    attacker = from_address(app, "203.0.113.7")
    for _ in range(THRESHOLD):
        assert sign_in_password(attacker, victim.email, "guess-guess-guess").status_code == 401
    assert_locked(sign_in_password(attacker, victim.email, victim.password))
    # Per account: the owner, from another address, is locked out too (the attacker cannot
    # simply rotate addresses); the lockout is bounded, see the test below.
    owner = from_address(app, "198.51.100.1")
    assert_locked(sign_in_password(owner, victim.email, victim.password))
    assert owner.get("/").status_code == 302


def audit_actions(app, action: str) -> list[dict]:
    """The details of every audit entry with this action."""
    import json

    from sqlalchemy import select

    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [json.loads(row.details) for row in rows]


def test_one_address_hammering_an_account_does_not_lock_out_its_neighbours(app, make_user, login):
    """One agency signs in behind one NAT: an attacker there must not lock everyone out.

    Account A is hammered from the address far past every threshold; account B signs in
    with both factors from the same address. A itself stays locked, and the address's
    failures are reported in the audit log.
    """
    hammered, neighbour = make_user(), make_user()
    nat = from_address(app, "203.0.113.8")
    for n in range(THRESHOLD * 3 + 5):
        answer = sign_in_password(nat, hammered.email, f"wrong guess number {n}")
        assert answer.status_code in (401, 429)
    assert_locked(sign_in_password(nat, hammered.email, hammered.password))
    colleague = from_address(app, "203.0.113.8")
    login(colleague, neighbour)
    assert colleague.get("/").status_code == 200
    assert {"address": "203.0.113.8"} in audit_actions(app, "auth.address_failures")


def test_spraying_many_accounts_from_one_address_refuses_no_correct_sign_in(app, make_user):
    target = make_user()
    sprayer = from_address(app, "203.0.113.13")
    for n in range(THRESHOLD * 3 + 1):
        answer = sign_in_password(sprayer, f"nobody{n}@agency.example", "password-spray-1")
        assert answer.status_code == 401
    assert sign_in_password(sprayer, target.email, target.password).status_code == 302
    api = sprayer.post(
        "/api/v1/auth/token",
        json={
            "email": target.email,
            "password": target.password,
            "otp": totp_code(target.secret, last_step(app, target)),
        },
    )
    assert api.status_code == 201


def test_code_attempts_are_locked_out_too(app, make_user):
    person = make_user()
    client = from_address(app, "203.0.113.9")
    assert sign_in_password(client, person.email, person.password).status_code == 302
    for n in range(THRESHOLD):
        assert post_form(client, "/login/code", {"code": f"{n:06d}"}).status_code == 401
    right = totp_code(person.secret, last_step(app, person))
    assert_locked(post_form(client, "/login/code", {"code": right}))
    assert client.get("/").headers["Location"].startswith("/login/code")


def test_token_api_answers_429_while_locked(app, make_user):
    person = make_user()
    client = from_address(app, "203.0.113.10")
    body = {"email": person.email, "password": "wrong password!", "otp": "000000"}
    for _ in range(THRESHOLD):
        answer = client.post("/api/v1/auth/token", json=body)
        assert answer.status_code == 401
        assert answer.get_json()["error"]["code"] == "invalid_credentials"
    body.update(password=person.password, otp=totp_code(person.secret, last_step(app, person)))
    locked = client.post("/api/v1/auth/token", json=body)
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"
    assert "Try again in" in locked.get_json()["error"]["message"]
    assert int(locked.headers["Retry-After"]) >= 1


def test_a_stolen_session_cannot_brute_force_the_password_on_the_account_page(
    app, make_user, login
):
    """Re-authentication (password change, recovery codes, new device) counts failures too."""
    person = make_user()
    client = from_address(app, "203.0.113.12")
    login(client, person)
    new = "a fresh long passphrase"
    for n in range(THRESHOLD):
        answer = post_form(
            client,
            "/account/password",
            {"pw-current_password": f"guess number {n}", "pw-password": new, "pw-confirm": new},
            page="/account",
            prefix="pw",
        )
        assert answer.status_code == 400
    answer = post_form(
        client,
        "/account/password",
        {"pw-current_password": person.password, "pw-password": new, "pw-confirm": new},
        page="/account",
        prefix="pw",
    )
    assert_locked(answer)
    refused = post_form(
        client,
        "/account/recovery-codes",
        {
            "rc-current_password": person.password,
            "rc-code": totp_code(person.secret, last_step(app, person)),
        },
        page="/account",
        prefix="rc",
    )
    assert_locked(refused)
