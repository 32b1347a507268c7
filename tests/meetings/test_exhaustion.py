"""Hundreds of idle or unauthenticated connections from one address, against a real server.

Everything stays on loopback, bounded in count and time: the attacker's connections come
from 127.0.0.2, the meeting's participants from 127.0.0.1, to the server that ``python
app.py`` starts (gunicorn, 32 threads).
"""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import bearer, free_port, start_server, stop_server
from tests.meetings.conftest import Peer

ATTACKER = "127.0.0.2"
IDLE_CONNECTIONS = 300
SOCKETS = 150
PER_ADDRESS = 16  # the default, set explicitly so the count below holds
SIGN_IN_SECONDS = 3
# A functional bound: a server that answers at all, not a performance figure.
ANSWERS_WITHIN = 5


def attacker_connection(port: int) -> socket.socket:
    connection = socket.create_connection(
        ("127.0.0.1", port), timeout=ANSWERS_WITHIN, source_address=(ATTACKER, 0)
    )
    return connection


def open_websocket(port: int) -> tuple[socket.socket, bytes]:
    """A raw Engine.IO WebSocket that will never sign in; returns it and the answer's head."""
    connection = attacker_connection(port)
    connection.sendall(
        (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(4096)
        if not chunk:
            break
        head += chunk
    return connection, head


def closed_by_server(connection: socket.socket, within: float) -> bool:
    """Read (and drop) whatever arrives until the server closes, or ``within`` runs out."""
    deadline = time.monotonic() + within
    while (remaining := deadline - time.monotonic()) > 0:
        connection.settimeout(remaining)
        try:
            if not connection.recv(65536):
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


@pytest.fixture
def flooded_meeting(app_config, make_user, make_group, make_meeting, api_token):
    ann, bob = make_user(name="Ann Nairobi"), make_user(name="Bob Tunis")
    group = make_group(members={ann: "coordinator", bob: "member"})
    meeting = make_meeting(group, by=ann)
    port = free_port()
    server = start_server(
        app_config,
        port,
        {
            "EMISA_SOCKETS_PER_ADDRESS": str(PER_ADDRESS),
            "EMISA_SOCKET_SIGN_IN_SECONDS": str(SIGN_IN_SECONDS),
        },
    )
    yield f"http://127.0.0.1:{port}", meeting, api_token(ann), api_token(bob)
    stop_server(server)


def test_idle_and_unsigned_sockets_leave_pages_api_and_meetings_answering(flooded_meeting):
    url, meeting, ann_token, bob_token = flooded_meeting
    port = urlsplit(url).port
    ann, bob = Peer(url, token=ann_token), Peer(url, token=bob_token)
    try:
        assert ann.join(meeting)["ok"] and bob.join(meeting)["ok"]
        with ExitStack() as held:
            for _ in range(IDLE_CONNECTIONS):
                held.enter_context(attacker_connection(port))
            answers = []
            for _ in range(SOCKETS):
                connection, head = open_websocket(port)
                held.enter_context(connection)
                answers.append((connection, head))
            upgraded = [c for c, head in answers if head.startswith(b"HTTP/1.1 101")]
            refused = [head for _c, head in answers if head.startswith(b"HTTP/1.1 429")]
            assert len(upgraded) == PER_ADDRESS
            assert len(refused) == SOCKETS - PER_ADDRESS
            assert b"too_many_connections" in refused[0] or b"application/json" in refused[0]

            # With every connection still open: a page, the API and the meeting answer.
            page = requests.get(f"{url}/login", timeout=ANSWERS_WITHIN)
            assert page.status_code == 200 and "password" in page.text
            me = requests.get(f"{url}/api/v1/me", headers=bearer(bob_token), timeout=ANSWERS_WITHIN)
            assert me.status_code == 200 and me.json()["name"] == "Bob Tunis"
            assert ann.call("chat", {"text": "Still here?"})["ok"]
            assert bob.wait_for("chat", timeout=ANSWERS_WITHIN)["text"] == "Still here?"

            # The sockets that never signed in are closed by the server after the deadline;
            # the participants, connected for longer than that, stay.
            assert all(closed_by_server(c, SIGN_IN_SECONDS + ANSWERS_WITHIN) for c in upgraded)
            assert ann.connected and bob.connected
            assert bob.call("chat", {"text": "Yes."})["ok"]
            assert ann.wait_for("chat", lambda m: m["text"] == "Yes.")["author"]["name"] == (
                "Bob Tunis"
            )
            # Once closed, they no longer count against the address.
            connection, head = open_websocket(port)
            held.enter_context(connection)
            assert head.startswith(b"HTTP/1.1 101")
    finally:
        ann.close()
        bob.close()


def test_an_unsigned_long_polling_session_ends_after_the_deadline(flooded_meeting):
    url = flooded_meeting[0]
    handshake = requests.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5)
    assert handshake.status_code == 200
    sid = handshake.text.split('"sid":"', 1)[1].split('"', 1)[0]
    time.sleep(SIGN_IN_SECONDS + 2)
    # The session is gone: a poll gets its CLOSE packet ("1") or an unknown-session answer.
    poll = requests.get(f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=5)
    assert poll.status_code == 400 or poll.text.endswith("1")
    later = requests.get(f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=5)
    assert later.status_code == 400
