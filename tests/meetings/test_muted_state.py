"""Who is muted is part of the room's state: someone who joins later sees it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.meetings.conftest import enter_room


def muted_by_name(answer: dict) -> dict[str, bool]:
    return {person["name"]: person["muted"] for person in answer["participants"]}


def test_a_late_joiner_sees_who_muted_and_who_unmuted_since(
    sio_server, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann, bob, chair = (connect(sio_server, n) for n in ("ann", "bob", "chair"))

    assert ann.join(meeting)["ok"]
    assert ann.call("media_muted", {"muted": True}) == {"ok": True}
    assert muted_by_name(bob.join(meeting)) == {"Ann Nairobi": True, "Bob Tunis": False}

    assert ann.call("media_muted", {"muted": False}) == {"ok": True}
    assert muted_by_name(bob.call("sync")) == {"Ann Nairobi": False, "Bob Tunis": False}
    assert bob.call("media_muted", {"muted": True}) == {"ok": True}
    # The presence a later join sends the others carries it too.
    assert chair.join(meeting)["ok"]
    presence = ann.wait_for("presence", lambda d: len(d["participants"]) == 3)
    assert muted_by_name(presence) == {
        "Ann Nairobi": False,
        "Bob Tunis": True,
        "Chair Amman": False,
    }

    # A new stay starts with the microphone on until the page says otherwise.
    assert bob.call("leave")["ok"]
    assert muted_by_name(bob.join(meeting))["Bob Tunis"] is False


def test_the_chair_s_mute_all_shows_in_a_later_joiner_s_sync(
    sio_server, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann, bob = (connect(sio_server, n) for n in ("chair", "ann", "bob"))
    assert chair.join(meeting)["ok"] and ann.join(meeting)["ok"]

    assert chair.call("mute_request", {}) == {"ok": True}
    assert bob.join(meeting)["ok"]
    assert muted_by_name(bob.call("sync")) == {
        "Chair Amman": False,
        "Ann Nairobi": True,
        "Bob Tunis": False,
    }
    # Only the speaker lifts it, by unmuting.
    assert ann.call("media_muted", {"muted": False}) == {"ok": True}
    assert muted_by_name(bob.call("sync"))["Ann Nairobi"] is False


@pytest.mark.browser
def test_a_late_joiner_s_people_list_shows_who_muted_before(
    app, live_server, page, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann = connect(live_server, "ann")
    assert ann.join(meeting)["ok"]
    assert ann.call("media_muted", {"muted": True}) == {"ok": True}

    enter_room(page, live_server, people["bob"], app, meeting)
    expect(page.locator("#people li:has-text('Ann Nairobi') .pill")).to_have_text("muted")
    ann.call("media_muted", {"muted": False})
    expect(page.locator("#people li:has-text('Ann Nairobi') .pill")).to_have_count(0)
