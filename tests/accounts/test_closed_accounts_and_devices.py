"""Sign-in reveals nothing about a closed account before both factors pass; a new device ends
every other session."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from emisa.extensions import db
from tests.accounts.test_two_factor import reenrol
from tests.conftest import bearer, last_step
from tests.support.web import post_form, totp_code


def close_account(app, persona, state: str) -> None:
    from emisa.accounts.models import User

    with app.app_context():
        db.session.execute(update(User).where(User.id == persona.id).values(state=state))
        db.session.commit()


def password_answer(app, email: str, password: str):
    """What the first sign-in step shows: status, where it leads, and the page's message."""
    client = app.test_client()
    answer = post_form(client, "/login", {"email": email, "password": password})
    followed = client.get(answer.headers["Location"]) if answer.status_code == 302 else answer
    messages = re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', followed.get_data(as_text=True))
    return answer.status_code, answer.headers.get("Location"), messages


@pytest.mark.parametrize("state", ["suspended", "expired"])
def test_a_closed_account_answers_a_right_password_like_an_open_one(app, make_user, state):
    """No password oracle: the first step of a suspended account looks like any other account's."""
    closed, open_account = make_user(), make_user()
    close_account(app, closed, state)
    right = password_answer(app, closed.email, closed.password)
    assert right == password_answer(app, open_account.email, open_account.password)
    assert right[0] == 302 and right[1].startswith("/login/code")
    wrong = password_answer(app, closed.email, "not the password at all")
    assert wrong == password_answer(app, "nobody@agency.example", "not the password at all")
    assert wrong[0] == 401 and state not in " ".join(wrong[2])


def test_a_closed_account_without_a_second_factor_answers_like_a_wrong_password(app, make_user):
    closed = make_user(enrolled=False)
    close_account(app, closed, "suspended")
    right = password_answer(app, closed.email, closed.password)
    wrong = password_answer(app, closed.email, "not the password at all")
    assert right == wrong and right[0] == 401


def test_the_token_api_reveals_a_suspension_only_after_both_factors(app, make_user):
    person = make_user()
    close_account(app, person, "suspended")
    api = app.test_client()
    body = {"email": person.email, "password": person.password, "otp": "000000"}
    right_password = api.post("/api/v1/auth/token", json=body)
    wrong_password = api.post("/api/v1/auth/token", json={**body, "password": "wrong guess!!"})
    assert right_password.status_code == wrong_password.status_code == 401
    assert right_password.get_json() == wrong_password.get_json()
    body["otp"] = totp_code(person.secret, last_step(app, person))
    closed = api.post("/api/v1/auth/token", json=body)
    assert closed.status_code == 403
    assert closed.get_json()["error"]["code"] == "account_closed"


def test_both_factors_of_a_suspended_account_end_the_sign_in(app, make_user, login):
    person = make_user()
    close_account(app, person, "suspended")
    client = app.test_client()
    answer = login(client, person, expect_ok=False)
    assert answer.status_code == 403 and "suspended" in answer.get_data(as_text=True)
    assert client.get("/login/code").headers["Location"].startswith("/login")
    assert client.get("/").headers["Location"].startswith("/login")


def test_reenrolling_the_second_factor_ends_every_other_session_and_token(
    app, make_user, login, token_for
):
    person = make_user()
    device, other_browser = app.test_client(), app.test_client()
    login(device, person)
    login(other_browser, person)
    token = token_for(person)
    assert other_browser.get("/account").status_code == 200
    secret = reenrol(app, device, person)
    # Started but not confirmed: nothing ends yet.
    assert other_browser.get("/account").status_code == 200
    confirmed = post_form(device, "/enrol", {"code": totp_code(secret, last_step(app, person))})
    assert confirmed.status_code == 200
    assert "every other session" in confirmed.get_data(as_text=True)
    assert other_browser.get("/account").headers["Location"].startswith("/login")
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    # The device that enrolled stays signed in.
    assert device.get("/account").status_code == 200
