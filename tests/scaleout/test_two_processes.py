"""One platform served by two processes: a meeting spans both, limits and codes are shared."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import free_port, last_step, start_server, stop_server
from tests.meetings.conftest import Peer
from tests.scaleout.conftest import REDIS_URL
from tests.support.web import totp_code

pytestmark = pytest.mark.scaleout


@pytest.fixture
def two_servers(app, app_config):
    env = {"EMISA_REDIS_URL": REDIS_URL, "EMISA_MEETING_CHAT_RATE": "4/600"}
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(start_server(app_config, port, env))
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for process in processes:
            stop_server(process)


@pytest.fixture
def issue(app):
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit
    from emisa.extensions import db

    def token(persona) -> str:
        with app.app_context():
            _row, plain = issue_token(db.session.get(User, persona.id), "scale-out test")
            commit()
            return plain

    return token


@pytest.fixture
def peers():
    opened = []

    def open_peer(url, **kwargs):
        peer = Peer(url, **kwargs)
        opened.append(peer)
        return peer

    yield open_peer
    for peer in opened:
        peer.close()


def test_a_meeting_spans_two_processes(app, two_servers, make_user, make_group, issue, peers):
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership
    from emisa.groups.operations import remove_member

    a, b = two_servers
    chair = make_user(name="Chair Brussels", country="BE")
    ann = make_user(name="Ann Amman", country="JO")
    bob = make_user(name="Bob Tunis", country="TN")
    group = make_group(members={chair: "coordinator", ann: "member", bob: "member"})
    meeting = _meeting(app, group, chair)

    on_a = peers(a, token=issue(chair))
    on_b = peers(b, token=issue(ann))
    bob_b = peers(b, token=issue(bob))
    assert on_a.join(meeting)["ok"]
    joined = on_b.join(meeting)
    assert {p["name"] for p in joined["participants"]} == {"Chair Brussels", "Ann Amman"}
    on_a.wait_for("presence", lambda d: len(d["participants"]) == 2)
    assert bob_b.join(meeting)["ok"]
    on_a.wait_for("presence", lambda d: len(d["participants"]) == 3)

    # Chat both ways.
    assert on_b.call("chat", {"text": "From process B"})["ok"]
    assert (
        on_a.wait_for("chat", lambda m: m["text"] == "From process B")["author"]["name"]
        == "Ann Amman"
    )
    assert on_a.call("chat", {"text": "From process A"})["ok"]
    on_b.wait_for("chat", lambda m: m["text"] == "From process A")
    bob_b.wait_for("chat", lambda m: m["text"] == "From process A")

    # A signal crosses to its target only.
    assert on_a.call("signal", {"to": on_b.you, "data": {"type": "offer", "sdp": "x"}})["ok"]
    assert on_b.wait_for("signal")["from"] == on_a.you
    assert on_b.call("signal", {"to": on_a.you, "data": {"type": "answer"}})["ok"]
    assert on_a.wait_for("signal")["data"] == {"type": "answer"}
    assert bob_b.received("signal") == []

    # Hands and the chair's controls reach the other process.
    assert bob_b.call("hand", {"raised": True})["ok"]
    on_a.wait_for("hand", lambda d: d["queue"] == [bob_b.you])
    assert on_a.call("mute_request", {"participant": on_b.you})["ok"]
    on_b.wait_for("mute_request")

    # The chat rate limit is one counter for both processes (4 per 600 s here).
    for n in range(3):
        assert on_b.call("chat", {"text": f"burst {n}"})["ok"]
    ann_on_a = peers(a, token=issue(ann))
    assert ann_on_a.join(meeting)["ok"]
    refused = ann_on_a.call("chat", {"text": "fifth message"})
    assert refused["ok"] is False and "too fast" in refused["error"]

    # A member removed by a third process is disconnected on B at once.
    with app.app_context():
        membership = db.session.scalar(
            db.select(Membership).filter_by(group_id=group, user_id=bob.id)
        )
        remove_member(membership, by=db.session.get(type(membership.user), chair.id))
        commit()
    bob_b.wait_disconnected()
    on_a.wait_for("presence", lambda d: "Bob Tunis" not in {p["name"] for p in d["participants"]})


def test_rights_withdrawn_on_one_process_cut_off_listeners_on_the_other(
    app, two_servers, make_user, make_group, issue, peers
):
    """The change is made through process A; the listeners that lose their right are on B."""
    a, b = two_servers
    chair = make_user(name="Chair Brussels", country="BE")
    ann = make_user(name="Ann Amman", country="JO")
    carl = make_user(name="Carl Tunis", country="TN")
    group = make_group(members={chair: "coordinator", ann: "member", carl: "member"})
    meeting = _meeting(app, group, chair)
    chair_token, first_token, second_token = issue(chair), issue(ann), issue(ann)

    on_a = peers(a, token=chair_token)
    carl_b = peers(b, token=issue(carl))
    first_b = peers(b, token=first_token)
    second_b = peers(b, token=second_token)
    for peer in (on_a, carl_b, first_b, second_b):
        assert peer.join(meeting)["ok"]
    assert on_a.call("chat", {"text": "everyone hears this"})["ok"]
    for peer in (carl_b, first_b, second_b):
        peer.wait_for("chat", lambda m: m["text"] == "everyone hears this")

    # One token revoked on A: exactly the socket opened with it closes on B.
    revoked = requests.delete(
        f"{a}/api/v1/auth/token", headers={"Authorization": f"Bearer {first_token}"}, timeout=30
    )
    assert revoked.status_code == 204
    first_b.wait_disconnected()
    assert on_a.call("chat", {"text": "after the token"})["ok"]
    second_b.wait_for("chat", lambda m: m["text"] == "after the token")
    assert second_b.connected

    # Re-marked TLP:RED on A without Ann: her remaining socket on B is cut off at once.
    headers = {"Authorization": f"Bearer {chair_token}"}
    current = requests.get(f"{a}/api/v1/meetings/{meeting}", headers=headers, timeout=30).json()
    body = {key: current[key] for key in ("title", "starts_at", "ends_at", "agenda")}
    body.update(tlp="TLP:RED", invitees=[chair.id, carl.id], releasable_to=[])
    changed = requests.put(f"{a}/api/v1/meetings/{meeting}", json=body, headers=headers, timeout=30)
    assert changed.status_code == 200, changed.text
    second_b.wait_for("removed")
    assert on_a.call("chat", {"text": "after the re-marking"})["ok"]
    assert on_a.call("minutes", {"text": "minutes after the re-marking"})["ok"]
    carl_b.wait_for("chat", lambda m: m["text"] == "after the re-marking")
    carl_b.wait_for("minutes", lambda m: m["text"] == "minutes after the re-marking")
    second_b.wait_disconnected()
    assert "after the token" not in [m["text"] for m in first_b.received("chat")]
    assert "after the re-marking" not in [m["text"] for m in second_b.received("chat")]
    assert second_b.received("minutes") == []


def _meeting(app, group_id, chair) -> int:
    from datetime import timedelta

    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup
    from emisa.meetings import operations
    from emisa.timeutil import utcnow

    with app.app_context():
        start = utcnow() + timedelta(minutes=5)
        meeting = operations.create_meeting(
            db.session.get(WorkingGroup, group_id),
            operations.MeetingInput(
                title="Cross-process meeting",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                agenda=[],
                tlp="TLP:AMBER",
                invitee_ids=[],
                releasable_to=[],
            ),
            db.session.get(User, chair.id),
        )
        meeting.state = "open"
        commit()
        return meeting.id


def test_lockout_counts_failures_on_both_processes(two_servers, make_user):
    a, b = two_servers
    victim = make_user()
    for n in range(10):  # the threshold: half on each process
        answer = requests.post(
            f"{(a, b)[n % 2]}/api/v1/auth/token",
            json={"email": victim.email, "password": "wrong guess", "otp": "000000"},
            timeout=30,
        )
        assert answer.status_code == 401
    locked = requests.post(
        f"{a}/api/v1/auth/token",
        json={"email": victim.email, "password": victim.password, "otp": "000000"},
        timeout=30,
    )
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
    assert (
        requests.post(
            f"{b}/api/v1/auth/token",
            json={"email": victim.email, "password": victim.password, "otp": "000000"},
            timeout=30,
        ).status_code
        == 429
    )


def test_a_totp_code_used_on_one_process_is_refused_on_the_other(app, two_servers, make_user):
    a, b = two_servers
    person = make_user()
    code = totp_code(person.secret, last_step(app, person))
    body = {"email": person.email, "password": person.password, "otp": code}
    assert requests.post(f"{a}/api/v1/auth/token", json=body, timeout=30).status_code == 201
    replay = requests.post(f"{b}/api/v1/auth/token", json=body, timeout=30)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "invalid_credentials"
