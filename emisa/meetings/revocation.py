"""Rights withdrawn at once: live connections are asked again whenever a right may be lost.

Every change that can take a right away sends ``rights_narrowed`` (``access_revoked`` and
``membership_ended`` too) naming the account, group or meeting it touches. Once that change
commits, each live connection in scope is checked again through the access policy, with the
very session or token it was opened with:

- its credential or account no longer works: the connection is closed;
- it may no longer attend its meeting: it leaves the room, is told why and is closed;
- it may no longer chair it: it leaves the coordinators' room (lobby events).

This runs in the committing thread before it returns, and reaches connections held by other
processes through the Socket.IO message queue (published in order, ahead of anything sent
later), so no broadcast made after the change reaches them. Listening without ever sending an
event therefore keeps no right alive. Rights that end by time alone (an account's expiry
date, a session's or token's lifetime) are caught by each process re-checking the connections
it holds every ``EMISA_MEETING_RECHECK_SECONDS`` (15 by default). The same loop carries the
presence heartbeat that ends the stays of crashed processes (``emisa.meetings.presence``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from emisa import audit
from emisa.access import can
from emisa.access.membership import preload_memberships
from emisa.accounts.models import ApiToken, AuthSession, User
from emisa.database import unit_of_work
from emisa.extensions import db
from emisa.i18n import N_
from emisa.meetings import operations, presence
from emisa.meetings.events import (
    NAMESPACE,
    SERVER_KEY,
    actor_for,
    begin_writing,
    chair_room,
    room,
)
from emisa.meetings.models import Participant, ParticipantState
from emisa.signals import access_revoked, group_deleting, membership_ended, rights_narrowed

log = logging.getLogger(__name__)

_PENDING = "emisa_rights_narrowed"
NO_LONGER_ALLOWED = N_("You no longer have access to this meeting.")


@dataclass(frozen=True)
class Scope:
    """The live connections a change may affect (every given field must match)."""

    user_id: int | None = None
    group_id: int | None = None
    meeting_id: int | None = None
    sids: frozenset[str] | None = None

    def __post_init__(self):
        if not any(
            v is not None for v in (self.user_id, self.group_id, self.meeting_id, self.sids)
        ):
            raise ValueError("Name the account, group, meeting or connections to check again.")

    def connections(self) -> list[Participant]:
        return operations.live_connections(
            user_id=self.user_id, group_id=self.group_id, meeting_id=self.meeting_id, sids=self.sids
        )


@dataclass
class Recheck:
    """What one committed transaction asks for: scopes to check again, connections to close."""

    app: Flask
    scopes: set[Scope] = field(default_factory=set)
    closing: set[str] = field(default_factory=set)
    committed: bool = False

    def run(self) -> None:
        server = self.app.extensions.get(SERVER_KEY)
        if server is None:
            return
        # A fresh application context is a fresh database session: the committing one may
        # not run SQL from inside its commit.
        with self.app.app_context():
            try:
                with unit_of_work():
                    effects = self._decide(server)
            except Exception:
                log.exception("re-checking live meeting connections failed")
                effects = [lambda sid=sid: _close(server, sid) for sid in sorted(self.closing)]
            for effect in effects:
                effect()

    def _decide(self, server) -> list[Callable[[], None]]:
        begin_writing()
        connections = {c.id: c for scope in self.scopes for c in scope.connections()}
        held = _load_accounts(connections.values())  # noqa: F841 (kept alive: see there)
        effects: list[Callable[[], None]] = []
        closing = set(self.closing)
        for connection in connections.values():
            if connection.sid not in closing:
                effects.extend(_recheck(server, connection, closing))
        # Closing runs the disconnect handler, which ends the stay and tells the room.
        effects.extend(lambda sid=sid: _close(server, sid) for sid in sorted(closing))
        return effects


def _load_accounts(connections) -> list:
    """Accounts, credentials and memberships of all connections in a few queries, not per one.

    The caller holds the returned rows: the session's identity map keeps only weak references,
    and the checks find them there by primary key instead of querying again.
    """
    user_ids = {c.user_id for c in connections}
    loaded = list(db.session.scalars(select(User).where(User.id.in_(user_ids))))
    for kind, model in (("token", ApiToken), ("session", AuthSession)):
        ids = {c.auth_id for c in connections if c.auth_kind == kind}
        loaded.extend(db.session.scalars(select(model).where(model.id.in_(ids))))
    preload_memberships(user_ids)
    return loaded


def _recheck(server, connection: Participant, closing: set[str]) -> list[Callable[[], None]]:
    """The effects that bring one connection in line with the rights its holder has now."""
    user = actor_for(connection)
    if user is None:
        closing.add(connection.sid)
        return []
    meeting = connection.meeting if connection.state in operations.LIVE else None
    if meeting is None:
        return []
    # Plain values only: the effects run after the commit, when the rows are expired.
    sid, meeting_id = connection.sid, meeting.id
    if not can(user, "attend", meeting):
        operations.leave(connection, state=ParticipantState.REFUSED)
        audit.record(
            "meeting.access_withdrawn",
            actor=user,
            target=meeting,
            details={"participant": connection.id},
        )
        closing.add(sid)
        presence = operations.presence_update(meeting)
        waiting = {"waiting": operations.lobby(meeting)}
        removed = {"message": _(NO_LONGER_ALLOWED)}
        return [
            lambda: server.leave_room(sid, room(meeting_id), namespace=NAMESPACE),
            lambda: server.leave_room(sid, chair_room(meeting_id), namespace=NAMESPACE),
            lambda: server.emit("removed", removed, to=sid, namespace=NAMESPACE),
            lambda: server.emit("presence", presence, to=room(meeting_id), namespace=NAMESPACE),
            lambda: server.emit("lobby", waiting, to=chair_room(meeting_id), namespace=NAMESPACE),
        ]
    if not can(user, "chair", meeting):
        return [lambda: server.leave_room(sid, chair_room(meeting_id), namespace=NAMESPACE)]
    return []


def _close(server, sid: str) -> None:
    try:
        # With a message queue this reaches the process holding the connection.
        server.disconnect(sid, namespace=NAMESPACE)
    except Exception:
        log.exception("could not disconnect %s", sid)


def _pending(app: Flask) -> Recheck:
    return db.session.info.setdefault(_PENDING, Recheck(app))


def _on_rights_narrowed(app: Flask, **scope) -> None:
    known = {key: scope.get(key) for key in ("user_id", "group_id", "meeting_id")}
    _pending(app).scopes.add(Scope(**known))


def _on_group_deleting(app: Flask, group_id: int, **_kwargs) -> None:
    """The group's meetings and their connection rows go with it: note the sockets now."""
    _pending(app).closing.update(c.sid for c in operations.live_connections(group_id=group_id))


