"""What the room keeps when a connection drops, and what it tells a coordinator of a mesh."""

from __future__ import annotations

import pytest

from tests.meetings.conftest import drop_keeping_chat_and_hand, enter_room


def test_a_raised_hand_keeps_its_place_across_a_dropped_connection(
    sio_server, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann, bob = (connect(sio_server, n) for n in ("chair", "ann", "bob"))
    for peer in (chair, ann, bob):
        peer.join(meeting)
    ann.call("hand", {"raised": True})
    bob.call("hand", {"raised": True})
    assert chair.call("sync")["hands"] == [ann.you, bob.you]

    ann.close()  # the network drops
    chair.wait_for("presence", lambda d: ann.you not in {p["id"] for p in d["participants"]})
    assert chair.call("sync")["hands"] == [bob.you]

    back = connect(sio_server, "ann")
    rejoined = back.join(meeting)
    assert rejoined["hands"] == [back.you, bob.you]
    # The others' queue shows her back in her place, under her new connection's id.
    chair.wait_for("presence", lambda d: d["hands"] == [back.you, bob.you])
    assert next(p for p in rejoined["participants"] if p["id"] == back.you)["hand"] is True

    # Leaving on purpose lowers it: coming back starts with the hand down.
    assert back.call("leave") == {"ok": True}
    assert back.join(meeting)["hands"] == [bob.you]


@pytest.mark.browser
def test_reconnecting_keeps_chat_and_hand(
    app, live_server, page, make_user, make_group, make_meeting
):
    chair = make_user(name="Chair Amman")
    group = make_group(members={chair: "coordinator"})
    meeting = make_meeting(group, by=chair)
    enter_room(page, live_server, chair, app, meeting)
    drop_keeping_chat_and_hand(page, page, "Chair Amman")


@pytest.mark.browser
def test_a_coordinator_is_told_when_a_mesh_room_outgrows_it(
    app, live_server, page, make_user, make_group, make_meeting, api_token, peers
):
    chair = make_user(name="Chair Amman")
    members = [make_user(name=f"Member {n}") for n in range(5)]
    group = make_group(members={chair: "coordinator", **{m: "member" for m in members}})
    meeting = make_meeting(group, by=chair)
    enter_room(page, live_server, chair, app, meeting)
    for member in members[:4]:
        peers(live_server, token=api_token(member)).join(meeting)
    page.wait_for_selector("#people-count:has-text('5')")
    assert page.is_hidden("#mesh-warning")
    peers(live_server, token=api_token(members[4])).join(meeting)
    page.wait_for_selector("#mesh-warning:not([hidden])")
    warning = page.text_content("#mesh-warning")
    assert "People in this room: 6." in warning and "about 5 people with video" in warning
    assert "EMISA_JANUS_URL" in warning
