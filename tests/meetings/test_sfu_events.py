"""Media through a real Janus, driven over Socket.IO by real python-socketio clients.

The offers are written by hand (a valid WebRTC offer whose ICE never completes): enough for
Janus to accept a publisher and answer, which is all the platform's relaying depends on.
"""

from __future__ import annotations

import json
import secrets
import threading
import time

import pytest

from emisa.meetings.janus import UNAUTHORIZED, Janus, JanusError
from tests.meetings.conftest import NS

pytestmark = pytest.mark.usefixtures("sfu_config")

FINGERPRINT = ":".join(f"{b:02X}" for b in secrets.token_bytes(32))


def offer(audio_mid: str = "0", video_mid: str = "1") -> dict:
    ice = [
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:emisatest",
        "a=ice-pwd:emisatestemisatestemisate",
        "a=ice-options:trickle",
        f"a=fingerprint:sha-256 {FINGERPRINT}",
        "a=setup:actpass",
        "a=sendonly",
        "a=rtcp-mux",
    ]
    lines = [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        f"a=group:BUNDLE {audio_mid} {video_mid}",
        "a=msid-semantic: WMS stream",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        *ice,
        f"a=mid:{audio_mid}",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=ssrc:11111111 cname:emisatest",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        *ice,
        f"a=mid:{video_mid}",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=ssrc:22222222 cname:emisatest",
    ]
    return {"type": "offer", "sdp": "\r\n".join(lines) + "\r\n"}


def in_room(app, meeting_id: int) -> list[dict]:
    """Everyone Janus has in the meeting's room, as the platform sees them."""
    from emisa.meetings import sfu

    with app.app_context():
        return sfu.publishers(meeting_id, live=False)


def wait_until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def cameras_on(cast, make_meeting, sio_server, connect):
    """A meeting where the chair, Ann and Bob have joined and Ann and Bob publish a camera."""
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann, bob = (connect(sio_server, n) for n in ("chair", "ann", "bob"))
    for peer in (chair, ann, bob):
        peer.join(meeting)
    for peer in (ann, bob):
        assert peer.call("media_publish", {"kind": "camera", "jsep": offer()})["ok"] is True
    return meeting, chair, ann, bob