@sa_event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    # A released savepoint commits nothing yet: only the transaction itself counts.
    pending = session.info.get(_PENDING)
    if pending is not None and not session.in_nested_transaction():
        pending.committed = True


@sa_event.listens_for(Session, "after_transaction_end")
def _run_once_ended(session: Session, transaction) -> None:
    """Once the transaction is over and its connection given back; dropped if it rolled back."""
    if transaction.parent is None:
        pending = session.info.pop(_PENDING, None)
        if pending is not None and pending.committed:
            pending.run()


# Rights also end by time alone: an account's expiry date, a session's or a token's lifetime.
# While a process holds connections it checks them all again every few seconds.

_SWEEPING = "emisa.meetings.sweeping"
_sweep_lock = threading.Lock()


def keep_checking(app: Flask) -> None:
    """Make sure this process re-checks its connections; called whenever one opens."""
    server = app.extensions.get(SERVER_KEY)
    with _sweep_lock:
        if server is None or app.extensions.get(_SWEEPING):
            return
        app.extensions[_SWEEPING] = True
    server.start_background_task(_sweep, app, server)


def _sweep(app: Flask, server) -> None:
    """Every heartbeat period: say this process holds its connections and end dead
    processes' stays (``emisa.meetings.presence``); every re-check period: re-check them."""
    config = app.config
    periods = {"beat": config["EMISA_MEETING_HEARTBEAT_SECONDS"]}
    periods["recheck"] = config["EMISA_MEETING_RECHECK_SECONDS"]
    work = {"beat": lambda sids: presence.beat(app, server)}
    work["recheck"] = lambda sids: Recheck(app, scopes={Scope(sids=sids)}).run()
    last = dict.fromkeys(periods, time.monotonic())
    while True:
        server.sleep(min(periods.values()))
        with _sweep_lock:
            # Connections held by this process only: every process sweeps its own.
            sids = frozenset(sid for sid, _eio in server.manager.get_participants(NAMESPACE, None))
            if not sids:
                app.extensions[_SWEEPING] = False
                return
        for name, period in periods.items():
            if time.monotonic() - last[name] < period * 0.99:
                continue
            last[name] = time.monotonic()
            try:
                work[name](sids)
            except Exception:
                log.exception("the periodic %s of meeting connections failed", name)


def connect_signals() -> None:
    """Blinker keeps one connection per receiver, so repeated create_app calls are harmless."""
    for signal in (rights_narrowed, access_revoked, membership_ended):
        signal.connect(_on_rights_narrowed, weak=False)
    group_deleting.connect(_on_group_deleting, weak=False)
