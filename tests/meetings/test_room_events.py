"""The meeting room over Socket.IO, driven by real python-socketio clients."""

from __future__ import annotations

import pytest
import socketio

from tests.meetings.conftest import NS, Peer, session_cookie


def test_anonymous_and_bad_token_connections_are_refused(sio_server):
    for auth in (None, {"token": "emisa_not-a-real-token"}, {"token": ""}):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError) as refused:
            client.connect(
                sio_server, namespaces=[NS], auth=auth, transports=["websocket"], wait_timeout=5
            )
        assert "Sign in first" in str(refused.value) or not client.connected
        client.disconnect()


def test_join_presence_and_chat_between_two_members(sio_server, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann = connect(sio_server, "ann")
    bob = connect(sio_server, "bob")

    first = ann.join(meeting)
    assert first["ok"] and first["you"].startswith("p_")
    assert [p["name"] for p in first["participants"]] == ["Ann Nairobi"]
    second = bob.join(meeting)
    assert {p["name"] for p in second["participants"]} == {"Ann Nairobi", "Bob Tunis"}
    assert second["you"] != first["you"]
    bob_entry = next(p for p in second["participants"] if p["id"] == second["you"])
    assert bob_entry["country"] == "TN" and bob_entry["user_id"] == people["bob"].id
    ann.wait_for("presence", lambda d: len(d["participants"]) == 2)

    assert ann.call("chat", {"text": "Hello from Nairobi"})["ok"]
    message = bob.wait_for("chat")
    assert message["text"] == "Hello from Nairobi"
    assert message["author"]["name"] == "Ann Nairobi" and message["sent_at"].endswith("Z")
    assert ann.wait_for("chat")["id"] == message["id"]

    # History is loaded on join.
    late = connect(sio_server, "chair")
    state = late.join(meeting)
    assert [m["text"] for m in state["history"]] == ["Hello from Nairobi"]

    bob.call("leave")
    ann.wait_for(
        "presence",
        lambda d: {p["name"] for p in d["participants"]} == {"Ann Nairobi", "Chair Amman"},
    )


def test_browser_session_connects_with_its_cookie(
    sio_server, app, client, cast, make_meeting, login, peers
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    login(client, people["ann"])
    ann = peers(sio_server, cookie=session_cookie(client))
    assert ann.join(meeting)["ok"]


def test_an_unfinished_sign_in_cookie_is_refused(sio_server, client, cast):
    from tests.support.web import post_form

    _group, people = cast
    response = post_form(
        client, "/login", {"email": people["ann"].email, "password": people["ann"].password}
    )
    assert response.status_code == 302  # password step only; the code is still missing
    with pytest.raises(socketio.exceptions.ConnectionError):
        Peer(sio_server, cookie=session_cookie(client))


def test_outsiders_and_uninvited_members_cannot_join(sio_server, cast, make_meeting, connect):
    group, people = cast
    amber = make_meeting(group, by=people["chair"])
    red = make_meeting(group, by=people["chair"], tlp="TLP:RED", invitees=[people["ann"]])
    outsider = connect(sio_server, "out")
    for meeting_id in (amber, red, 999_999, "x", None):
        answer = outsider.call("join", {"meeting_id": meeting_id})
        assert answer == {
            "ok": False,
            "error": "There is no such meeting, or you may not attend it.",
        }
    bob = connect(sio_server, "bob")
    assert bob.join(red) == {
        "ok": False,
        "error": "There is no such meeting, or you may not attend it.",
    }
    ann = connect(sio_server, "ann")
    assert ann.join(red)["ok"]
    # Without joining, nothing in a meeting can be done.
    assert outsider.call("chat", {"text": "hi"})["ok"] is False
    assert outsider.call("signal", {"to": ann.you, "data": {"sdp": "x"}})["ok"] is False
    assert not ann.received("chat") and not ann.received("signal")


def test_observer_attends_but_cannot_chat_vote_or_chair(sio_server, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair = connect(sio_server, "chair")
    chair.join(meeting)
    poll = chair.call("poll", {"question": "Adopt the plan?", "options": ["Yes", "No"]})["poll"]
    obs = connect(sio_server, "obs")
    state = obs.join(meeting)
    assert state["ok"] and state["can"] == {"chat": False, "vote": False, "chair": False}
    assert obs.call("chat", {"text": "hello"}) == {
        "ok": False,
        "error": "Observers attend and listen but cannot chat or vote.",
    }
    assert obs.call("vote", {"poll": poll["id"], "option": 0})["ok"] is False
    for event, data in [
        ("open", {}),
        ("close", {}),
        ("lock", {"locked": True}),
        ("remove", {"participant": chair.you}),
        ("mute_request", {}),
        ("lower_hand", {"participant": chair.you}),
        ("poll", {"question": "Q?", "options": ["a", "b"]}),
        ("close_poll", {"poll": poll["id"]}),
        ("minutes", {"text": "observer minutes"}),
    ]:
        answer = obs.call(event, data)
        assert answer == {"ok": False, "error": "Only the group's coordinators chair meetings."}, (
            event
        )
    assert obs.call("hand", {"raised": True})["ok"]
    assert chair.wait_for("hand")["participant"] == obs.you
    assert not chair.received("mute_request") and obs.connected and chair.connected


def test_chat_length_and_rate_limits_answer_clearly(sio_server, app, cast, make_meeting, connect):
    group, people = cast
    app.config["EMISA_MEETING_CHAT_RATE"] = (3, 60)
    meeting = make_meeting(group, by=people["chair"])
    ann = connect(sio_server, "ann")
    ann.join(meeting)
    too_long = ann.call("chat", {"text": "x" * 2001})
    assert too_long == {
        "ok": False,
        "error": "A chat message has at most 2000 characters (this one has 2001).",
    }
    assert ann.call("chat", {"text": "   "})["ok"] is False
    for n in range(3):
        assert ann.call("chat", {"text": f"message {n}"})["ok"]
    limited = ann.call("chat", {"text": "one too many"})
    assert limited["ok"] is False and "too fast: at most 3 every 60 seconds" in limited["error"]
    ann.wait_for("chat", lambda m: m["text"] == "message 2")
    assert [m["text"] for m in ann.received("chat")] == ["message 0", "message 1", "message 2"]


def test_signal_reaches_only_its_target(sio_server, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann, bob, chair = (connect(sio_server, n) for n in ("ann", "bob", "chair"))
    for peer in (ann, bob, chair):
        assert peer.join(meeting)["ok"]
    offer = {"type": "offer", "sdp": "v=0 fake"}
    assert ann.call("signal", {"to": bob.you, "data": offer}) == {"ok": True}
    assert bob.wait_for("signal") == {"from": ann.you, "data": offer}
    assert bob.call("signal", {"to": ann.you, "data": {"type": "answer"}})["ok"]
    assert ann.wait_for("signal")["from"] == bob.you
    assert chair.received("signal") == [] and len(bob.received("signal")) == 1
    assert ann.call("signal", {"to": "p_nobody", "data": offer})["ok"] is False
    assert ann.call("signal", {"to": bob.you, "data": "not an object"})["ok"] is False


def test_a_removed_member_is_disconnected_at_once(sio_server, app, cast, make_meeting, connect):
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership
    from emisa.groups.operations import remove_member

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    ann, bob = (connect(sio_server, n) for n in ("ann", "bob"))
    ann.join(meeting)
    bob.join(meeting)
    with app.app_context():
        membership = db.session.scalar(
            db.select(Membership).filter_by(group_id=group, user_id=people["bob"].id)
        )
        remove_member(membership, by=db.session.get(type(membership.user), people["chair"].id))
        commit()
    bob.wait_disconnected()
    ann.wait_for("presence", lambda d: [p["name"] for p in d["participants"]] == ["Ann Nairobi"])
    assert ann.connected


def test_a_suspended_account_is_disconnected_and_its_token_refused(
    sio_server, app, cast, make_meeting, api_token, peers
):
    from emisa.accounts.models import User
    from emisa.accounts.operations import suspend
    from emisa.database import commit
    from emisa.extensions import db

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    token = api_token(people["ann"])
    ann = peers(sio_server, token=token)
    ann.join(meeting)
    with app.app_context():
        suspend(db.session.get(User, people["ann"].id), by=db.session.get(User, people["chair"].id))
        commit()
    ann.wait_disconnected()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Peer(sio_server, token=token)


def test_lobby_admission_and_refusal(sio_server, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"], locked=True)
    chair = connect(sio_server, "chair")
    assert chair.join(meeting)["lobby"] == []
    ann = connect(sio_server, "ann")
    waiting = ann.join(meeting)
    assert waiting["ok"] and waiting["waiting"] and waiting["participants"] == []
    assert "locked" in waiting["message"]
    lobby = chair.wait_for("lobby", lambda d: d["waiting"])
    assert [p["name"] for p in lobby["waiting"]] == ["Ann Nairobi"]
    # Waiting is not being in: no chat, no presence, no signals.
    assert ann.call("chat", {"text": "let me in"}) == {
        "ok": False,
        "error": "Join the meeting first.",
    }
    assert chair.call("chat", {"text": "secret before admission"})["ok"]
    assert ann.call("admit", {"participant": ann.you})["ok"] is False

    assert chair.call("admit", {"participant": waiting["you"]}) == {"ok": True}
    assert ann.wait_for("admitted")["you"] == waiting["you"]
    chair.wait_for("presence", lambda d: len(d["participants"]) == 2)
    state = ann.call("sync")
    assert state["ok"] and [m["text"] for m in state["history"]] == ["secret before admission"]
    assert ann.call("chat", {"text": "thanks"})["ok"]
    chair.wait_for("chat", lambda m: m["text"] == "thanks")

    bob = connect(sio_server, "bob")
    bob_wait = bob.join(meeting)
    chair.wait_for("lobby", lambda d: [p["name"] for p in d["waiting"]] == ["Bob Tunis"])
    assert chair.call("refuse", {"participant": bob_wait["you"]}) == {"ok": True}
    assert bob.wait_for("refused")
    bob.wait_disconnected()
    assert not any(m["text"] == "thanks" for m in bob.received("chat"))


def test_not_yet_open_meeting_waits_until_the_coordinator_opens_it(
    sio_server, cast, make_meeting, connect
):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"], state="scheduled")
    ann = connect(sio_server, "ann")
    waiting = ann.join(meeting)
    assert waiting["waiting"] and "not opened" in waiting["message"]
    chair = connect(sio_server, "chair")
    assert chair.join(meeting)["meeting"]["state"] == "scheduled"
    assert chair.call("open")["meeting"]["state"] == "open"
    assert ann.wait_for("admitted")["meeting"]["state"] == "open"
    chair.wait_for("presence", lambda d: len(d["participants"]) == 2)


def test_poll_counts_one_vote_per_participant(sio_server, app, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair = connect(sio_server, "chair")
    chair.join(meeting)
    ann = connect(sio_server, "ann")
    ann_again = connect(sio_server, "ann")  # a second tab
    bob = connect(sio_server, "bob")
    for peer in (ann, ann_again, bob):
        peer.join(meeting)
    asked = chair.call(
        "poll", {"question": "Hold the next seminar in Tunis?", "options": ["Yes", "No", "Abstain"]}
    )
    poll = asked["poll"]
    assert poll["state"] == "open" and "results" not in poll
    assert bob.wait_for("poll")["question"] == "Hold the next seminar in Tunis?"

    assert ann.call("vote", {"poll": poll["id"], "option": 0}) == {"ok": True}
    assert ann.call("vote", {"poll": poll["id"], "option": 1}) == {
        "ok": False,
        "error": "You already voted in this poll.",
        "status": 409,  # the room's script tells "already done" by status, not by words
    }
    assert ann_again.call("vote", {"poll": poll["id"], "option": 1})["ok"] is False
    assert bob.call("vote", {"poll": poll["id"], "option": 7})["ok"] is False
    assert bob.call("vote", {"poll": poll["id"], "option": 1}) == {"ok": True}
    assert chair.call("vote", {"poll": poll["id"], "option": 0}) == {"ok": True}
    chair.wait_for("poll_votes", lambda d: d["votes"] == 3)
    closed = chair.call("close_poll", {"poll": poll["id"]})["poll"]
    assert closed["state"] == "closed" and closed["results"] == [2, 1, 0] and closed["votes"] == 3
    assert bob.wait_for("poll", lambda d: d["state"] == "closed")["results"] == [2, 1, 0]
    assert bob.call("vote", {"poll": poll["id"], "option": 0})["ok"] is False
    # Results are kept after the meeting.
    assert chair.call("close")["ok"]
    with app.app_context():
        from emisa.extensions import db
        from emisa.meetings import operations
        from emisa.meetings.models import Meeting

        kept = operations.polls(db.session.get(Meeting, meeting))
        assert kept[0]["results"] == [2, 1, 0]


def test_hands_queue_in_order_and_the_chair_lowers_them(sio_server, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann, bob = (connect(sio_server, n) for n in ("chair", "ann", "bob"))
    for peer in (chair, ann, bob):
        peer.join(meeting)
    bob.call("hand", {"raised": True})
    chair.wait_for("hand", lambda d: d["queue"] == [bob.you])
    ann.call("hand", {"raised": True})
    assert chair.wait_for("hand", lambda d: len(d["queue"]) == 2)["queue"] == [bob.you, ann.you]
    assert ann.call("lower_hand", {"participant": bob.you})["ok"] is False
    assert chair.call("lower_hand", {"participant": bob.you}) == {"ok": True}
    lowered = bob.wait_for("hand", lambda d: d.get("by_chair"))
    assert lowered == {
        "participant": bob.you,
        "raised": False,
        "queue": [ann.you],
        "by_chair": True,
    }
    assert chair.call("sync")["hands"] == [ann.you]


def test_coordinator_removes_and_asks_to_mute(sio_server, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann, bob = (connect(sio_server, n) for n in ("chair", "ann", "bob"))
    for peer in (chair, ann, bob):
        peer.join(meeting)
    assert chair.call("mute_request", {"participant": ann.you}) == {"ok": True}
    assert ann.wait_for("mute_request")["by"] == "Chair Amman"
    assert chair.call("mute_request", {}) == {"ok": True}
    bob.wait_for("mute_request")
    assert chair.received("mute_request") == []

    assert chair.call("remove", {"participant": bob.you}) == {"ok": True}
    bob.wait_for("removed")
    bob.wait_disconnected()
    chair.wait_for(
        "presence",
        lambda d: {p["name"] for p in d["participants"]} == {"Chair Amman", "Ann Nairobi"},
    )
    # A removed person comes back through the lobby, even into an unlocked room.
    again = connect(sio_server, "bob")
    assert again.join(meeting)["waiting"] is True


def test_minutes_are_kept_and_attendance_is_downloadable(
    sio_server, app, client, cast, make_meeting, api_token, peers
):
    from tests.conftest import bearer

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair_token, ann_token = api_token(people["chair"]), api_token(people["ann"])
    chair, ann = peers(sio_server, token=chair_token), peers(sio_server, token=ann_token)
    chair.join(meeting)
    ann.join(meeting)
    saved = chair.call("minutes", {"text": "1. Agreed on the referral protocol."})
    assert saved["ok"] and saved["updated_at"].endswith("Z")
    assert ann.wait_for("minutes")["text"] == "1. Agreed on the referral protocol."
    assert ann.call("minutes", {"text": "rewritten"})["ok"] is False
    ann.call("leave")
    assert chair.call("close")["meeting"]["state"] == "closed"
    assert chair.call("chat", {"text": "after the end"})["ok"] is False

    detail = client.get(f"/api/v1/meetings/{meeting}", headers=bearer(ann_token)).get_json()
    assert (
        detail["minutes"] == "1. Agreed on the referral protocol." and detail["state"] == "closed"
    )
    assert (
        client.get(f"/api/v1/meetings/{meeting}/attendance", headers=bearer(ann_token)).status_code
        == 403
    )
    csv = client.get(f"/api/v1/meetings/{meeting}/attendance", headers=bearer(chair_token))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert lines[0] == "name,email,organisation,country,joined_at_utc,left_at_utc"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert set(rows) == {"Chair Amman", "Ann Nairobi"}
    assert rows["Ann Nairobi"][4].endswith("Z") and rows["Ann Nairobi"][5].endswith("Z")


def test_chat_canary_is_nowhere_in_the_database_or_data_dir(
    sio_server, app, app_config, cast, make_meeting, connect
):
    from emisa.extensions import db

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    chair, ann = (
        connect(sio_server, "chair"),
        connect(sio_server, "ann"),
    )
    chair.join(meeting)
    ann.join(meeting)
    canary = "CANARY-chat-7f3a9c-Mombasa-handover"
    minutes_canary = "CANARY-minutes-51b2e0"
    poll_canary = "CANARY-poll-c0ffee"
    assert ann.call("chat", {"text": canary})["ok"]
    chair.wait_for("chat", lambda m: m["text"] == canary)
    assert chair.call("minutes", {"text": minutes_canary})["ok"]
    assert chair.call("poll", {"question": poll_canary, "options": ["a", "b"]})["ok"]
    ann.call("leave")
    chair.call("close")

    needles = [
        c.encode() for c in (canary, minutes_canary, poll_canary, "Returnee case conference")
    ]
    with app.app_context():
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                for row in connection.execute(table.select()):
                    blob = repr(tuple(row)).encode()
                    for needle in needles:
                        assert needle not in blob, (table.name, needle)
                        assert needle.hex().encode() not in blob
        db.engine.dispose()
    data_dir = app_config["EMISA_DATA_DIR"]
    roots = [data_dir]
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        from pathlib import Path

        roots.append(Path(url.removeprefix("sqlite:///")).parent)
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                for needle in needles:
                    assert needle not in content, path


def test_flask_socketio_test_client_shares_the_login_cookie(app, client, cast, make_meeting, login):
    from emisa.extensions import socketio as flask_socketio

    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    anonymous = flask_socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    assert not anonymous.is_connected(NS)
    login(client, people["ann"])
    ann = flask_socketio.test_client(app, namespace=NS, flask_test_client=client)
    assert ann.is_connected(NS)
    answer = ann.emit("join", {"meeting_id": meeting}, namespace=NS, callback=True)
    assert answer["ok"] and answer["participants"][0]["name"] == "Ann Nairobi"
    assert ann.emit("join", {"meeting_id": True}, namespace=NS, callback=True)["ok"] is False
    assert ann.emit("chat", {"text": "via the test client"}, namespace=NS, callback=True)["ok"]
    received = [e for e in ann.get_received(NS) if e["name"] == "chat"]
    assert received[0]["args"][0]["text"] == "via the test client"
    ann.disconnect(NS)
