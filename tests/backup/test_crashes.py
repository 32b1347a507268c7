"""SIGKILL a real ``python app.py`` during uploads, posts and meeting chat: nothing acknowledged
is lost, nothing unacknowledged is half there, fsck finds only orphans of the interrupted
uploads and removes them, and the audit log still verifies."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import socketio

from tests.backup.conftest import run
from tests.conftest import bearer, free_port, start_server, stop_server

CYCLES = 2
UPLOAD_BYTES = 256 * 1024


def kill_hard(server) -> None:
    """SIGKILL the server: gunicorn's worker, which holds the requests, and its arbiter."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    for pid in [int(child) for child in children]:
        os.kill(pid, signal.SIGKILL)
    server.send_signal(signal.SIGKILL)
    server.wait()


@dataclass
class Acknowledged:
    """Every write the server answered as done, with what was written."""

    documents: dict[int, str] = field(default_factory=dict)  # id -> SHA-256 of the bytes
    posts: dict[int, str] = field(default_factory=dict)  # id -> body
    chat: dict[int, str] = field(default_factory=dict)  # id -> text
    attempted_bodies: set[str] = field(default_factory=set)
    # Answers that were neither a success nor a dropped connection, for the test to show.
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def upload_until_down(base: str, token: str, group: int, tag: str, seen: Acknowledged) -> None:
    n = 0
    while True:
        n += 1
        data = os.urandom(UPLOAD_BYTES)
        try:
            answer = requests.post(
                f"{base}/api/v1/groups/{group}/documents",
                data={"title": f"crash {tag}-{n}", "tlp": "TLP:AMBER"},
                files={"file": ("evidence.bin", data)},
                headers=bearer(token),
                timeout=30,
            )
        except requests.RequestException:
            return
        if answer.status_code != 201:
            seen.unexpected.append(f"upload: {answer.status_code} {answer.text[:300]}")
            return
        with seen.lock:
            seen.documents[answer.json()["id"]] = hashlib.sha256(data).hexdigest()


def post_until_down(base: str, token: str, thread: int, tag: str, seen: Acknowledged) -> None:
    n = 0
    while True:
        n += 1
        body = f"crash post {tag}-{n}"
        with seen.lock:
            seen.attempted_bodies.add(body)
        try:
            answer = requests.post(
                f"{base}/api/v1/threads/{thread}/posts",
                json={"body": body},
                headers=bearer(token),
                timeout=30,
            )
        except requests.RequestException:
            return
        if answer.status_code != 201:
            seen.unexpected.append(f"post: {answer.status_code} {answer.text[:300]}")
            return
        with seen.lock:
            seen.posts[answer.json()["id"]] = body


def chat_until_down(base: str, token: str, meeting: int, tag: str, seen: Acknowledged) -> None:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(
            base, namespaces=["/meetings"], auth={"token": token}, transports=["websocket"]
        )
        joined = client.call("join", {"meeting_id": meeting}, namespace="/meetings", timeout=10)
        if not joined["ok"]:
            seen.unexpected.append(f"join: {joined}")
            return
        n = 0
        while True:
            n += 1
            text = f"crash chat {tag}-{n}"
            answer = client.call("chat", {"text": text}, namespace="/meetings", timeout=10)
            if not answer["ok"]:
                seen.unexpected.append(f"chat: {answer}")
                return
            with seen.lock:
                seen.chat[answer["id"]] = text
    except (socketio.exceptions.SocketIOError, OSError):
        return
    finally:
        client.disconnect()


@pytest.fixture
def cast(app, make_user, make_group, make_meeting, api_token):
    """Two members of a group, with API tokens, a thread to reply to and an open meeting."""
    coordinator = make_user("coord@agency.example", country="BE")
    member = make_user("member@agency.example", country="FR")
    group = make_group(members={coordinator: "coordinator", member: "member"})
    meeting = make_meeting(group, by=coordinator)
    tokens = {"coordinator": api_token(coordinator), "member": api_token(member)}
    thread = app.test_client().post(
        f"/api/v1/groups/{group}/threads",
        json={"title": "Crash log", "body": "first", "tlp": "TLP:AMBER"},
        headers=bearer(tokens["coordinator"]),
    )
    assert thread.status_code == 201, thread.get_json()
    return group, thread.get_json()["id"], meeting, tokens


