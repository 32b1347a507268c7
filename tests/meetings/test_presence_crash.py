"""A server process killed with SIGKILL leaves no ghost in the room: its participants leave
presence within the configured bound, as seen by someone connected to another process, while
the living process's own participants stay."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from emisa.extensions import db
from emisa.meetings.models import Participant
from emisa.settings import ConfigurationError, build_config
from tests.backup.test_crashes import kill_hard
from tests.conftest import free_port, start_server, stop_server

HEARTBEAT, TIMEOUT = 0.5, 2.0
# A ghost is noticed at most one timeout after its last heartbeat, by a sweep that runs
# every heartbeat; the rest is slack for a loaded machine.
BOUND = TIMEOUT + 2 * HEARTBEAT + 3.0


def _names(presence: dict) -> set[str]:
    return {p["name"] for p in presence["participants"]}


def test_a_killed_process_leaves_no_ghost(app, app_config, cast, make_meeting, connect):
    group, people = cast
    meeting = make_meeting(group, by=people["chair"])
    env = {
        "EMISA_MEETING_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS": str(TIMEOUT),
    }
    doomed = start_server(app_config, free_port(), env)
    port = free_port()
    survivor = start_server(app_config, port, env)
    doomed_url = f"http://127.0.0.1:{doomed.args[doomed.args.index('--port') + 1]}"
    try:
        ghost = connect(doomed_url, "ann")
        assert ghost.join(meeting)["ok"]
        watcher = connect(f"http://127.0.0.1:{port}", "chair")
        joined = watcher.join(meeting)
        assert _names(joined) == {"Ann Nairobi", "Chair Amman"}
        # Both processes are alive: several timeouts pass and nobody is swept.
        time.sleep(2 * TIMEOUT)
        with app.app_context():
            states = set(
                db.session.scalars(
                    select(Participant.state).where(Participant.meeting_id == meeting)
                )
            )
        assert states == {"in"}
        assert all("Ann Nairobi" in _names(p) for p in watcher.received("presence"))

        kill_hard(doomed)
        killed_at = time.monotonic()
        watcher.wait_for("presence", lambda p: _names(p) == {"Chair Amman"}, timeout=BOUND)
        assert time.monotonic() - killed_at <= BOUND
        with app.app_context():
            rows = db.session.scalars(
                select(Participant).where(Participant.meeting_id == meeting)
            ).all()
            by_user = {row.user_id: row.state for row in rows}
        assert by_user == {people["ann"].id: "left", people["chair"].id: "in"}

        # The survivor keeps its own participant through further timeouts.
        time.sleep(2 * TIMEOUT)
        assert watcher.call("sync")["ok"]
        with app.app_context():
            chair_state = db.session.scalar(
                select(Participant.state).where(
                    Participant.meeting_id == meeting, Participant.user_id == people["chair"].id
                )
            )
        assert chair_state == "in"
    finally:
        if doomed.poll() is None:
            stop_server(doomed)
        stop_server(survivor)


def test_the_timeout_must_span_two_heartbeats(tmp_path, monkeypatch):
    monkeypatch.setenv("EMISA_MEETING_HEARTBEAT_SECONDS", "10")
    monkeypatch.setenv("EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS", "15")
    with pytest.raises(ConfigurationError, match="at least twice"):
        build_config({"EMISA_DATA_DIR": tmp_path})
