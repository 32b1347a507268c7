"""The room's layout and controls as a person sees them, at a desktop's and a phone's width.

A mesh room with one person: nothing is sent to anyone, so these stay cheap."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.meetings.conftest import drop_and_recover, enter_room

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def boxes(page) -> tuple[dict, dict]:
    return page.locator("section.media").bounding_box(), page.locator("section.chat").bounding_box()


def chair_panel_expanded(page) -> bool | None:
    """The chair panel's toggle as a screen reader hears it: Chromium's accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    try:
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            if node.get("role", {}).get("value") == "DisclosureTriangle" and (
                node.get("name", {}).get("value") == "Chair"
            ):
                states = {p["name"]: p["value"]["value"] for p in node.get("properties", [])}
                return states.get("expanded")
        return None
    finally:
        cdp.detach()


def test_chat_beside_the_video_on_a_desktop_below_it_on_a_phone(
    app, live_server, browser, make_user, make_group, make_meeting
):
    chair = make_user(name="Chair Amman")
    group = make_group(members={chair: "coordinator"})
    meeting = make_meeting(group, by=chair)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        enter_room(page, live_server, chair, app, meeting)

        # The chat is in the column beside the video, under the chair's panel.
        media, chat = boxes(page)
        assert chat["x"] >= media["x"] + media["width"], (media, chat)

        # The chair panel folds away and opens again; folded, its controls are not shown,
        # and the chat moves up beside the video.
        assert chair_panel_expanded(page) is True
        expect(page.locator("#btn-mute-all")).to_be_visible()
        page.click("#chair-panel > summary")
        assert chair_panel_expanded(page) is False
        for control in ("#btn-mute-all", "#btn-close", "#poll-form"):
            expect(page.locator(control)).to_be_hidden()
        media, chat = boxes(page)
        assert chat["x"] >= media["x"] + media["width"], (media, chat)
        assert media["y"] <= chat["y"] < media["y"] + media["height"], (media, chat)
        page.click("#chair-panel > summary")
        assert chair_panel_expanded(page) is True
        expect(page.locator("#btn-mute-all")).to_be_visible()

        # A started camera is not offered again: its button is gone, not merely disabled,
        # and stays gone after the connection drops and comes back.
        expect(page.locator("#btn-media")).to_be_visible()
        page.click("#btn-media")
        page.wait_for_selector("#btn-mic:not([disabled])")
        expect(page.locator("#btn-media")).to_be_hidden()
        assert page.locator("#btn-media").bounding_box() is None
        drop_and_recover(page)
        expect(page.locator("#btn-media")).to_be_hidden()
        expect(page.locator("#btn-mic")).to_be_enabled()

        # A phone: one column, the chat below the video, both the screen's width.
        page.set_viewport_size(PHONE)
        media, chat = boxes(page)
        assert chat["y"] >= media["y"] + media["height"], (media, chat)
        assert abs(chat["x"] - media["x"]) < 2 and chat["x"] + chat["width"] <= PHONE["width"]
    finally:
        context.close()