def test_member_publishes_through_janus_and_observer_is_refused(
    app, sio_server, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann = connect(sio_server, "ann")
    obs = connect(sio_server, "obs")
    joined = ann.join(meeting)
    assert joined["media"] == {"mode": "sfu", "publish": True, "mesh_limit": 5}
    assert obs.join(meeting)["media"]["publish"] is False

    answer = ann.call("media_publish", {"kind": "camera", "jsep": offer()})
    assert answer["ok"] is True, answer
    assert answer["jsep"]["type"] == "answer" and "m=video" in answer["jsep"]["sdp"]
    # The answer asks the browser's Opus encoder for DTX: in silence it sends about 5 packets
    # a second instead of 50, and Janus forwards only those.
    opus = [
        line.split(" ", 1)[1].split(";")
        for line in answer["jsep"]["sdp"].splitlines()
        if line.startswith("a=fmtp:111 ")
    ]
    assert len(opus) == 1 and "usedtx=1" in opus[0], answer["jsep"]["sdp"]
    assert [(p["participant"], p["kind"]) for p in in_room(app, meeting)] == [(ann.you, "camera")]

    refused = obs.call("media_publish", {"kind": "camera", "jsep": offer()})
    assert refused == {
        "ok": False,
        "error": "Observers follow the meeting but do not send audio, video or a screen.",
    }
    assert obs.call("media_trickle", {"pc": "camera", "candidate": None})["ok"] is False
    assert [p["participant"] for p in in_room(app, meeting)] == [ann.you]
    # Observers still receive: subscribing is theirs.
    assert obs.call("media_feeds")["ok"] is True


def test_janus_itself_refuses_a_publisher_without_the_platform_s_token(
    app, sio_server, cast, make_meeting, janus_server, connect
):
    from emisa.meetings import sfu

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    obs = connect(sio_server, "obs")
    obs.join(meeting)
    with app.app_context():
        room = sfu.ensure_room(meeting)
        observer_token = sfu.publish_token(meeting, obs.you, "camera")
    # Even someone holding the API secret and the room's pin (never a browser) cannot publish
    # with no token, a made-up one, or the token an observer would have: none is allowed.
    janus = Janus(janus_server.url, janus_server.api_secret, "not-the-admin-key")
    session = janus.session()
    session.listen()
    try:
        for token in (None, "forged", observer_token):
            handle = session.attach()
            body = {"request": "join", "ptype": "publisher", "room": room.id, "pin": room.pin}
            if token:
                body["token"] = token
            with pytest.raises(JanusError) as refused:
                session.send(handle, body)
            assert refused.value.code == UNAUTHORIZED
        # Nor can anyone create rooms without the plugin's admin key.
        with pytest.raises(JanusError):
            session.request(session.attach(), {"request": "create", "room": 4242})
    finally:
        session.destroy()


def test_no_janus_secret_token_or_id_reaches_a_client(
    app, sio_server, cast, make_meeting, janus_server, connect
):
    from emisa.meetings import sfu

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann, bob, chair = (connect(sio_server, n) for n in ("ann", "bob", "chair"))
    seen = [ann.join(meeting), bob.join(meeting), chair.join(meeting)]
    seen.append(ann.call("media_publish", {"kind": "camera", "jsep": offer()}))
    seen.append(bob.call("media_publish", {"kind": "screen", "jsep": offer()}))
    seen.append(chair.call("media_feeds"))
    seen.append(chair.call("mute_request", {"participant": ann.you}))
    ann.wait_for("muted", lambda d: d["participant"] == ann.you and d["by_chair"])
    seen.append(ann.call("media_muted", {"muted": False}))

    with app.app_context():
        room = sfu.room_of(meeting)
        secrets_held = [
            room.secret,
            room.pin,
            str(room.id),
            janus_server.api_secret,
            janus_server.admin_key,
            *(sfu.publish_token(meeting, p.you, k) for p in (ann, bob) for k in sfu.KINDS),
        ]
    for link in [link for link in sfu._LINKS.values() if link.session]:
        secrets_held.append(str(link.session.id))
        secrets_held += [str(handle) for handle in link.publishing.values()]
        secrets_held += [str(number) for number in link.publisher_ids.values()]
    assert len(secrets_held) > 12
    for peer in (ann, bob, chair):
        seen.append(dict(peer.events))
    text = json.dumps(seen)
    leaked = [value for value in secrets_held if value in text]
    assert leaked == [], "Janus credentials or ids reached a client"


def test_forged_or_foreign_streams_are_refused(
    app, sio_server, cast, make_user, make_group, make_meeting, api_token, peers, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    # Another group's meeting, with someone publishing in it.
    stranger = make_user(name="Sam Elsewhere")
    other_group = make_group(members={stranger: "coordinator", people["ann"]: "member"})
    other = make_meeting(other_group, by=stranger)
    sam = peers(sio_server, token=api_token(stranger))
    sam.join(other)
    assert sam.call("media_publish", {"kind": "camera", "jsep": offer()})["ok"] is True

    ann = connect(sio_server, "ann")
    ann.join(meeting)
    with app.app_context():
        from emisa.meetings import sfu

        other_room, other_feed = sfu.room_of(other), sfu.publishers(other, live=False)[0]["id"]
    foreign = ann.call("media_subscribe", {"feeds": [{"participant": sam.you, "kind": "camera"}]})
    assert foreign == {
        "ok": False,
        "error": "That participant is not in this meeting.",
        "status": 404,
    }
    # Janus's own names mean nothing here: the platform only takes participants of the room.
    for forged in (
        {"feeds": [{"feed": other_feed, "room": other_room.id}]},
        {"feeds": other_feed},
        {"feed": other_feed, "room": other_room.id, "pin": other_room.pin},
    ):
        answer = ann.call("media_subscribe", forged)
        assert answer["ok"] is False
    assert ann.call("media_answer", {"jsep": {"type": "answer", "sdp": "v=0"}})["ok"] is False
    assert ann.call("media_trickle", {"pc": str(other_feed), "candidate": None})["ok"] is False
    assert ann.call("media_configure", {"mid": "../1", "video": True})["ok"] is False
    assert ann.call("media_publish", {"kind": "camera", "jsep": {"type": "answer"}}) == {
        "ok": False,
        "error": "Send a WebRTC offer (type and sdp).",
    }
    assert ann.received("media_offer") == []
    # The other meeting's stream is untouched.
    assert [p["participant"] for p in in_room(app, other)] == [sam.you]


def test_removal_kicks_from_janus_and_closing_destroys_the_room(
    app,
    sio_server,
    cast,
    make_meeting,
    connect,
):
    from emisa.meetings import sfu

    meeting, chair, ann, bob = cameras_on(cast, make_meeting, sio_server, connect)
    assert bob.call("media_publish", {"kind": "screen", "jsep": offer()})["ok"] is True
    assert len(in_room(app, meeting)) == 3

    removed_at = time.monotonic()
    assert chair.call("remove", {"participant": bob.you}) == {"ok": True}
    wait_until(lambda: [p["participant"] for p in in_room(app, meeting)] == [ann.you], 2.0)
    assert time.monotonic() - removed_at < 2.0
    bob.wait_disconnected()
    # Bob's tokens are off the room's allow-list: even his connection could not publish again.
    with app.app_context():
        room = sfu.room_of(meeting)
        allowed = sfu.as_owner(room, "allowed", action="add", allowed=[])["allowed"]
        assert sfu.publish_token(meeting, ann.you, "camera") in allowed
        assert not {sfu.publish_token(meeting, bob.you, k) for k in sfu.KINDS} & set(allowed)

    # Ann leaves her connection without a word: Janus drops her stream with the connection.
    ann.close()
    wait_until(lambda: in_room(app, meeting) == [], 5.0)

    assert chair.call("close")["ok"] is True
    with app.app_context():

        def gone() -> bool:
            exists = sfu.janus().control({"request": "exists", "room": room.id})
            return exists["exists"] is False

        wait_until(gone, 5.0)


def test_chair_mute_is_enforced_on_janus_and_lifted_by_the_speaker(
    app,
    sio_server,
    cast,
    make_meeting,
    connect,
):
    _meeting, chair, ann, bob = cameras_on(cast, make_meeting, sio_server, connect)

    assert chair.call("mute_request", {}) == {"ok": True}
    for peer in (ann, bob):
        chair.wait_for("muted", lambda d, p=peer: d["participant"] == p.you and d["by_chair"])
    # Only the chair mutes others: a member's attempt is refused by the policy.
    assert ann.call("mute_request", {"participant": bob.you})["ok"] is False
    assert ann.call("media_muted", {"muted": False}) == {"ok": True}
    chair.wait_for("muted", lambda d: d["participant"] == ann.you and d["muted"] is False)


def test_one_connection_s_media_events_are_handled_in_the_order_sent(
    app, sio_server, cast, make_meeting, connect
):
    """A client that does not wait for each answer (a candidate right after its offer, a
    camera stopped at once) gets what it asked for, in its order: each event of a connection
    runs after the one before it, Janus requests included."""
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann = connect(sio_server, "ann")
    ann.join(meeting)
    for _round in range(3):
        answers: dict[str, list] = {}
        done = threading.Event()

        def keep(name, answer, answers=answers, done=done):
            answers[name] = answer
            if len(answers) == 3:
                done.set()

        sent = (
            ("media_publish", {"kind": "camera", "jsep": offer()}),
            ("media_trickle", {"pc": "camera", "candidate": None}),
            ("media_unpublish", {"kind": "camera"}),
        )
        for name, data in sent:
            ann.client.emit(
                name, data, namespace=NS, callback=lambda answer, name=name: keep(name, answer)
            )
        assert done.wait(20), answers
        assert answers["media_publish"]["ok"] is True, answers
        # The candidate reached the peer connection the offer before it set up.
        assert answers["media_trickle"] == {"ok": True}
        # Stopped last, so nothing of Ann's stays in the room.
        assert answers["media_unpublish"] == {"ok": True}
        wait_until(lambda: in_room(app, meeting) == [], 5.0)
