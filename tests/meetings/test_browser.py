"""Two real Chromium pages (fake camera and microphone) meet in one room."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_two_browsers_chat_and_connect_media(
    app, live_server, browser, page, make_user, make_group, make_meeting
):
    chair = make_user(name="Chair Amman", country="JO")
    ann = make_user(name="Ann Nairobi", country="KE")
    group = make_group(members={chair: "coordinator", ann: "member"})
    meeting = make_meeting(group, by=chair, title="Weekly coordination")
    room = f"{live_server}/meetings/{meeting}/room"

    other_context = browser.new_context()
    other = other_context.new_page()
    try:
        browser_login(page, live_server, chair, app)
        browser_login(other, live_server, ann, app)
        page.goto(room)
        page.wait_for_selector("#room-body:not([hidden])")
        page.click("#btn-media")  # the chair turns the (fake) camera on; Ann stays without media
        page.wait_for_selector("#btn-mic:not([disabled])")
        other.goto(room)
        other.wait_for_selector("#room-body:not([hidden])")

        for viewer, name in ((page, "Ann Nairobi"), (other, "Chair Amman")):
            viewer.wait_for_selector(f"#people li:has-text('{name}')")

        other.fill("#chat-text", "Hello from Nairobi")
        other.press("#chat-text", "Enter")
        page.wait_for_selector("#chat-log li:has-text('Hello from Nairobi')")
        page.fill("#chat-text", "Welcome, Ann")
        page.click("#chat-form button[type=submit]")
        other.wait_for_selector("#chat-log li:has-text('Welcome, Ann')")

        # One RTCPeerConnection each way of the pair, reaching "connected".
        for viewer in (page, other):
            viewer.wait_for_selector(".tile[data-connection-state='connected']", timeout=30_000)
        # The chair's fake camera reaches Ann as a playing video track.
        other.wait_for_function(
            "() => { const v = document.querySelector('.tile[data-participant] video');"
            " return v && v.srcObject && v.srcObject.getVideoTracks().length > 0; }",
            timeout=30_000,
        )
        # Hands keep working next to media.
        other.click("#btn-hand")
        page.wait_for_selector("#hand-queue li:has-text('Ann Nairobi')")
    finally:
        other_context.close()
