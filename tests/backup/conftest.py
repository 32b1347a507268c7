"""Restore drill fixtures: content seeded through the platform's HTTP API and Socket.IO, and an
empty platform elsewhere (its own data directory and database) to restore into."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from emisa import create_app
from emisa.extensions import db
from tests.access.world import api_sign_in as sign_in
from tests.conftest import bearer, free_port
from tests.meetings.conftest import api_token, make_meeting, peers  # noqa: F401  (fixtures)

DOCUMENT = b"%PDF-1.7 returnee risk assessment, canary 7Q4Z " * 3000
THREAD_BODY = "Field notes on recruitment in prisons, canary K9XW"
CHAT_TEXT = "Meet at the liaison office, canary P3LM"
CANARIES = (b"canary 7Q4Z", b"canary K9XW", b"canary P3LM")


def postgres_url(suffix: str) -> str | None:
    """A PostgreSQL database of its own beside the test database, emptied; None on SQLite runs."""
    base = os.environ.get("EMISA_TEST_DATABASE_URL")
    if not base:
        return None
    import psycopg

    server, name = base.rsplit("/", 1)
    name = f"{name}_{suffix}"
    admin = server.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return url


@pytest.fixture
def empty_platform(tmp_path, app_config):
    """``empty_platform(database_url=None, key_from=dir or None, data_dir=None) -> app``.

    By default a platform with a new empty data directory, holding the master key file found
    in ``key_from`` (the source's data directory), and a new empty database of the test's
    engine. With ``data_dir`` and ``database_url``: the same platform started again.
    """
    made = []

    def build(
        database_url: str | None = None,
        *,
        key_from: Path | None = app_config["EMISA_DATA_DIR"],
        data_dir: Path | None = None,
    ):
        if data_dir is None:
            data_dir = tmp_path / f"restored-{len(made)}"
            data_dir.mkdir(mode=0o700)
            if key_from is not None:
                # The operator puts the master key back (from its safe, or rebuilt from shares).
                shutil.copy(key_from / "master-keys.json", data_dir / "master-keys.json")
        url = (
            database_url
            or postgres_url("restore")
            or f"sqlite:///{tmp_path / f'restored-{len(made)}.db'}"
        )
        target = create_app(
            {
                "TESTING": True,
                "EMISA_DATA_DIR": data_dir,
                "SQLALCHEMY_DATABASE_URI": url,
                "SERVER_NAME": "emisa.test",
            }
        )
        made.append(target)
        return target

    yield build
    for target in made:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def served(app):
    """``app`` on a real threaded HTTP server (WebSocket included), for Socket.IO clients."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Seeded:
    """What the drill put on the platform, to be read back after the restore."""

    def __init__(self, coordinator, member, group_id, document_id, thread_id, meeting_id):
        self.coordinator = coordinator
        self.member = member
        self.group_id = group_id
        self.document_id = document_id
        self.thread_id = thread_id
        self.meeting_id = meeting_id


@pytest.fixture
def seeded(app, make_user, make_group, make_meeting, api_token, peers) -> Seeded:  # noqa: F811
    """A document, a thread with a reply and a meeting with chat, all through the platform."""
    coordinator = make_user("coord@agency.example", country="BE")
    member = make_user("member@agency.example", country="FR")
    group = make_group(members={coordinator: "coordinator", member: "member"})
    client = app.test_client()
    token = sign_in(app, coordinator)
    uploaded = client.post(
        f"/api/v1/groups/{group}/documents",
        data={
            "title": "Risk assessment",
            "tlp": "TLP:AMBER",
            "file": (io.BytesIO(DOCUMENT), "r.pdf"),
        },
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    thread = client.post(
        f"/api/v1/groups/{group}/threads",
        json={"title": "Prison recruitment", "body": THREAD_BODY, "tlp": "TLP:AMBER"},
        headers=bearer(token),
    )
    assert thread.status_code == 201, thread.get_json()
    meeting = make_meeting(group, by=coordinator)
    with served(app) as url:
        chair = peers(url, token=api_token(coordinator))
        assert chair.join(meeting)["ok"]
        assert chair.call("chat", {"text": CHAT_TEXT})["ok"]
    return Seeded(
        coordinator, member, group, uploaded.get_json()["id"], thread.get_json()["id"], meeting
    )


def run(app, *args: str, stdin: str | None = None):
    """``flask emisa ARGS`` on ``app``, as an operator runs it."""
    return app.test_cli_runner().invoke(args=["emisa", *args], input=stdin)


class Writer:
    """Replies to a thread until stopped; ``acknowledged`` holds the ids answered 201, in order."""

    def __init__(self, app, persona, thread_id: int) -> None:
        self.acknowledged: list[int] = []
        self._failures: list[str] = []
        self._stop = threading.Event()
        self._token = sign_in(app, persona)
        self._thread = threading.Thread(
            target=self._write, args=(app.test_client(), thread_id), daemon=True
        )
        self._thread.start()

    def _write(self, client, thread_id: int) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            answer = client.post(
                f"/api/v1/threads/{thread_id}/posts",
                json={"body": f"live reply {n}"},
                headers=bearer(self._token),
            )
            if answer.status_code != 201:
                self._failures.append(f"{answer.status_code} {answer.get_data(as_text=True)[:200]}")
                return
            self.acknowledged.append(answer.get_json()["id"])

    def wait_for(self, count: int, timeout: float = 30) -> int:
        """Wait until at least ``count`` replies were acknowledged; how many there are."""
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert not self._failures, self._failures
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} replies written"
            time.sleep(0.02)
        return len(self.acknowledged)

    def stop(self) -> list[int]:
        self._stop.set()
        self._thread.join(timeout=30)
        assert not self._failures, self._failures
        return list(self.acknowledged)
