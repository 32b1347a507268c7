"""Nothing sensitive in plaintext: a scripted session writes a unique canary into every text
field and every secret-bearing URL through a real ``python app.py``, then the database (rows,
file, WAL and shared memory), the data directory with its blobs, and the server's logs are
searched for each canary. None may be found."""

from __future__ import annotations

import logging
import re
import secrets
import stat
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import make_url, select, text

from emisa.extensions import db
from tests.conftest import bearer, free_port, start_server, stop_server
from tests.support.web import post_form

NS = "/meetings"


def canary(field: str) -> str:
    """Lower-case letters and digits: found even where text is normalised for search."""
    return f"cnry{field}{secrets.token_hex(6)}"


FIELDS = (
    "threadtitle",
    "postbody",
    "replybody",
    "doctitle",
    "filename",
    "filebytes",
    "meetingtitle",
    "agenda",
    "chat",
    "minutes",
    "motivation",
    "reason",
    "search",
)


@pytest.fixture
def served(app, app_config, tmp_path):
    """``python app.py`` with its standard output (the access log) and errors kept in files."""
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = start_server(app_config, port, log=log)
        yield f"http://127.0.0.1:{port}", log_path, process
        stop_server(process)
    (tmp_path / "server.err").write_bytes(process.stderr.read())


def api(base: str, token: str, method: str, path: str, **kwargs) -> dict:
    answer = requests.request(
        method, f"{base}/api/v1{path}", headers=bearer(token), timeout=30, **kwargs
    )
    assert answer.status_code < 300, (path, answer.status_code, answer.text[:300])
    return answer.json() if answer.content and "json" in answer.headers["Content-Type"] else {}


def meeting_room(base: str, token: str, meeting_id: int, said: dict) -> None:
    """The chair opens the room, chats and keeps minutes over a real Socket.IO connection."""
    client = socketio.Client(reconnection=False)
    client.connect(base, namespaces=[NS], auth={"token": token}, transports=["websocket"])
    try:
        for event, data in (
            ("join", {"meeting_id": meeting_id}),
            ("open", {}),
            ("chat", {"text": f"Chat line {said['chat']}"}),
            ("minutes", {"text": f"Minutes: {said['minutes']}"}),
        ):
            answer = client.call(event, data, namespace=NS, timeout=10)
            assert answer.get("ok"), (event, answer)
    finally:
        client.disconnect()


def database_rows(app) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        dumped = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                dumped.append(repr(tuple(row)))
        return "\n".join(dumped)


def files_to_scan(app_config, tmp_path) -> list[Path]:
    found = [p for p in Path(app_config["EMISA_DATA_DIR"]).rglob("*") if p.is_file()]
    found += [tmp_path / "server.log", tmp_path / "server.err"]
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        database = Path(make_url(url).database)
        found += [database, *database.parent.glob(database.name + "-*")]
    return found


