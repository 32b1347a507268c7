"""Separation of duties in account administration: an admin cannot take over an account, the
invite form makes no admin by default, the admin role needs re-authentication, and a corrected
country applies from the next request."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from emisa.extensions import db
from tests.accounts.test_sessions_and_states import invite
from tests.conftest import Persona, bearer, last_step
from tests.support.web import post_form, totp_code


def audit_details(app, action: str) -> list[dict]:
    from emisa.audit.models import AuditEntry

    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [json.loads(row.details) for row in rows]


def account_state(app, user_id: int) -> str:
    from emisa.accounts.models import User

    with app.app_context():
        return db.session.get(User, user_id).state


def invitations_of(app, user_id: int) -> int:
    from emisa.accounts.models import Invitation

    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.user_id == user_id)
        )


def enrol_from_invitation(app, path: str, password: str) -> tuple[object, str]:
    """The invited person sets their password and enrols; returns their client and secret."""
    person = app.test_client()
    answer = post_form(person, path, {"password": password, "confirm": password})
    assert answer.headers["Location"].endswith("/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', person.get("/enrol").get_data(True))
    secret = secret.group(1)
    assert post_form(person, "/enrol", {"code": totp_code(secret)}).status_code == 200
    return person, secret


def test_the_whole_takeover_chain_fails_at_every_step(app, make_user, make_group, login):
    """Reset 2FA, suspend, reactivate, new invitation, own password and TOTP: each step that
    would hand the account to the admin is refused, and the owner keeps the account."""
    from emisa.accounts.operations import find_user

    admin = make_user(admin=True)
    root = app.test_client()
    login(root, admin)
    original_link = invite(app, root, "victim@agency.example")
    password = "quiet harbour lanterns at dawn"
    victim_browser, _old_secret = enrol_from_invitation(app, original_link, password)
    with app.app_context():
        victim_id = find_user("victim@agency.example").id
    victim = Persona(victim_id, "victim@agency.example", "Invited Person", "NL", password, None)
    page = f"/admin/accounts/{victim_id}"
    assert account_state(app, victim_id) == "active"

    # 1. Reset the second factor: the victim is signed out, the password is kept.
    assert post_form(root, f"{page}/reset-2fa", {}, page=page).status_code == 302
    assert victim_browser.get("/").headers["Location"].startswith("/login")
    # 2-3. Suspend, then reactivate: the account comes back active, never invited.
    post_form(root, f"{page}/suspend", {}, page=page)
    assert account_state(app, victim_id) == "suspended"
    post_form(root, f"{page}/reactivate", {}, page=page)
    assert account_state(app, victim_id) == "active"
    # 4. A new invitation link is refused, and none is created.
    before = invitations_of(app, victim_id)
    assert "New invitation link" not in root.get(page).get_data(as_text=True)
    reissued = post_form(root, f"{page}/invitation", {}, page=page)
    assert reissued.status_code == 409
    assert "invitation-link" not in reissued.get_data(as_text=True)
    assert invitations_of(app, victim_id) == before
    assert audit_details(app, "account.invitation_refused")
    # 5. The link the admin saw at invitation time sets no password.
    assert app.test_client().get(original_link).status_code == 404
    taken = app.test_client().post(
        original_link, data={"password": "admin's chosen pass", "confirm": "admin's chosen pass"}
    )
    assert taken.status_code in (400, 404)
    # 6. Without the victim's password nobody reaches the enrolment of a new device.
    guess = post_form(
        app.test_client(), "/login", {"email": victim.email, "password": "admin's chosen pass"}
    )
    assert guess.status_code == 401
    # Only the owner, with their own password, enrols again and is in.
    owner = app.test_client()
    step = post_form(owner, "/login", {"email": victim.email, "password": password})
    assert step.headers["Location"].endswith("/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', owner.get("/enrol").get_data(True))
    code = totp_code(secret.group(1), last_step(app, victim))
    assert post_form(owner, "/enrol", {"code": code}).status_code == 200
    assert owner.get("/account").status_code == 200


def test_a_never_claimed_invitation_can_still_be_renewed(app, make_user, login):
    """The separation rule does not stop the ordinary case: nobody has set a password yet."""
    from emisa.accounts.operations import find_user

    admin = make_user(admin=True)
    root = app.test_client()
    login(root, admin)
    invite(app, root, "late@agency.example")
    with app.app_context():
        user_id = find_user("late@agency.example").id
    page = f"/admin/accounts/{user_id}"
    post_form(root, f"{page}/suspend", {}, page=page)
    post_form(root, f"{page}/reactivate", {}, page=page)
    assert account_state(app, user_id) == "invited"
    renewed = post_form(root, f"{page}/invitation", {}, page=page)
    assert renewed.status_code == 200 and 'id="invitation-link"' in renewed.get_data(True)


INVITEE = {
    "email": "new.person@agency.example",
    "name": "New Person",
    "organisation": "Customs",
    "kind": "law-enforcement",
}


def test_the_invite_form_defaults_to_user_and_requires_a_country(app, make_user, login):
    from emisa.accounts.operations import find_user

    admin = make_user(admin=True)
    root = app.test_client()
    login(root, admin)
    form = root.get("/admin/accounts/invite").get_data(as_text=True)
    assert re.search(r'<option selected value="user">', form)
    assert not re.search(r'<option selected value="admin">', form)
    country = re.search(r'<select[^>]*name="country".*?</select>', form, re.S).group(0)
    assert "selected" not in country
    # Name and email only, as a hurried admin would: refused, nothing created.
    answer = post_form(root, "/admin/accounts/invite", {**INVITEE}, page="/admin/accounts/invite")
    assert answer.status_code == 400
    assert "Choose the account" in answer.get_data(as_text=True)
    with app.app_context():
        assert find_user(INVITEE["email"]) is None
    made = post_form(
        root,
        "/admin/accounts/invite",
        {**INVITEE, "country": "PT", "role": "user"},
        page="/admin/accounts/invite",
    )
    assert made.status_code == 200
    with app.app_context():
        assert find_user(INVITEE["email"]).role == "user"


def test_inviting_an_admin_needs_the_acting_admins_password_and_code(app, make_user, login):
    from emisa.accounts.operations import find_user

    admin = make_user(admin=True)
    root = app.test_client()
    login(root, admin)
    data = {**INVITEE, "country": "PT", "role": "admin"}
    bare = post_form(root, "/admin/accounts/invite", data, page="/admin/accounts/invite")
    assert bare.status_code == 400
    wrong = post_form(
        root,
        "/admin/accounts/invite",
        {**data, "current_password": "not mine", "code": totp_code(admin.secret)},
        page="/admin/accounts/invite",
    )
    assert wrong.status_code == 400 and "The password is wrong." in wrong.get_data(True)
    with app.app_context():
        assert find_user(INVITEE["email"]) is None
    code = totp_code(admin.secret, last_step(app, admin))
    made = post_form(
        root,
        "/admin/accounts/invite",
        {**data, "current_password": admin.password, "code": code},
        page="/admin/accounts/invite",
    )
    assert made.status_code == 200
    with app.app_context():
        assert find_user(INVITEE["email"]).role == "admin"
    assert {"role": "admin", "kind": "law-enforcement"} in audit_details(app, "account.invited")


def change_role(app, client, target, admin, role: str, **override):
    page = f"/admin/accounts/{target.id}"
    data = {
        "role": role,
        "current_password": admin.password,
        "code": totp_code(admin.secret, last_step(app, admin)),
        **override,
    }
    return post_form(client, f"{page}/role", data, page=page)


def role_of_account(app, persona) -> str:
    from emisa.accounts.models import User

    with app.app_context():
        return db.session.get(User, persona.id).role


def test_granting_and_removing_the_admin_role_needs_reauthentication(app, make_user, login):
    admin, person = make_user(admin=True), make_user()
    root = app.test_client()
    login(root, admin)
    assert change_role(app, root, person, admin, "admin", code="000000").status_code == 400
    assert change_role(app, root, person, admin, "admin", current_password="x").status_code == 400
    assert role_of_account(app, person) == "user"
    assert change_role(app, root, person, admin, "admin").status_code == 302
    assert role_of_account(app, person) == "admin"
    assert change_role(app, root, person, admin, "user").status_code == 302
    assert role_of_account(app, person) == "user"
    changes = audit_details(app, "account.role_changed")
    assert changes == [{"from": "user", "to": "admin"}, {"from": "admin", "to": "user"}]
    # Nobody changes their own role, even with the right password and code.
    assert change_role(app, root, admin, admin, "user").status_code == 409
    assert role_of_account(app, admin) == "admin"
    # A non-admin cannot reach the form at all.
    other = app.test_client()
    login(other, person)
    assert change_role(app, other, admin, person, "user").status_code in (403, 404)


@pytest.fixture
def account_changes(app):
    from emisa.signals import rights_narrowed

    seen: list[int] = []

    def receiver(_sender, user_id: int | None = None, **_extra):
        if user_id is not None:
            seen.append(user_id)

    rights_narrowed.connect(receiver)
    yield seen
    rights_narrowed.disconnect(receiver)


def test_a_corrected_country_applies_from_the_next_request(
    app, make_user, make_group, login, token_for, account_changes
):
    admin, person = make_user(admin=True), make_user(country="BE")
    gid = make_group("Benelux desk", countries=["BE", "NL", "LU"], members={person: "member"})
    browser = app.test_client()
    login(browser, person)
    token = token_for(person)
    assert browser.get(f"/groups/{gid}").status_code == 200
    root = app.test_client()
    login(root, admin)
    page = f"/admin/accounts/{person.id}"
    data = {"name": "Officer Renamed", "organisation": "Police judiciaire", "country": "FR"}
    assert post_form(root, f"{page}/details", data, page=page).status_code == 302
    # The same session and token, the very next request: the group is gone for them.
    assert browser.get(f"/groups/{gid}").status_code == 404
    assert app.test_client().get(f"/api/v1/groups/{gid}", headers=bearer(token)).status_code == 404
    assert account_changes == [person.id]
    [entry] = audit_details(app, "account.details_corrected")
    assert entry["country"] == {"from": "BE", "to": "FR"}
    assert entry["name"]["to"] == "Officer Renamed"
    bad = post_form(root, f"{page}/details", {**data, "country": "XX"}, page=page)
    assert bad.status_code == 400
