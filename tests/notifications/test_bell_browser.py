"""The bell: an unread count in the top bar and a dropdown of recent notices (static JS)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.discussions.support import new_thread, reply, sign_in


@pytest.mark.browser
def test_the_bell_drops_down_recent_notices_and_opens_one(client, team, app, live_server, page):
    tid = new_thread(client, team, title="Screening")
    for n in range(3):
        reply(client, team, tid, f"answer {n}", by=team.coordinator)
    sign_in(page, live_server, team.member, app)
    bell = page.locator(".bell-link")
    expect(bell).to_have_attribute("data-unread", "1")
    expect(bell.locator(".count")).to_have_text("1 unread")
    panel = page.locator(".bell-panel")
    expect(panel).to_be_hidden()
    bell.click()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("3 new replies in a TLP:AMBER discussion of yours")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    bell.click()
    panel.locator("button.link").first.click()
    page.wait_for_url(f"**/threads/{tid}**")
    expect(page.locator(".bell-link")).to_have_attribute("data-unread", "0")