def test_sigkill_during_writes_loses_nothing_acknowledged(app, app_config, cast):
    group, thread, meeting, tokens = cast
    seen = Acknowledged()
    extra = {"EMISA_MEETING_CHAT_RATE": "1000/1"}
    for cycle in range(CYCLES):
        port = free_port()
        server = start_server(app_config, port, extra)
        base = f"http://127.0.0.1:{port}"
        workers = [
            threading.Thread(
                target=upload_until_down, args=(base, tokens["member"], group, f"{cycle}a", seen)
            ),
            threading.Thread(
                target=upload_until_down,
                args=(base, tokens["coordinator"], group, f"{cycle}b", seen),
            ),
            threading.Thread(
                target=post_until_down, args=(base, tokens["member"], thread, f"{cycle}a", seen)
            ),
            threading.Thread(
                target=post_until_down,
                args=(base, tokens["coordinator"], thread, f"{cycle}b", seen),
            ),
            threading.Thread(
                target=chat_until_down, args=(base, tokens["member"], meeting, f"{cycle}", seen)
            ),
        ]
        for worker in workers:
            worker.start()
        time.sleep(random.uniform(1.0, 3.0))
        kill_hard(server)
        for worker in workers:
            worker.join(timeout=30)
            assert not worker.is_alive()
    assert not seen.unexpected, seen.unexpected
    assert seen.documents and seen.posts and seen.chat, "the workers wrote nothing"

    # After a restart everything acknowledged is there and reads back.
    port = free_port()
    server = start_server(app_config, port)
    base = f"http://127.0.0.1:{port}"
    try:
        headers = bearer(tokens["coordinator"])
        listed, url = [], f"{base}/api/v1/groups/{group}/documents?per_page=500"
        while url:  # every page: a fast machine acknowledges more than one page of uploads
            answer = requests.get(url, headers=headers, timeout=30)
            listed += answer.json()
            url = answer.links.get("next", {}).get("url")
        assert set(seen.documents) <= {document["id"] for document in listed}
        for document in listed:  # acknowledged or not, whatever is listed reads whole
            content = requests.get(
                f"{base}/api/v1/documents/{document['id']}/content", headers=headers, timeout=30
            )
            assert content.status_code == 200 and len(content.content) == UPLOAD_BYTES
            if document["id"] in seen.documents:
                assert hashlib.sha256(content.content).hexdigest() == seen.documents[document["id"]]
        posts = requests.get(f"{base}/api/v1/threads/{thread}", headers=headers, timeout=30).json()[
            "posts"
        ]
        shown = {post["id"]: post["body_html"] for post in posts[1:]}
        for post_id, body in seen.posts.items():
            assert body in shown[post_id]
        assert all(
            any(f"{b}</p>" in html for b in seen.attempted_bodies) for html in shown.values()
        )
        client = socketio.Client(reconnection=False)
        client.connect(
            base,
            namespaces=["/meetings"],
            auth={"token": tokens["coordinator"]},
            transports=["websocket"],
        )
        try:
            history = client.call(
                "join", {"meeting_id": meeting}, namespace="/meetings", timeout=10
            )["history"]
        finally:
            client.disconnect()
        in_history = {message["id"]: message["text"] for message in history}
        for message_id, text in list(seen.chat.items())[-150:]:  # the join shows the last 200
            assert in_history[message_id] == text
    finally:
        stop_server(server)

    fsck = run(app, "fsck", "--min-age", "0")
    assert fsck.exit_code == 0, fsck.output  # no row lost its file or reads damaged
    *found, summary = fsck.output.splitlines()
    assert "0 damaged or missing" in summary
    assert all(line.startswith(("orphan blob ", "orphan temp file ")) for line in found), found
    repaired = run(app, "fsck", "--repair", "--min-age", "0")
    assert repaired.exit_code == 0, repaired.output
    clean = run(app, "fsck", "--min-age", "0")
    assert "0 orphan blob(s), 0 orphan temp file(s)" in clean.output, clean.output
    audit = run(app, "audit-verify")
    assert audit.exit_code == 0, audit.output
