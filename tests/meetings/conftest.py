"""Meeting fixtures: the test's app served for real in a thread, python-socketio clients."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
import socketio
from werkzeug.serving import make_server

from emisa.extensions import db
from tests.conftest import browser_login, free_port

NS = "/meetings"
TIMEOUT = 10


@pytest.fixture
def sio_server(app):
    """The test's own app on a real HTTP server (threads, WebSocket), so events run in-process."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


class Peer:
    """A python-socketio client that keeps every event it receives, for the test to wait on."""

    def __init__(self, url: str, *, token: str | None = None, cookie: str | None = None):
        self.events: dict[str, list] = defaultdict(list)
        self.lock = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record, namespace=NS)
        headers = {"Cookie": cookie} if cookie else {}
        self.client.connect(
            url,
            namespaces=[NS],
            auth={"token": token} if token else None,
            headers=headers,
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        self.you: str | None = None

    def _record(self, event, data=None):
        with self.lock:
            self.events[event].append(data)
            self.lock.notify_all()

    def call(self, event: str, data: dict | None = None):
        return self.client.call(event, data or {}, namespace=NS, timeout=TIMEOUT)

    def join(self, meeting_id: int) -> dict:
        answer = self.call("join", {"meeting_id": meeting_id})
        if answer.get("ok"):
            self.you = answer["you"]
        return answer

    def wait_for(self, event: str, predicate=lambda data: True, timeout: float = TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for data in self.events[event]:
                    if predicate(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no '{event}' event matching within {timeout} s")
                self.lock.wait(remaining)

    def received(self, event: str) -> list:
        with self.lock:
            return list(self.events[event])

    @property
    def connected(self) -> bool:
        return self.client.connected and NS in self.client.namespaces

    def wait_disconnected(self, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while self.connected:
            if time.monotonic() > deadline:
                raise AssertionError("still connected")
            time.sleep(0.05)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def peers():
    opened: list[Peer] = []

    def open_peer(url: str, **kwargs) -> Peer:
        peer = Peer(url, **kwargs)
        opened.append(peer)
        return peer

    yield open_peer
    # A WebSocket close handshake takes a moment; close them all at once.
    closers = [threading.Thread(target=peer.close) for peer in opened]
    for closer in closers:
        closer.start()
    for closer in closers:
        closer.join(timeout=TIMEOUT)


@pytest.fixture
def connect(cast, peers, api_token):
    """``connect(url, "ann")``: a Socket.IO peer signed in as that member of the cast, with a
    bearer token of its own (two calls for one person are two tabs)."""
    _group, people = cast

    def open_as(url: str, name: str) -> Peer:
        return peers(url, token=api_token(people[name]))

    return open_as


@pytest.fixture
def cast(make_user, make_group):
    """A coordinator, two members, an observer and an outsider, with one group."""
    people = {
        "chair": make_user(name="Chair Amman", country="JO"),
        "ann": make_user(name="Ann Nairobi", country="KE"),
        "bob": make_user(name="Bob Tunis", country="TN"),
        "obs": make_user(name="Olga Observer", country="BE"),
        "out": make_user(name="Oscar Outsider", country="BE"),
    }
    group = make_group(
        members={
            people["chair"]: "coordinator",
            people["ann"]: "member",
            people["bob"]: "member",
            people["obs"]: "observer",
        }
    )
    return group, people


@pytest.fixture
def make_meeting(app):
    """``make_meeting(group_id, by=persona, tlp=, invitees=[personas], state=, locked=)`` -> id."""
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.groups.models import WorkingGroup
    from emisa.meetings import operations
    from emisa.timeutil import utcnow

    def factory(
        group_id,
        *,
        by,
        tlp="TLP:AMBER",
        invitees=(),
        state="open",
        locked=False,
        title="Returnee case conference",
        agenda=("Welcome", "Case review"),
    ):
        with app.app_context():
            group = db.session.get(WorkingGroup, group_id)
            user = db.session.get(User, by.id)
            start = utcnow() + timedelta(minutes=10)
            meeting = operations.create_meeting(
                group,
                operations.MeetingInput(
                    title=title,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    agenda=list(agenda),
                    tlp=tlp,
                    invitee_ids=[p.id for p in invitees],
                    releasable_to=[],
                ),
                user,
            )
            meeting.state, meeting.locked = state, locked
            commit()
            return meeting.id

    return factory


def session_cookie(client) -> str:
    domain = client.application.config.get("SERVER_NAME") or "localhost"
    cookie = client.get_cookie("emisa_session", domain=domain)
    assert cookie is not None, "not signed in"
    return f"emisa_session={cookie.value}"


@pytest.fixture
def api_token(app):
    """A bearer token issued directly (the real sign-in is tested with the accounts)."""
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit

    def issue(persona) -> str:
        with app.app_context():
            _token, plain = issue_token(db.session.get(User, persona.id), "meeting test")
            commit()
            return plain

    return issue


@pytest.fixture(scope="session")
def janus_server(tmp_path_factory):
    """A real Janus (Debian's package) on loopback, configured like production."""
    from tests.meetings.janus_server import start_janus, stop_janus

    server = start_janus(tmp_path_factory.mktemp("janus"), free_port())
    yield server
    stop_janus(server)


@pytest.fixture
def sfu_config(app_config, janus_server):
    """The test's platform with media through Janus (ask for it before ``app``)."""
    app_config.update(
        EMISA_JANUS_URL=janus_server.url,
        EMISA_JANUS_API_SECRET=janus_server.api_secret,
        EMISA_JANUS_ADMIN_KEY=janus_server.admin_key,
    )
    return janus_server


@pytest.fixture
def sfu_live_server(sfu_config, app, app_config):
    """``python app.py`` for real on the test's data, its media through the test's Janus."""
    from tests.conftest import start_server, stop_server

    port = free_port()
    process = start_server(app_config, port, extra_env=sfu_config.env)
    yield f"http://127.0.0.1:{port}"
    stop_server(process)


@pytest.fixture(scope="session")
def speaking_browser(browser, tmp_path_factory):
    """Chromium whose fake microphone speaks all the time (a steady tone), so audio levels
    measured by Janus mark its pages as talking. Launched by the same Playwright as
    ``browser``: one thread drives one Playwright."""
    import math
    import shutil
    import struct
    import wave

    from tests.conftest import CHROMIUM_ARGS

    tone = tmp_path_factory.mktemp("audio") / "tone.wav"
    with wave.open(str(tone), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        samples = (int(12000 * math.sin(2 * math.pi * 440 * n / 48000)) for n in range(48000 * 4))
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={tone}"]
    instance = browser.browser_type.launch(executable_path=shutil.which("chromium"), args=args)
    yield instance
    instance.close()


def enter_room(page, base_url: str, persona, app, meeting_id: int) -> None:
    """``persona`` signs in through the real pages and opens the meeting's room, which shows
    its body once the socket's join is answered."""
    browser_login(page, base_url, persona, app)
    page.goto(f"{base_url}/meetings/{meeting_id}/room")
    page.wait_for_selector("#room-body:not([hidden])")


def drop_and_recover(page) -> None:
    """The page's network drops: it says it is reconnecting; back online, it is in again."""
    page.context.set_offline(True)
    page.wait_for_selector("#room[data-connection=reconnecting]", timeout=30_000)
    assert page.is_visible("#reconnecting")
    page.context.set_offline(False)
    page.wait_for_selector("#room[data-connection=connected]", timeout=30_000)
    page.wait_for_selector("#reconnecting", state="hidden")


def drop_keeping_chat_and_hand(page, watcher, name: str) -> None:
    """``name``'s page sends a chat line and raises a hand, then its network drops and comes
    back: the line is there once, the hand still up, and ``watcher``'s queue still has it."""
    page.fill("#chat-text", "Before the tunnel")
    page.press("#chat-text", "Enter")
    watcher.wait_for_selector("#chat-log li:has-text('Before the tunnel')")
    page.click("#btn-hand")
    watcher.wait_for_selector(f"#hand-queue li:has-text('{name}')")
    drop_and_recover(page)
    assert page.locator("#chat-log li:has-text('Before the tunnel')").count() == 1
    assert page.get_attribute("#btn-hand", "aria-pressed") == "true"
    watcher.wait_for_selector(f"#hand-queue li:has-text('{name}')")
