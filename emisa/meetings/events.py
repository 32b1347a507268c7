"""The live meeting room: Socket.IO namespace ``/meetings``.

Every connection is authenticated at connect (browser session or API token);
anything else is refused there. ``login_required`` means nothing to socket
events, so every event reloads the account and its credential and asks the
access policy again: an account suspended, a token revoked or a member removed
a second ago can do nothing more, and is disconnected.

State lives in the database, never in process memory, and events travel through
the Socket.IO message queue (Redis when ``EMISA_REDIS_URL`` is set): a meeting
whose participants are connected to different server processes works the same.
Effects (emits, room changes, disconnects) run after the commit, so whoever
receives an event and asks the server sees the state that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import Namespace
from limits import RateLimitItemPerSecond

from emisa import audit
from emisa.access import can
from emisa.access.policy import actor_decision
from emisa.accounts.models import ApiToken, AuthSession, User
from emisa.accounts.sessions import user_for_token
from emisa.database import on_commit, roll_back, unit_of_work
from emisa.extensions import db, windows
from emisa.i18n import N_
from emisa.meetings import operations, sfu
from emisa.meetings.ice import ice_servers_for
from emisa.meetings.janus import JanusError
from emisa.meetings.models import Meeting, Participant, ParticipantState
from emisa.operations import OperationError

log = logging.getLogger(__name__)

NAMESPACE = "/meetings"
SERVER_KEY = "emisa.meetings.server"
GENERIC_ERROR = N_("Something went wrong on our side; try again.")
# A mesh uploads one stream per other participant: beyond this many people with video it breaks.
MESH_VIDEO_LIMIT = 5


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def chair_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:chairs"


def error(message: str, status: int | None = None) -> dict:
    """A refused event: the message for the person and, for a refused operation, its status
    for the script (409: already done or no longer possible), which must not parse words."""
    answer = {"ok": False, "error": message}
    if status is not None:
        answer["status"] = status
    return answer


def live_updates() -> bool:
    """False while the message queue is unreachable: events of people connected to other
    server processes do not arrive (``emisa.realtime``)."""
    server = current_app.extensions.get(SERVER_KEY)
    return getattr(getattr(server, "manager", None), "queue_connected", True)


def live_updates_changed(server, connected: bool) -> None:
    """Tell this process's clients that live updates across processes stopped or are back
    (then they ask ``sync`` for what they missed)."""
    server.emit("live_updates", {"connected": connected}, namespace=NAMESPACE, ignore_queue=True)


@dataclass
class Turn:
    """One event being handled: who, where, and what to do once the data is committed."""

    sid: str
    user: User
    stay: Participant | None
    meeting: Meeting | None
    server: Any
    effects: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, event: str, data: dict, to: str, **kwargs) -> None:
        self.effects.append(
            lambda: self.server.emit(event, data, to=to, namespace=NAMESPACE, **kwargs)
        )

    def enter(self, sid: str, room_name: str) -> None:
        self.effects.append(lambda: self.server.enter_room(sid, room_name, namespace=NAMESPACE))

    def leave(self, sid: str, room_name: str) -> None:
        self.effects.append(lambda: self.server.leave_room(sid, room_name, namespace=NAMESPACE))

    def disconnect(self, sid: str) -> None:
        self.effects.append(lambda: self.server.disconnect(sid, namespace=NAMESPACE))

    def presence(self, meeting: Meeting) -> None:
        self.emit("presence", operations.presence_update(meeting), room(meeting.id))

    def lobby(self, meeting: Meeting) -> None:
        self.emit("lobby", {"waiting": operations.lobby(meeting)}, chair_room(meeting.id))


def _chat_limit() -> tuple[RateLimitItemPerSecond, str]:
    count, seconds = current_app.config.get("EMISA_MEETING_CHAT_RATE", (10, 10))
    message = _(
        "You are sending messages too fast: at most %(count)d every %(seconds)d seconds. "
        "Wait a moment and send it again.",
        count=count,
        seconds=seconds,
    )
    return RateLimitItemPerSecond(count, seconds), message


def begin_writing() -> None:
    """On SQLite, take the write lock at BEGIN (IMMEDIATE): the event writes and must not fail
    half-way on a lock upgrade. Reads done before (the sign-in lookup) are simply repeated."""
    if db.engine.dialect.name != "sqlite":
        return
    if db.session().in_transaction():
        db.session.rollback()
    db.session.connection(execution_options={"sqlite_immediate": True})


def _authenticate(auth) -> tuple[User | None, str, int]:
    """The account behind a new connection: an API token in ``auth``, or the browser session."""
    if isinstance(auth, dict) and auth.get("token"):
        user = user_for_token(str(auth["token"])[:200])
        if user is None:
            return None, "", 0
        return user, "token", user.api_token.id
    user = current_user._get_current_object() if current_user else None
    if user is None or not user.is_authenticated or user.auth_session is None:
        return None, "", 0
    return user, "session", user.auth_session.id


def actor_for(stay: Participant) -> User | None:
    """Reload the account and its credential; None when either no longer allows anything."""
    if not operations.credential_live(stay):
        return None
    user = db.session.get(User, stay.user_id)
    if user is None:
        return None
    # Both set: one account's connections may be checked in turn on the same loaded row.
    by_token = stay.auth_kind == "token"
    user.api_token = db.session.get(ApiToken, stay.auth_id) if by_token else None
    user.auth_session = None if by_token else db.session.get(AuthSession, stay.auth_id)
    return user if actor_decision(user) else None


def room_event(action: str | None, *, in_room: bool = True):
    """Wrap a handler: reload and check the actor, the stay and ``action`` on the meeting.

    ``action`` None: the handler needs no meeting (join, leave). The event is one unit of
    work (``emisa.database.unit_of_work``): committed when the handler returns, rolled back
    when it raises; an ``OperationError`` answers ``{"ok": false, "error": ..., "status"}``
    here, for every event. Refusals are audited; losing the right to see the meeting ends
    the stay and the connection. Effects run once the event committed.
    """

    def decorate(fn):
        @wraps(fn)
        def handler(self, data=None):
            sid = request.sid
            data = data if isinstance(data, dict) else {}
            effects: list[Callable[[], None]] = []
            try:
                with unit_of_work():
                    begin_writing()
                    stay = self._stay(sid)
                    user = actor_for(stay) if stay is not None else None
                    if user is None:
                        roll_back()
                        self._server().disconnect(sid, namespace=NAMESPACE)
                        return error(_("Your session has ended; sign in again."))
                    meeting = stay.meeting if stay.state in operations.LIVE else None
                    turn = Turn(sid, user, stay, meeting, self._server(), effects)
                    if action is not None:
                        wanted = ParticipantState.IN if in_room else None
                        if meeting is None or (wanted and stay.state != wanted):
                            return error(_("Join the meeting first."))
                        decision = can(user, action, meeting)
                        if not decision:
                            return self._refused(turn, action, decision)
                    result = fn(self, turn, data)
            except OperationError as refusal:
                return error(str(refusal), refusal.status)
            except Exception:
                log.exception("meeting event %s failed", fn.__name__)
                return error(_(GENERIC_ERROR))
            for effect in effects:
                effect()
            return result

        return handler

    return decorate


class MeetingNamespace(Namespace):
    """Class-based namespace; registered once per app (and Socket.IO server) in init_app."""

    def _server(self):
        return self.server

    # The connection's current stay lives in its WSGI environ: kept per connection by
    # python-socketio in this process (the connection lives here), real and test clients alike.
    _ENV_KEY = "emisa.meetings.participant"

    def _stay(self, sid: str) -> Participant | None:
        environ = self.server.get_environ(sid, namespace=NAMESPACE) or {}
        current = environ.get(self._ENV_KEY)
        return operations.current_stay(sid, current) if current else None

    def _remember(self, sid: str, participant: Participant) -> None:
        environ = self.server.get_environ(sid, namespace=NAMESPACE)
        if environ is not None:
            environ[self._ENV_KEY] = participant.id

    def _refused(self, turn: Turn, action: str, decision) -> dict:
        """Drop what the event wrote and record the denial (the event's boundary commits
        it); one no longer allowed in the room at all (removed, marking changed, meeting
        ended) leaves it."""
        roll_back()
        audit.record_denial(turn.user, action, turn.meeting, decision)
        if turn.meeting is not None and not can(turn.user, "attend", turn.meeting):
            self._kick(turn)
        return error(_(decision.reason))

    def _kick(self, turn: Turn) -> None:
        operations.leave(turn.stay, state=ParticipantState.REFUSED)
        meeting = turn.meeting
        turn.effects.append(lambda: sfu.kick(meeting.id, turn.stay.id))
        turn.leave(turn.sid, room(meeting.id))
        turn.presence(meeting)
        turn.disconnect(turn.sid)

    # Connection

    def on_connect(self, auth=None):
        with unit_of_work():
            user, kind, credential_id = _authenticate(auth)
            if user is None or not actor_decision(user):
                audit.record_event("meeting.connect_refused", outcome="denied")
                raise ConnectionRefusedError(
                    _("Sign in first: connect with your browser session or an API token.")
                )
            begin_writing()
            participant = operations.connect(user, request.sid, kind, credential_id)
        self._remember(request.sid, participant)
        # Imported here: the re-checks are built on this module's helpers.
        from emisa.meetings.revocation import keep_checking

        keep_checking(current_app._get_current_object())

    def on_disconnect(self, reason=None):
        sid = request.sid
        try:
            with unit_of_work():
                begin_writing()
                ended = operations.disconnected(sid)
                for stay in ended:
                    audit.record(
                        "meeting.left",
                        actor=stay.user,
                        target=stay.meeting,
                        details={"participant": stay.id},
                    )
            sfu.release(sid)
            for stay in ended:
                self.server.emit(
                    "presence",
                    operations.presence_update(stay.meeting),
                    to=room(stay.meeting_id),
                    namespace=NAMESPACE,
                )
                self.server.emit(
                    "lobby",
                    {"waiting": operations.lobby(stay.meeting)},
                    to=chair_room(stay.meeting_id),
                    namespace=NAMESPACE,
                )
        except Exception:
            log.exception("meeting disconnect of %s failed", sid)

    # Joining and leaving

    @room_event(None)
    def on_join(self, turn: Turn, data: dict) -> dict:
        meeting_id = data.get("meeting_id")
        if isinstance(meeting_id, str) and meeting_id.isdigit():
            meeting_id = int(meeting_id)
        valid = isinstance(meeting_id, int) and not isinstance(meeting_id, bool)
        meeting = db.session.get(Meeting, meeting_id) if valid else None
        if meeting is None:
            return error(_("There is no such meeting, or you may not attend it."))
        decision = can(turn.user, "attend", meeting)
        if not decision:
            roll_back()
            audit.record_denial(turn.user, "attend", meeting, decision)
            hidden = decision.status == 404
            return error(
                _("There is no such meeting, or you may not attend it.")
                if hidden
                else _(decision.reason)
            )
        stay = operations.join(turn.stay, meeting, turn.user)
        turn.stay, turn.meeting = stay, meeting
        turn.effects.append(lambda: self._remember(turn.sid, stay))
        if can(turn.user, "chair", meeting):
            turn.enter(turn.sid, chair_room(meeting.id))
        if stay.state == ParticipantState.IN:
            turn.enter(turn.sid, room(meeting.id))
            turn.presence(meeting)
            return {"ok": True, "you": stay.id, **self._state(turn.user, stay, meeting)}
        turn.lobby(meeting)
        return {
            "ok": True,
            "you": stay.id,
            "participants": [],
            "waiting": True,
            "meeting": _meeting_view(meeting),
            "message": _waiting_message(meeting),
        }

    @room_event(None)
    def on_leave(self, turn: Turn, data: dict) -> dict:
        stay, meeting = turn.stay, turn.meeting
        if meeting is None:
            return {"ok": True}
        was_in = stay.state == ParticipantState.IN
        operations.leave(stay)
        audit.record(
            "meeting.left", actor=turn.user, target=meeting, details={"participant": stay.id}
        )
        turn.leave(turn.sid, room(meeting.id))
        turn.leave(turn.sid, chair_room(meeting.id))
        turn.effects.append(lambda: sfu.release(turn.sid))
        if was_in:
            turn.presence(meeting)
        else:
            turn.lobby(meeting)
        return {"ok": True}

    @room_event("attend")
    def on_sync(self, turn: Turn, data: dict) -> dict:
        """The whole room state, e.g. after being admitted from the lobby or a reconnect."""
        return {"ok": True, "you": turn.stay.id, **self._state(turn.user, turn.stay, turn.meeting)}

    def _state(self, user: User, stay: Participant, meeting: Meeting) -> dict:
        chair = bool(can(user, "chair", meeting))
        participants = operations.presence(meeting)
        state = {
            "participants": participants,
            # Decided here from who is present; the page only applies it to its microphone.
            "start_muted": operations.starts_muted(len(participants) - 1),
            "meeting": _meeting_view(meeting),
            "role": operations.participant_view(stay, meeting)["role"],
            "can": {
                "chat": bool(can(user, "chat", meeting)),
                "vote": bool(can(user, "vote", meeting)),
                "chair": chair,
            },
            "history": operations.chat_history(meeting),
            "hands": operations.hand_queue(meeting),
            "polls": operations.polls(meeting, user),
            "minutes": operations.minutes_of(meeting),
            "live_updates": live_updates(),
            "ice_servers": ice_servers_for(user.id),
            "media": {
                "mode": "sfu" if sfu.enabled() else "mesh",
                "publish": bool(can(user, "publish", meeting)),
                "mesh_limit": MESH_VIDEO_LIMIT,
            },
        }
        if chair:
            state["lobby"] = operations.lobby(meeting)
        return state

    # Talking

    @room_event("chat")
    def on_chat(self, turn: Turn, data: dict) -> dict:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return error(_("Write something first."))
        if len(text.strip()) > operations.CHAT_MAX:
            return error(
                _(
                    "A chat message has at most %(max)d characters (this one has %(count)d).",
                    max=operations.CHAT_MAX,
                    count=len(text.strip()),
                )
            )
        item, message = _chat_limit()
        if not windows.hit(item, "meeting-chat", str(turn.meeting.id), str(turn.user.id)):
            return error(message)
        stored = operations.post_chat(turn.stay, turn.meeting, text)
        view = operations.chat_view(stored, text.strip())
        turn.emit("chat", view, room(turn.meeting.id))
        return {"ok": True, "id": stored.id}

    @room_event("hand")
    def on_hand(self, turn: Turn, data: dict) -> dict:
        raised = bool(data.get("raised"))
        operations.set_hand(turn.stay, raised)
        self._hand(turn, turn.stay, raised)
        return {"ok": True}

    def _hand(self, turn: Turn, stay: Participant, raised: bool, by_chair: bool = False) -> None:
        payload = {
            "participant": stay.id,
            "raised": raised,
            "queue": operations.hand_queue(turn.meeting),
        }
        if by_chair:
            payload["by_chair"] = True
        turn.emit("hand", payload, room(turn.meeting.id))

    @room_event("signal")
    def on_signal(self, turn: Turn, data: dict) -> dict:
        payload = data.get("data")
        target = operations.in_room(turn.meeting, data.get("to"))
        if not isinstance(payload, dict):
            return error(_("A signal carries a data object."))
        if target is None or target.state != ParticipantState.IN or target.id == turn.stay.id:
            return error(_("That participant is not in this meeting."))
        turn.emit("signal", {"from": turn.stay.id, "data": payload}, target.sid)
        return {"ok": True}

    @room_event("vote")
    def on_vote(self, turn: Turn, data: dict) -> dict:
        poll = operations.poll_of(turn.meeting, data.get("poll"))
        operations.vote(poll, turn.user, data.get("option"))
        db.session.flush()
        turn.emit(
            "poll_votes",
            {"poll": poll.id, "votes": operations.vote_count(poll)},
            room(poll.meeting_id),
        )
        return {"ok": True}

    # Chairing

    @room_event("chair")
    def on_open(self, turn: Turn, data: dict) -> dict:
        admitted = operations.open_meeting(turn.meeting, turn.user)
        self._announce(turn, admitted)
        return {"ok": True, "meeting": _meeting_view(turn.meeting)}

    @room_event("chair")
    def on_lock(self, turn: Turn, data: dict) -> dict:
        admitted = operations.set_locked(turn.meeting, bool(data.get("locked")), turn.user)
        self._announce(turn, admitted)
        return {"ok": True, "meeting": _meeting_view(turn.meeting)}

    def _announce(self, turn: Turn, admitted: list[Participant]) -> None:
        meeting = turn.meeting
        turn.emit("meeting", _meeting_view(meeting), room(meeting.id))
        for waiting in operations.stays(meeting, ParticipantState.LOBBY):
            turn.emit("meeting", _meeting_view(meeting), waiting.sid)
        for participant in admitted:
            self._let_in(turn, participant)
        if admitted:
            turn.presence(meeting)
        turn.lobby(meeting)

    def _let_in(self, turn: Turn, participant: Participant) -> None:
        turn.enter(participant.sid, room(turn.meeting.id))
        turn.emit(
            "admitted",
            {"you": participant.id, "meeting": _meeting_view(turn.meeting)},
            participant.sid,
        )

    @room_event("chair")
    def on_admit(self, turn: Turn, data: dict) -> dict:
        target = self._target(turn, data, ParticipantState.LOBBY)
        operations.admit(target, turn.meeting, turn.user)
        self._let_in(turn, target)
        turn.presence(turn.meeting)
        turn.lobby(turn.meeting)
        return {"ok": True}

    @room_event("chair")
    def on_refuse(self, turn: Turn, data: dict) -> dict:
        target = self._target(turn, data, ParticipantState.LOBBY)
        operations.refuse(target, turn.meeting, turn.user, removal=False)
        turn.emit("refused", {"message": _("A coordinator did not admit you.")}, target.sid)
        turn.disconnect(target.sid)
        turn.lobby(turn.meeting)
        return {"ok": True}

    @room_event("chair")
    def on_remove(self, turn: Turn, data: dict) -> dict:
        target = self._target(turn, data, ParticipantState.IN)
        if target.id == turn.stay.id:
            return error(_("Use leave to leave the meeting yourself."))
        operations.refuse(target, turn.meeting, turn.user, removal=True)
        turn.emit(
            "removed", {"message": _("A coordinator removed you from the meeting.")}, target.sid
        )
        turn.leave(target.sid, room(turn.meeting.id))
        # The room hears of it before the disconnect, which waits for the leaver's clean-up.
        turn.presence(turn.meeting)
        turn.disconnect(target.sid)
        meeting_id, removed = turn.meeting.id, target.id
        turn.effects.append(lambda: sfu.kick(meeting_id, removed))
        return {"ok": True}

    @room_event("chair")
    def on_mute_request(self, turn: Turn, data: dict) -> dict:
        payload = {"by": turn.user.name}
        if data.get("participant"):
            target = self._target(turn, data, ParticipantState.IN)
            turn.emit("mute_request", payload, target.sid)
            targets = [target]
        else:
            turn.emit("mute_request", payload, room(turn.meeting.id), skip_sid=turn.sid)
            everyone = operations.stays(turn.meeting, ParticipantState.IN)
            targets = [stay for stay in everyone if stay.id != turn.stay.id]
        # The page turns its microphone off on the request and the SFU enforces it: from
        # now on the room's state shows them muted, until they unmute themselves.
        operations.set_muted(targets, True)
        self._enforce_mute(turn, {stay.id for stay in targets})
        audit.record(
            "meeting.mute_requested",
            actor=turn.user,
            target=turn.meeting,
            details={"participant": data.get("participant") or "all"},
        )
        return {"ok": True}

    def _enforce_mute(self, turn: Turn, participant_ids: set[str]) -> None:
        """On the SFU the request is also enforced: the microphone is cut whether or not the
        participant's page complies, until they unmute themselves."""
        meeting_id, server = turn.meeting.id, turn.server

        def moderate() -> None:
            for participant in sfu.moderate(meeting_id, participant_ids, True):
                data = {"participant": participant, "muted": True, "by_chair": True}
                server.emit("muted", data, to=room(meeting_id), namespace=NAMESPACE)

        turn.effects.append(lambda: _janus_safely(moderate))

    @room_event("chair")
    def on_lower_hand(self, turn: Turn, data: dict) -> dict:
        target = self._target(turn, data, ParticipantState.IN)
        operations.set_hand(target, False)
        self._hand(turn, target, False, by_chair=True)
        return {"ok": True}

    @room_event("chair")
    def on_close(self, turn: Turn, data: dict) -> dict:
        meeting = turn.meeting
        sids = operations.close_meeting(meeting, turn.user)
        turn.effects.append(lambda: _janus_safely(lambda: sfu.destroy_room(meeting.id)))
        view = _meeting_view(meeting)
        for sid in sids:
            turn.emit("meeting", view, sid)
            turn.leave(sid, room(meeting.id))
            turn.leave(sid, chair_room(meeting.id))
        return {"ok": True, "meeting": view}

    @room_event("chair")
    def on_poll(self, turn: Turn, data: dict) -> dict:
        poll = operations.create_poll(
            turn.meeting, data.get("question"), data.get("options"), turn.user
        )
        view = operations.poll_view(poll, turn.meeting)
        turn.emit("poll", view, room(turn.meeting.id))
        return {"ok": True, "poll": view}

    @room_event("chair")
    def on_close_poll(self, turn: Turn, data: dict) -> dict:
        poll = operations.poll_of(turn.meeting, data.get("poll"))
        operations.close_poll(poll, turn.meeting, turn.user)
        view = operations.poll_view(poll, turn.meeting)
        turn.emit("poll", view, room(turn.meeting.id))
        return {"ok": True, "poll": view}

    @room_event("chair")
    def on_minutes(self, turn: Turn, data: dict) -> dict:
        operations.save_minutes(turn.meeting, data.get("text"), turn.user)
        payload = {
            "text": operations.minutes_of(turn.meeting),
            "updated_at": operations.iso(turn.meeting.minutes_updated_at),
        }
        turn.emit("minutes", payload, room(turn.meeting.id), skip_sid=turn.sid)
        return {"ok": True, "updated_at": payload["updated_at"]}

    # Media through the SFU: the browser negotiates here, the platform talks to Janus.

    def _link(self, turn: Turn) -> sfu.Link:
        if not sfu.enabled():
            raise OperationError(
                _("This room connects participants directly; there is no media server to use."),
                409,
            )
        return sfu.link_for(turn.sid, turn.meeting.id, turn.stay.id, turn.server, NAMESPACE)

    def _feeds(self, turn: Turn, data: dict) -> list[tuple[str, str]]:
        """The (participant, kind) streams asked for, each of someone in this meeting's room."""
        wanted = data.get("feeds")
        if not isinstance(wanted, list) or not 0 < len(wanted) <= 200:
            raise OperationError(_("Name the streams: a list of participant and kind."))
        keys = []
        for item in wanted:
            item = item if isinstance(item, dict) else {}
            target = operations.in_room(turn.meeting, item.get("participant"))
            if (
                target is None
                or target.state != ParticipantState.IN
                or item.get("kind") not in sfu.KINDS
            ):
                raise OperationError(_("That participant is not in this meeting."), 404)
            keys.append((target.id, item["kind"]))
        return keys

    @room_event("publish")
    def on_media_publish(self, turn: Turn, data: dict) -> dict:
        link, kind, jsep = self._link(turn), data.get("kind"), data.get("jsep")
        return _after_commit(turn, lambda: {"jsep": sfu.publish(link, kind, jsep)})

    @room_event("receive_media")
    def on_media_unpublish(self, turn: Turn, data: dict) -> dict:
        link, kind = self._link(turn), data.get("kind")
        return _after_commit(turn, lambda: sfu.unpublish(link, kind))

    @room_event("receive_media")
    def on_media_feeds(self, turn: Turn, data: dict) -> dict:
        meeting_id = turn.meeting.id
        self._link(turn)
        return _after_commit(turn, lambda: {"feeds": sfu.feeds(meeting_id)})

    @room_event("receive_media")
    def on_media_subscribe(self, turn: Turn, data: dict) -> dict:
        link, keys = self._link(turn), self._feeds(turn, data)
        return _after_commit(turn, lambda: sfu.subscribe(link, keys))

    @room_event("receive_media")
    def on_media_unsubscribe(self, turn: Turn, data: dict) -> dict:
        link, keys = self._link(turn), self._feeds(turn, data)
        return _after_commit(turn, lambda: sfu.unsubscribe(link, keys))

    @room_event("receive_media")
    def on_media_answer(self, turn: Turn, data: dict) -> dict:
        link, jsep = self._link(turn), data.get("jsep")
        return _after_commit(turn, lambda: sfu.answer(link, jsep))

    @room_event("receive_media")
    def on_media_configure(self, turn: Turn, data: dict) -> dict:
        link, mid = self._link(turn), data.get("mid")
        video, substream = bool(data.get("video", True)), data.get("substream")
        return _after_commit(
            turn, lambda: sfu.configure(link, mid, video=video, substream=substream)
        )

    @room_event("receive_media")
    def on_media_trickle(self, turn: Turn, data: dict) -> dict:
        pc, candidate = data.get("pc"), data.get("candidate")
        if pc != "subscriber":
            decision = can(turn.user, "publish", turn.meeting)
            if not decision:
                return self._refused(turn, "publish", decision)
        link = self._link(turn)
        return _after_commit(turn, lambda: sfu.trickle(link, pc, candidate))

    @room_event("publish")
    def on_media_muted(self, turn: Turn, data: dict) -> dict:
        """The participant muted or unmuted their microphone; unmuting lifts an enforced mute."""
        muted = bool(data.get("muted"))
        operations.set_muted([turn.stay], muted)
        turn.emit("muted", {"participant": turn.stay.id, "muted": muted}, room(turn.meeting.id))
        if muted or not sfu.enabled():
            return {"ok": True}
        link = self._link(turn)
        return _after_commit(turn, lambda: sfu.own_audio(link, mute=False))

    def _target(self, turn: Turn, data: dict, state: str) -> Participant:
        target = operations.in_room(turn.meeting, data.get("participant"))
        if target is None or target.state != state:
            raise OperationError(
                _("That participant is not in the lobby.")
                if state == ParticipantState.LOBBY
                else _("That participant is not in the meeting."),
                404,
            )
        return target


