"""Sign-in with password and TOTP, as a person and as an attacker would try it."""

from __future__ import annotations

import pyotp

from tests.conftest import last_step
from tests.support.web import post_form, totp_code


def test_two_step_login_reaches_dashboard(client, make_user, login):
    alice = make_user("alice@police.example", name="Alice Martin")
    login(client, alice)
    page = client.get("/")
    assert page.status_code == 200
    assert "Welcome, <bdi>Alice Martin</bdi>" in page.get_data(as_text=True)


def test_password_only_session_reaches_nothing_but_the_code_step(client, make_user):
    bob = make_user()
    response = post_form(client, "/login", {"email": bob.email, "password": bob.password})
    assert response.headers["Location"].startswith("/login/code")
    for path in ("/", "/groups", "/account", "/admin/accounts"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login/code")


def test_wrong_password_is_refused_with_401(client, make_user):
    bob = make_user()
    response = post_form(client, "/login", {"email": bob.email, "password": "wrong password!!"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_a_code_works_once_and_replay_is_refused(app, make_user):
    carol = make_user()
    code = totp_code(carol.secret, last_step(app, carol))
    first, second = app.test_client(), app.test_client()
    post_form(first, "/login", {"email": carol.email, "password": carol.password})
    assert post_form(first, "/login/code", {"code": code}).status_code == 302
    post_form(second, "/login", {"email": carol.email, "password": carol.password})
    replay = post_form(second, "/login/code", {"code": code})
    assert replay.status_code == 401
    assert second.get("/").status_code == 302


def test_a_code_three_steps_old_is_refused(client, make_user):
    dave = make_user()
    import time

    old = pyotp.TOTP(dave.secret).at(time.time() - 3 * 30)
    post_form(client, "/login", {"email": dave.email, "password": dave.password})
    assert post_form(client, "/login/code", {"code": old}).status_code == 401
