"""Onboarding in a real browser: invitation, password, TOTP enrolment, sign-in, joining a group."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from emisa.extensions import db
from tests.conftest import Persona, browser_login

pytestmark = pytest.mark.browser
PASSPHRASE = "a long enough passphrase"


def user_id(app, email: str) -> int:
    from emisa.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def test_invited_user_enrols_signs_in_and_joins_a_group(
    app, live_server, browser, page, make_user, make_group
):
    admin = make_user(admin=True, name="Ada Admin")
    coordinator = make_user(name="Cora Coordinator", country="NL")
    gid = make_group("Probation exchange", members={coordinator: "coordinator"})

    # The admin invites Nora and reads the single-use link from the page.
    browser_login(page, live_server, admin, app)
    page.goto(f"{live_server}/admin/accounts/invite")
    page.fill("input[name=email]", "nora@probation.example")
    page.fill("input[name=name]", "Nora Newcomer")
    page.fill("input[name=organisation]", "Dienst Justitiele Inrichtingen")
    page.select_option("select[name=country]", "NL")
    page.click("button:has-text('Create invitation')")
    link = page.inner_text("#invitation-link").strip()
    assert link.startswith("http") and "/invitation/" in link
    link = live_server + "/invitation/" + link.rsplit("/invitation/", 1)[1]

    # Nora, in her own browser, sets a password and enrols TOTP from the secret on the page.
    nora_context = browser.new_context()
    nora = nora_context.new_page()
    nora.goto(link)
    nora.fill("input[name=password]", PASSPHRASE)
    nora.fill("input[name=confirm]", PASSPHRASE)
    nora.click("button:has-text('Set password')")
    nora.wait_for_url("**/enrol")
    secret = nora.inner_text("#totp-secret").strip()
    nora.fill("input[name=code]", pyotp.TOTP(secret).now())
    nora.click("button:has-text('Confirm')")
    codes = nora.locator("#recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10

    # Signed out, she signs in again with password and a fresh code.
    nora.click("text=I have stored them, continue")
    nora.click("button:has-text('Sign out')")
    nora.wait_for_url("**/login")
    persona = Persona(
        user_id(app, "nora@probation.example"),
        "nora@probation.example",
        "Nora Newcomer",
        "NL",
        PASSPHRASE,
        secret,
    )
    browser_login(nora, live_server, persona, app)
    assert "Welcome, Nora Newcomer" in nora.inner_text("h1")

    # She asks to join the group.
    nora.goto(f"{live_server}/groups/{gid}")
    nora.fill("textarea[name=motivation]", "I supervise released terrorist offenders.")
    nora.click("button:has-text('Send request')")
    assert "waiting for a coordinator" in nora.content()

    # The coordinator, in another browser context, approves.
    cora_context = browser.new_context()
    cora = cora_context.new_page()
    browser_login(cora, live_server, coordinator, app)
    cora.goto(f"{live_server}/groups/{gid}")
    assert "I supervise released terrorist offenders." in cora.content()
    cora.click("#requests button:has-text('Approve')")
    cora.wait_for_load_state()
    assert "was approved" in cora.content()

    # Nora sees the group as a member.
    nora.goto(f"{live_server}/groups/{gid}")
    assert nora.locator("dt:has-text('Your role') + dd").inner_text().strip() == "member"
    nora.goto(f"{live_server}/")
    assert (
        "Probation exchange" in nora.locator("section", has_text="Your working groups").inner_text()
    )
    cora_context.close()
    nora_context.close()
