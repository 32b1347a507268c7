"""TOTP and recovery codes: each code once, old codes refused, changes need re-authentication."""

from __future__ import annotations

import re
import time

import pyotp

from tests.conftest import last_step
from tests.support.web import post_form, totp_code


def code_step(client, code: str):
    return post_form(client, "/login/code", {"code": code})


def password_step(client, persona):
    answer = post_form(client, "/login", {"email": persona.email, "password": persona.password})
    assert answer.status_code == 302
    return answer


def reauth(app, persona, prefix: str, **override) -> dict:
    data = {
        f"{prefix}-current_password": persona.password,
        f"{prefix}-code": totp_code(persona.secret, last_step(app, persona)),
    }
    data.update({f"{prefix}-{k}": v for k, v in override.items()})
    return data


def new_recovery_codes(app, client, persona) -> list[str]:
    answer = post_form(
        client,
        "/account/recovery-codes",
        reauth(app, persona, "rc"),
        page="/account",
        prefix="rc",
    )
    assert answer.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", answer.get_data(as_text=True))
    assert len(codes) == 10
    return codes


def test_a_valid_code_works_once_and_never_again(app, make_user):
    person = make_user()
    code = totp_code(person.secret, last_step(app, person))
    first = app.test_client()
    password_step(first, person)
    assert code_step(first, code).status_code == 302
    assert first.get("/").status_code == 200
    second = app.test_client()
    password_step(second, person)
    assert code_step(second, code).status_code == 401
    assert second.get("/").headers["Location"].startswith("/login/code")


def test_a_code_three_steps_old_is_refused_but_one_step_old_works(app, make_user):
    person = make_user()
    totp = pyotp.TOTP(person.secret)
    client = app.test_client()
    password_step(client, person)
    assert code_step(client, totp.at(time.time() - 90)).status_code == 401
    # One step either side is tolerated (clock drift).
    assert code_step(client, totp.at(time.time() - 30)).status_code == 302


def test_a_recovery_code_works_once(app, client, make_user, login):
    person = make_user()
    login(client, person)
    codes = new_recovery_codes(app, client, person)
    other = app.test_client()
    password_step(other, person)
    answer = code_step(other, codes[0])
    assert answer.status_code == 302
    assert "9 remain" in other.get("/").get_data(as_text=True)
    again = app.test_client()
    password_step(again, person)
    assert code_step(again, codes[0]).status_code == 401
    assert code_step(again, codes[1].upper()).status_code == 302


def test_regenerating_recovery_codes_needs_password_and_code_and_voids_the_old_ones(
    app, client, make_user, login
):
    person = make_user()
    login(client, person)
    old = new_recovery_codes(app, client, person)
    for bad in ({"current_password": "not my password"}, {"code": "123456"}):
        answer = post_form(
            client,
            "/account/recovery-codes",
            reauth(app, person, "rc", **bad),
            page="/account",
            prefix="rc",
        )
        assert answer.status_code == 400
    new = new_recovery_codes(app, client, person)
    probe = app.test_client()
    password_step(probe, person)
    assert code_step(probe, old[2]).status_code == 401
    assert code_step(probe, new[2]).status_code == 302


def reenrol(app, client, person) -> str:
    """Start moving to a new authenticator; returns the new secret read from the page."""
    answer = post_form(
        client, "/account/totp", reauth(app, person, "re"), page="/account", prefix="re"
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/enrol")
    page = client.get("/enrol").get_data(as_text=True)
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)


def test_reenrolment_needs_reauthentication(app, client, make_user, login):
    person = make_user()
    login(client, person)
    answer = post_form(
        client,
        "/account/totp",
        reauth(app, person, "re", current_password="not my password"),
        page="/account",
        prefix="re",
    )
    assert answer.status_code == 400
    assert client.get("/enrol").status_code == 302  # nothing pending


def test_reenrolment_moves_sign_in_to_the_new_secret(app, client, make_user, login):
    person = make_user()
    login(client, person)
    secret = reenrol(app, client, person)
    assert secret != person.secret
    code = totp_code(secret, last_step(app, person))
    confirmed = post_form(client, "/enrol", {"code": code})
    assert confirmed.status_code == 200
    assert len(re.findall(r"<li><code>", confirmed.get_data(as_text=True))) == 10
    probe = app.test_client()
    password_step(probe, person)
    old_code = pyotp.TOTP(person.secret).at(time.time() + 30)
    assert code_step(probe, old_code).status_code == 401
    assert code_step(probe, totp_code(secret, last_step(app, person))).status_code == 302


def test_a_failed_reenrolment_confirmation_does_not_reopen_used_codes(
    app, client, make_user, login
):
    """The code spent on re-authentication must stay spent, whatever happens on /enrol."""
    person = make_user()
    login(client, person)
    spent = totp_code(person.secret, last_step(app, person))
    answer = post_form(
        client,
        "/account/totp",
        {"re-current_password": person.password, "re-code": spent},
        page="/account",
        prefix="re",
    )
    assert answer.status_code == 302
    assert post_form(client, "/enrol", {"code": "000000"}).status_code == 400
    thief = app.test_client()
    password_step(thief, person)
    assert code_step(thief, spent).status_code == 401
