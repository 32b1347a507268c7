"""Sessions, tokens, invitations and account states, as a user and as an attacker meet them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from emisa.extensions import db
from tests.conftest import bearer, last_step
from tests.support.web import post_form, totp_code

COOKIE = "emisa_session"


def cookie_of(client) -> str:
    return client.get_cookie(COOKIE, domain="emisa.test").value


def with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie(COOKIE, value, domain="emisa.test")
    return client


def test_session_key_is_rotated_between_sign_in_stages(app, make_user):
    person = make_user()
    client = app.test_client()
    post_form(client, "/login", {"email": person.email, "password": person.password})
    password_stage = cookie_of(client)
    code = totp_code(person.secret, last_step(app, person))
    assert post_form(client, "/login/code", {"code": code}).status_code == 302
    signed_in = cookie_of(client)
    assert signed_in != password_stage
    assert with_cookie(app, signed_in).get("/").status_code == 200
    # The cookie of the password stage is worth nothing now: not even the code step.
    stale = with_cookie(app, password_stage)
    answer = stale.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?")
    assert stale.get("/login/code").headers["Location"].startswith("/login?")


def test_logout_ends_every_session_and_token(app, make_user, login, token_for):
    person = make_user()
    first, second = app.test_client(), app.test_client()
    login(first, person)
    login(second, person)
    token = token_for(person)
    assert post_form(first, "/logout", {}, page="/").status_code == 302
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_password_change_needs_the_current_password_and_ends_other_access(
    app, make_user, login, token_for
):
    person = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, person)
    login(elsewhere, person)
    token = token_for(person)
    new = "another long passphrase"
    wrong = post_form(
        here,
        "/account/password",
        {"pw-current_password": "guess", "pw-password": new, "pw-confirm": new},
        page="/account",
        prefix="pw",
    )
    assert wrong.status_code == 400
    assert elsewhere.get("/").status_code == 200
    weak = post_form(
        here,
        "/account/password",
        {"pw-current_password": person.password, "pw-password": "short", "pw-confirm": "short"},
        page="/account",
        prefix="pw",
    )
    assert weak.status_code == 400
    changed = post_form(
        here,
        "/account/password",
        {"pw-current_password": person.password, "pw-password": new, "pw-confirm": new},
        page="/account",
        prefix="pw",
    )
    assert changed.status_code == 302
    assert here.get("/").status_code == 200  # this session stays
    assert elsewhere.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    old = post_form(
        app.test_client(), "/login", {"email": person.email, "password": person.password}
    )
    assert old.status_code == 401
    fresh = post_form(app.test_client(), "/login", {"email": person.email, "password": new})
    assert fresh.status_code == 302


def test_sessions_are_listed_and_one_can_be_ended(app, make_user, login):
    person = make_user()
    mine, other = app.test_client(), app.test_client()
    login(mine, person)
    other.environ_base["HTTP_USER_AGENT"] = "OtherBrowser/1.0"
    login(other, person)
    page = mine.get("/account").get_data(as_text=True)
    assert "OtherBrowser/1.0" in page
    ids = re.findall(r"/account/sessions/(\d+)/revoke", page)
    assert len(ids) == 2
    from emisa.accounts.models import AuthSession

    with app.app_context():
        theirs = next(
            s.id for s in db.session.query(AuthSession) if s.user_agent == "OtherBrowser/1.0"
        )
    answer = post_form(mine, f"/account/sessions/{theirs}/revoke", {}, page="/account", prefix="rv")
    assert answer.status_code == 302
    assert other.get("/").status_code == 302
    assert mine.get("/").status_code == 200


def test_tokens_are_created_listed_and_revoked_from_the_account_page(app, client, make_user, login):
    person = make_user()
    login(client, person)
    created = post_form(
        client, "/account/tokens", {"tk-name": "laptop"}, page="/account", prefix="tk"
    )
    assert created.status_code == 200
    plain = re.search(r"(emisa_[A-Za-z0-9_-]+)", created.get_data(as_text=True)).group(1)
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(plain)).get_json()["email"] == person.email
    page = client.get("/account").get_data(as_text=True)
    assert "laptop" in page
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page).group(1)
    post_form(client, f"/account/tokens/{token_id}/revoke", {}, page="/account", prefix="rv")
    assert api.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_suspension_refuses_sign_in_and_ends_sessions_and_tokens(app, make_user, login, token_for):
    admin, person = make_user(admin=True), make_user()
    admin_client, victim = app.test_client(), app.test_client()
    login(admin_client, admin)
    login(victim, person)
    token = token_for(person)
    answer = post_form(
        admin_client,
        f"/admin/accounts/{person.id}/suspend",
        {},
        page=f"/admin/accounts/{person.id}",
    )
    assert answer.status_code == 302
    assert victim.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    # Only both factors reveal the suspension, and then the sign-in ends there.
    refused = login(app.test_client(), person, expect_ok=False)
    assert refused.status_code == 403
    assert "suspended" in refused.get_data(as_text=True)
    api = app.test_client().post(
        "/api/v1/auth/token",
        json={"email": person.email, "password": person.password, "otp": "000000"},
    )
    assert api.status_code == 401
    # Reactivated, the person signs in again.
    post_form(
        admin_client,
        f"/admin/accounts/{person.id}/reactivate",
        {},
        page=f"/admin/accounts/{person.id}",
    )
    login(app.test_client(), person)


def test_an_expired_account_cannot_sign_in(app, make_user, login):
    from emisa.accounts.models import User
    from emisa.timeutil import utcnow

    person = make_user(expires_in=timedelta(days=1))
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == person.id)
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    client = app.test_client()
    answer = login(client, person, expect_ok=False)
    assert answer.status_code == 403
    assert "expired" in answer.get_data(as_text=True)
    assert client.get("/").headers["Location"].startswith("/login")


def invite(app, admin_client, email="invitee@agency.example") -> str:
    answer = post_form(
        admin_client,
        "/admin/accounts/invite",
        {
            "email": email,
            "name": "Invited Person",
            "organisation": "Probation",
            "country": "NL",
            "kind": "law-enforcement",
            "role": "user",
        },
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    link = re.search(r'id="invitation-link">([^<]+)<', answer.get_data(as_text=True)).group(1)
    return "/" + link.split("/", 3)[3]


def test_an_invitation_works_once(app, make_user, login):
    admin = make_user(admin=True)
    admin_client = app.test_client()
    login(admin_client, admin)
    path = invite(app, admin_client)
    person = app.test_client()
    answer = post_form(
        person, path, {"password": "my own passphrase", "confirm": "my own passphrase"}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/enrol")
    # Used: the same link is dead, for the person and for anyone who copied it.
    assert app.test_client().get(path).status_code == 404
    assert person.get(path).status_code in (302, 404)


def test_an_invitation_expires(app, make_user, login):
    from emisa.accounts.models import Invitation
    from emisa.timeutil import utcnow

    admin = make_user(admin=True)
    admin_client = app.test_client()
    login(admin_client, admin)
    path = invite(app, admin_client)
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    visitor = app.test_client()
    assert visitor.get(path).status_code == 404
    # Nor can a form be posted to it.
    answer = visitor.post(
        path, data={"password": "my own passphrase", "confirm": "my own passphrase"}
    )
    assert answer.status_code in (400, 404)


def test_a_new_invitation_link_replaces_the_old_one(app, make_user, login):
    from emisa.accounts.models import User
    from emisa.accounts.operations import find_user

    admin = make_user(admin=True)
    admin_client = app.test_client()
    login(admin_client, admin)
    old = invite(app, admin_client)
    with app.app_context():
        user_id = find_user("invitee@agency.example").id
        assert db.session.get(User, user_id).state == "invited"
    answer = post_form(
        admin_client, f"/admin/accounts/{user_id}/invitation", {}, page=f"/admin/accounts/{user_id}"
    )
    assert answer.status_code == 200
    assert app.test_client().get(old).status_code == 404
