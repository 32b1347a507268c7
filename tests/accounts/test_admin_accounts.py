"""Platform admins manage accounts: expiry and a two-factor reset, with their effects."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.web import post_form


def test_admin_sets_an_expiry_in_the_past_and_the_account_is_signed_out(app, make_user, login):
    admin, person = make_user(admin=True), make_user()
    root, victim = app.test_client(), app.test_client()
    login(root, admin)
    login(victim, person)
    page = f"/admin/accounts/{person.id}"
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert (
        post_form(root, f"{page}/expiry", {"expires_on": yesterday}, page=page).status_code == 302
    )
    assert "expired" in root.get(page).get_data(as_text=True)
    assert victim.get("/").status_code == 302
    assert login(app.test_client(), person, expect_ok=False).status_code == 403
    # A future date (or none) lets the account in again after reactivation.
    post_form(root, f"{page}/reactivate", {}, page=page)
    login(app.test_client(), person)


def test_reset_two_factor_forces_a_new_enrolment(app, make_user, login):
    admin, person = make_user(admin=True), make_user()
    root = app.test_client()
    login(root, admin)
    page = f"/admin/accounts/{person.id}"
    assert post_form(root, f"{page}/reset-2fa", {}, page=page).status_code == 302
    client = app.test_client()
    answer = post_form(client, "/login", {"email": person.email, "password": person.password})
    assert answer.headers["Location"].endswith("/enrol")
    assert client.get("/").headers["Location"].endswith("/enrol")
    assert 'id="totp-secret"' in client.get("/enrol").get_data(as_text=True)


def test_an_admin_cannot_suspend_themselves(app, make_user, login):
    admin = make_user(admin=True)
    root = app.test_client()
    login(root, admin)
    page = f"/admin/accounts/{admin.id}"
    post_form(root, f"{page}/suspend", {}, page=page)
    assert root.get("/admin/accounts").status_code == 200


def test_the_suspend_button_is_offered_for_others_only(app, make_user, login):
    admin, other = make_user(admin=True), make_user()
    root = app.test_client()
    login(root, admin)
    own = root.get(f"/admin/accounts/{admin.id}").get_data(as_text=True)
    assert f"/admin/accounts/{admin.id}/suspend" not in own
    theirs = root.get(f"/admin/accounts/{other.id}").get_data(as_text=True)
    assert f"/admin/accounts/{other.id}/suspend" in theirs