def test_no_canary_reaches_the_database_the_disk_or_a_log(
    app, app_config, tmp_path, served, make_user, make_group, login, token_for, caplog
):
    caplog.set_level(logging.DEBUG)
    said = {field: canary(field) for field in FIELDS}
    base, _log_path, _process = served
    admin, chair, member, asker = (
        make_user(admin=True),
        make_user(),
        make_user(),
        make_user(),
    )
    gid = make_group(members={chair: "coordinator", member: "member"})
    chair_token, asker_token = token_for(chair), token_for(asker)

    thread = api(
        base,
        chair_token,
        "POST",
        f"/groups/{gid}/threads",
        json={"title": said["threadtitle"], "body": said["postbody"], "tlp": "TLP:AMBER"},
    )
    api(
        base,
        chair_token,
        "POST",
        f"/threads/{thread['id']}/posts",
        json={"body": said["replybody"]},
    )
    document = api(
        base,
        chair_token,
        "POST",
        f"/groups/{gid}/documents",
        data={"title": said["doctitle"], "tlp": "TLP:AMBER"},
        files={"file": (f"{said['filename']}.txt", f"Report {said['filebytes']}\n".encode())},
    )
    api(base, chair_token, "GET", f"/documents/{document['id']}")
    starts = (app_now() + timedelta(minutes=5)).isoformat()
    meeting = api(
        base,
        chair_token,
        "POST",
        f"/groups/{gid}/meetings",
        json={
            "title": said["meetingtitle"],
            "agenda": [said["agenda"]],
            "tlp": "TLP:GREEN",
            "starts_at": starts,
            "ends_at": (app_now() + timedelta(hours=1)).isoformat(),
        },
    )
    meeting_room(base, chair_token, meeting["id"], said)
    api(base, chair_token, "POST", f"/meetings/{meeting['id']}/cancel")  # notifies the member
    asked = api(
        base,
        asker_token,
        "POST",
        f"/groups/{gid}/join-requests",
        json={"motivation": f"Motivation {said['motivation']}"},
    )
    api(
        base,
        chair_token,
        "POST",
        f"/join-requests/{asked['id']}/reject",
        json={"reason": f"Reason {said['reason']}"},
    )
    hits = api(base, chair_token, "GET", "/search", params={"q": said["postbody"]})
    assert hits, "the search term was really looked up"
    requests.get(f"{base}/search", params={"q": said["search"]}, allow_redirects=False, timeout=10)

    # Secrets carried in URLs: a personal calendar feed and an unused invitation.
    browser = app.test_client()
    login(browser, chair)
    page = post_form(browser, "/meetings/feed", {}, page="/meetings").get_data(as_text=True)
    feed_token = re.search(r"/meetings/feed/([A-Za-z0-9_-]+)\.ics", page).group(1)
    assert requests.get(f"{base}/meetings/feed/{feed_token}.ics", timeout=10).status_code == 200
    root = app.test_client()
    login(root, admin)
    invited = post_form(
        root,
        "/admin/accounts/invite",
        {
            "email": "canary.invitee@agency.example",
            "name": "Canary Invitee",
            "organisation": "Border guard",
            "country": "PT",
            "kind": "law-enforcement",
            "role": "user",
        },
    ).get_data(as_text=True)
    invitation_token = re.search(r"/invitation/([A-Za-z0-9_-]+)<", invited).group(1)
    assert requests.get(f"{base}/invitation/{invitation_token}", timeout=10).status_code == 200
    secrets_in_urls = {"feed token": feed_token, "invitation token": invitation_token}

    # Control: the content went in and comes back out to those who may read it.
    read = api(base, chair_token, "GET", f"/threads/{thread['id']}")
    assert read["title"] == said["threadtitle"]
    join = api(base, chair_token, "GET", f"/groups/{gid}/join-requests")
    assert join == []  # decided
    stop_server(served[2])

    log = (tmp_path / "server.log").read_text()
    assert "/invitation/[redacted]" in log and "/meetings/feed/[redacted]" in log
    assert "GET /api/v1/search " in log  # the request is logged, its query is not

    everything = {**said, **secrets_in_urls}
    rows = database_rows(app)
    leaks = [name for name, value in everything.items() if value in rows]
    assert leaks == [], f"in database rows: {leaks}"
    for path in files_to_scan(app_config, tmp_path):
        if not path.exists():
            continue
        content = path.read_bytes()
        leaks = [name for name, value in everything.items() if value.encode() in content]
        assert leaks == [], f"in {path}: {leaks}"
    # The test's own HTTP and Socket.IO clients log what they send; the platform must not.
    clients = ("urllib3", "requests", "socketio.client", "engineio.client")
    logged = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith(clients)
    )
    assert [name for name, value in everything.items() if value in logged] == []


def app_now():
    from emisa.timeutil import utcnow

    return utcnow()


def test_the_data_directory_and_database_files_are_the_owners_alone(app, app_config, make_user):
    make_user()  # writes: SQLite has its WAL and shared-memory files now
    data_dir = Path(app_config["EMISA_DATA_DIR"])
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    paths = [p for p in data_dir.rglob("*") if p.is_file()]
    if url.startswith("sqlite"):
        database = Path(make_url(url).database)
        with app.app_context():
            db.session.execute(text("SELECT 1"))  # open a connection: -wal and -shm exist
            paths += [database, *database.parent.glob(database.name + "-*")]
            assert any(p.name.endswith("-wal") for p in paths)
            modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in paths}
    else:
        modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in paths}
    assert paths
    assert {name: mode for name, mode in modes.items() if mode != "0o600"} == {}


def test_a_fresh_data_directory_and_database_are_created_private(tmp_path):
    from emisa import create_app

    data_dir = tmp_path / "fresh"
    create_app(
        {"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir}/e.db"}
    )
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "e.db").stat().st_mode) == 0o600
