"""Presence that survives a crashed process.

A connection's stay lives in the database, so when the process holding it dies without
running its disconnect handler (SIGKILL, power loss, OOM) the stay would stay "in the room"
for ever. Each process therefore says every ``EMISA_MEETING_HEARTBEAT_SECONDS`` that it
still holds its connections (one UPDATE of its own rows' ``heartbeat_at``), and ends the
stays of any process that has not said so for ``EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS``,
telling their rooms, as a disconnect would have. Both run in the loop of
``emisa.meetings.revocation`` that each process keeps while it holds connections.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from emisa import audit
from emisa.database import unit_of_work
from emisa.extensions import db
from emisa.meetings.models import Participant, ParticipantState
from emisa.timeutil import utcnow

HELD = (ParticipantState.CONNECTED, ParticipantState.LOBBY, ParticipantState.IN)
_identity: tuple[int, str] = (0, "")


def process_id() -> str:
    """This server process, as its connection rows name it (new after a fork)."""
    global _identity
    pid = os.getpid()
    if _identity[0] != pid:
        _identity = (pid, f"{pid}-{secrets.token_hex(8)}")
    return _identity[1]


def heartbeat() -> None:
    """This process still holds its connections (the caller commits)."""
    db.session.execute(
        update(Participant)
        .where(Participant.process_id == process_id(), Participant.state.in_(HELD))
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def end_ghosts(app: Flask) -> list[Participant]:
    """End the stays of processes silent for longer than the timeout; returns those that were
    in a meeting (their rooms must be told). Rows another process is ending are skipped."""
    from emisa.meetings import operations

    cutoff = utcnow() - timedelta(seconds=app.config["EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS"])
    ghosts = db.session.scalars(
        select(Participant)
        .where(Participant.state.in_(HELD), Participant.heartbeat_at < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    ended = []
    for ghost in ghosts:
        if ghost.state == ParticipantState.CONNECTED:
            ghost.state, ghost.left_at = ParticipantState.LEFT, utcnow()
            continue
        operations.leave(ghost, dropped=True)
        audit.record(
            "meeting.left",
            actor=ghost.user,
            target=ghost.meeting,
            details={"participant": ghost.id, "reason": "server_process_lost"},
        )
        ended.append(ghost)
    db.session.flush()
    return ended


def beat(app: Flask, server) -> None:
    """One turn of the loop: say this process is alive, end the stays of dead ones and tell
    their rooms (through the message queue, every process's participants hear it)."""
    from emisa.meetings.events import NAMESPACE, begin_writing, chair_room, room
    from emisa.meetings.operations import lobby, presence_update

    with app.app_context():
        with unit_of_work():
            begin_writing()
            heartbeat()
            ended = end_ghosts(app)
            meetings = {stay.meeting_id: stay.meeting for stay in ended}
        for meeting_id, meeting in meetings.items():
            server.emit(
                "presence",
                presence_update(meeting),
                to=room(meeting_id),
                namespace=NAMESPACE,
            )
            server.emit(
                "lobby", {"waiting": lobby(meeting)}, to=chair_room(meeting_id), namespace=NAMESPACE
            )