def _after_commit(turn: Turn, work: Callable[[], dict | None]) -> dict:
    """Talk to Janus once the event's transaction is committed (never while it holds the
    database) and answer the event with what came back, or with a clear refusal."""
    answer = {"ok": True}

    def run() -> None:
        try:
            answer.update(work() or {})
        except OperationError as refusal:
            answer.update(error(str(refusal)))
        except JanusError as failure:
            log.warning("Janus refused %s: %s", turn.sid, failure)
            answer.update(error(_(sfu.UNAVAILABLE)))

    turn.effects.append(run)
    return answer


def _janus_safely(work: Callable[[], object]) -> None:
    """Room upkeep on Janus (destroy, mute) must never fail the meeting event that asked."""
    try:
        work()
    except JanusError as failure:
        log.warning("Janus room upkeep failed: %s", failure)


def _meeting_view(meeting: Meeting) -> dict:
    return {
        "id": meeting.id,
        "title": operations.title_of(meeting),
        "tlp": meeting.tlp,
        "state": meeting.state,
        "locked": meeting.locked,
        "starts_at": operations.iso(meeting.starts_at),
        "ends_at": operations.iso(meeting.ends_at),
    }


def _waiting_message(meeting: Meeting) -> str:
    if meeting.state != "open":
        return "The coordinator has not opened the meeting yet; you will be let in when it opens."
    return "The meeting is locked; a coordinator will admit you shortly."


def broadcast_state(meeting: Meeting, sids: list[str]) -> None:
    """From a page or the API (cancel): once the request committed, tell everyone who was in
    or waiting that the meeting ended."""
    server = current_app.extensions.get(SERVER_KEY)
    if server is None:
        return
    view = _meeting_view(meeting)
    meeting_id = meeting.id

    def tell() -> None:
        _janus_safely(lambda: sfu.destroy_room(meeting_id))
        for sid in sids:
            server.emit("meeting", view, to=sid, namespace=NAMESPACE)
            server.leave_room(sid, room(meeting_id), namespace=NAMESPACE)
            server.leave_room(sid, chair_room(meeting_id), namespace=NAMESPACE)

    on_commit(tell)
