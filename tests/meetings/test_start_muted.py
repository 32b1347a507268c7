"""Large rooms: who joins a room already holding EMISA_MEETING_START_MUTED_FROM people starts
with the microphone off, and turns it on with the usual button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port, start_server, stop_server
from tests.meetings.conftest import enter_room

MUTED_FROM = 2


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EMISA_MEETING_START_MUTED_FROM": MUTED_FROM}


@pytest.fixture
def muting_server(app, app_config):
    """``python app.py`` with the same low threshold (a separate process reads the environment)."""
    port = free_port()
    process = start_server(app_config, port, {"EMISA_MEETING_START_MUTED_FROM": str(MUTED_FROM)})
    yield f"http://127.0.0.1:{port}"
    stop_server(process)


def test_the_joiner_who_finds_the_room_at_the_threshold_starts_muted(
    sio_server, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann, bob = (connect(sio_server, n) for n in ("chair", "ann", "bob"))

    assert chair.join(meeting)["start_muted"] is False
    assert ann.join(meeting)["start_muted"] is False  # one other present: below the size
    third = bob.join(meeting)
    assert third["ok"] and len(third["participants"]) == 3
    assert third["start_muted"] is True
    # It counts who is present now, not who came: with the others gone, a return is below it.
    assert ann.call("leave")["ok"] and bob.call("leave")["ok"]
    assert bob.join(meeting)["start_muted"] is False


@pytest.mark.browser
def test_joining_a_large_room_starts_muted_and_unmutes_with_the_button(
    app, muting_server, page, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair = connect(muting_server, "chair")
    chair.join(meeting)
    connect(muting_server, "ann").join(meeting)

    enter_room(page, muting_server, people["bob"], app, meeting)
    page.click("#btn-media")
    page.wait_for_selector("#btn-mic:not([disabled])")
    expect(page.locator("#btn-mic")).to_have_text("Unmute")
    expect(page.locator("#btn-mic")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#start-muted")).to_have_text(
        "Large meeting: you joined with your microphone off."
    )
    expect(page.locator("#tile-me .badges")).to_contain_text("muted")
    # The others are told, as when the button is pressed: the room's list shows the badge.
    bob = chair.wait_for("muted", lambda d: d["muted"] is True)["participant"]
    expect(page.locator("#people li:has-text('Bob Tunis') .pill")).to_have_text("muted")

    page.click("#btn-mic")
    expect(page.locator("#btn-mic")).to_have_text("Mute")
    expect(page.locator("#start-muted")).to_be_hidden()
    chair.wait_for("muted", lambda d: d["participant"] == bob and d["muted"] is False)

    # Muted again, Bob's network drops and comes back: he returns under a new stay, which the
    # server starts open; his page says again that his microphone is off, so the room shows it.
    page.click("#btn-mic")
    chair.wait_for("muted", lambda d: d["participant"] == bob and d["muted"] is True)
    page.context.set_offline(True)
    page.wait_for_selector("#room[data-connection=reconnecting]", timeout=30_000)
    page.context.set_offline(False)
    page.wait_for_selector("#room[data-connection=connected]", timeout=30_000)
    expect(page.locator("#btn-mic")).to_have_text("Unmute")
    back = chair.wait_for("muted", lambda d: d["participant"] != bob and d["muted"] is True)[
        "participant"
    ]
    assert next(p for p in chair.call("sync")["participants"] if p["id"] == back)["muted"]
