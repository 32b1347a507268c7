"""Redis stopped under two running server processes, then started again: pages, the API,
sign-in and meeting events within one process keep working; the meeting room is told that
live updates across processes are interrupted, then that they are back, and events cross
processes again, with no restart. Runs on a Redis server of its own, on its own port."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import requests

from tests.conftest import bearer, free_port, start_server, stop_server
from tests.meetings.conftest import Peer, enter_room, make_meeting  # noqa: F401  (fixture)
from tests.support.web import totp_code

# Each outage is noticed at the next failed read or publish; recovery within the manager's
# retry period (2 s); the rest is slack for a loaded machine.
WITHIN = 15


class Redis:
    """A redis-server of the test's own, without persistence."""

    def __init__(self) -> None:
        if not shutil.which("redis-server"):
            pytest.skip("needs the redis-server binary")
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_server():
    server = Redis()
    yield server
    if server.process.poll() is None:
        server.stop()


def _issue(app, persona) -> str:
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit
    from emisa.extensions import db

    with app.app_context():
        _row, plain = issue_token(db.session.get(User, persona.id), "lost Redis test")
        commit()
        return plain


def test_processes_outlive_redis_and_reconnect_by_themselves(
    app,
    app_config,
    redis_server,
    make_user,
    make_group,
    make_meeting,  # noqa: F811
):
    chair = make_user(name="Chair Amman", country="JO")
    ann = make_user(name="Ann Nairobi", country="KE")
    bob = make_user(name="Bob Tunis", country="TN")
    group = make_group(members={chair: "coordinator", ann: "member", bob: "member"})
    meeting = make_meeting(group, by=chair)
    env = {"EMISA_REDIS_URL": redis_server.url}
    ports = [free_port(), free_port()]
    servers = [start_server(app_config, port, env) for port in ports]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    peers: list[Peer] = []
    try:
        chair_a, ann_a, bob_b = (
            Peer(url, token=_issue(app, person)) for url, person in ((a, chair), (a, ann), (b, bob))
        )
        peers += [chair_a, ann_a, bob_b]
        for peer in (chair_a, ann_a, bob_b):
            answer = peer.join(meeting)
            assert answer["ok"] and answer["live_updates"] is True
        assert ann_a.call("chat", {"text": "before"})["ok"]
        bob_b.wait_for("chat", lambda m: m["text"] == "before")

        redis_server.stop()
        for peer in (chair_a, ann_a, bob_b):
            peer.wait_for("live_updates", lambda d: d["connected"] is False, timeout=WITHIN)

        # Pages, the API and a real sign-in (rate limits, lockout counting) on both processes.
        token = _issue(app, chair)
        for url in (a, b):
            listed = requests.get(
                f"{url}/api/v1/groups/{group}/meetings", headers=bearer(token), timeout=10
            )
            assert listed.status_code == 200 and listed.json()[0]["id"] == meeting
            assert requests.get(f"{url}/login", timeout=10).status_code == 200
        wrong = requests.post(
            f"{b}/api/v1/auth/token",
            json={"email": ann.email, "password": "not the password", "otp": "000000"},
            timeout=10,
        )
        assert wrong.status_code == 401
        signed_in = requests.post(
            f"{b}/api/v1/auth/token",
            json={"email": ann.email, "password": ann.password, "otp": totp_code(ann.secret)},
            timeout=10,
        )
        assert signed_in.status_code == 201, signed_in.text

        # Meeting events within one process still flow; a newcomer is told at once.
        assert ann_a.call("chat", {"text": "during"})["ok"]
        chair_a.wait_for("chat", lambda m: m["text"] == "during")
        late = Peer(a, token=signed_in.json()["token"])
        peers.append(late)
        assert late.join(meeting)["live_updates"] is False

        redis_server.start()
        for peer in (chair_a, ann_a, bob_b, late):
            peer.wait_for("live_updates", lambda d: d["connected"] is True, timeout=WITHIN)
        assert bob_b.call("chat", {"text": "after"})["ok"]
        chair_a.wait_for("chat", lambda m: m["text"] == "after")
        assert ann_a.call("chat", {"text": "after, from A"})["ok"]
        bob_b.wait_for("chat", lambda m: m["text"] == "after, from A")
        # What B missed is in its catch-up: the chat history holds the message sent meanwhile.
        synced = bob_b.call("sync")
        assert "during" in [m["text"] for m in synced["history"]]
        assert synced["live_updates"] is True
    finally:
        for peer in peers:
            peer.close()
        for server in servers:
            stop_server(server)


@pytest.mark.browser
def test_the_room_page_says_live_updates_are_interrupted_then_catches_up(
    app,
    app_config,
    redis_server,
    page,
    make_user,
    make_group,
    make_meeting,  # noqa: F811
):
    chair = make_user(name="Chair Amman", country="JO")
    bob = make_user(name="Bob Tunis", country="TN")
    group = make_group(members={chair: "coordinator", bob: "member"})
    meeting = make_meeting(group, by=chair)
    ports = [free_port(), free_port()]
    servers = [
        start_server(app_config, port, {"EMISA_REDIS_URL": redis_server.url}) for port in ports
    ]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        enter_room(page, a, chair, app, meeting)
        assert page.is_hidden("#live-updates")
        bob_b = Peer(b, token=_issue(app, bob))
        try:
            assert bob_b.join(meeting)["ok"]
            page.wait_for_selector("#people li:has-text('Bob Tunis')")
            redis_server.stop()
            page.wait_for_selector("#live-updates:not([hidden])", timeout=WITHIN * 1000)
            assert "interrupted" in page.inner_text("#live-updates")
            # Said on the other process while the queue is down: this page cannot hear it...
            assert bob_b.call("chat", {"text": "Said during the outage"})["ok"]
            redis_server.start()
            page.wait_for_selector("#live-updates[hidden]", state="attached", timeout=WITHIN * 1000)
            # ...and catches up once it is back.
            page.wait_for_selector("#chat-log li:has-text('Said during the outage')")
        finally:
            bob_b.close()
    finally:
        for server in servers:
            stop_server(server)
