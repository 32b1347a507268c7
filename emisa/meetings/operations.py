"""Meeting operations: scheduling, the room's state, chat, hands, polls, minutes, attendance.

Rights are checked by the caller (views, API, Socket.IO events) through the
access policy; these functions enforce the state rules, seal what people wrote
with the group key, audit what they change, and never commit.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from emisa import audit
from emisa.access import can
from emisa.access.marked import reseal_markings
from emisa.access.markings import InvalidMarking
from emisa.access.meetings import invited, meeting_known_clause, meeting_view_clause
from emisa.access.membership import membership_of
from emisa.access.validation import ValidMarking, apply_marking, validate_marking
from emisa.accounts.models import User
from emisa.accounts.preferences import time_zones
from emisa.crypto import keyring
from emisa.extensions import db
from emisa.groups.models import Membership, WorkingGroup
from emisa.meetings.models import (
    ChatMessage,
    Meeting,
    MeetingState,
    Participant,
    ParticipantState,
    Poll,
    PollVote,
)
from emisa.operations import OperationError
from emisa.signals import notify, rights_narrowed
from emisa.timeutil import utcnow

TITLE_MAX = 200
AGENDA_ITEMS_MAX = 40
AGENDA_ITEM_MAX = 500
MAX_DURATION = timedelta(hours=24)
CHAT_MAX = 2000
CHAT_HISTORY = 200
POLL_OPTIONS_MAX = 10
POLL_TEXT_MAX = 300
MINUTES_MAX = 100_000
LIVE = (ParticipantState.LOBBY, ParticipantState.IN)
# Back within this long after the connection dropped, a raised hand keeps its place.
RECONNECT_GRACE = timedelta(minutes=2)


# Time


def iso(dt: datetime | None) -> str | None:
    """Naive UTC from the database as ISO 8601 with a Z."""
    return dt.replace(microsecond=0).isoformat() + "Z" if dt else None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_zone(name: str) -> bool:
    return name in available_zones()


available_zones = time_zones


def local(dt: datetime | None, zone_name: str | None) -> datetime | None:
    """A stored naive-UTC instant in the reader's zone."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(zone(zone_name))


def to_utc(value: datetime, zone_name: str | None = "UTC") -> datetime:
    """Aware values are converted; naive ones are read in ``zone_name``. Returns naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(zone_name))
    return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def parse_instant(text: str, zone_name: str | None = "UTC") -> datetime:
    """ISO 8601, with an offset or Z; a value without one is read in ``zone_name``."""
    try:
        value = datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        raise OperationError(_("'%(text)s' is not an ISO 8601 date and time.", text=text)) from None
    return to_utc(value, zone_name)


# Sealed fields


def _seal(meeting: Meeting, field: str, text: str) -> bytes:
    return keyring.seal_text(meeting.group_id, text, f"meeting:{meeting.id}:{field}")


def title_of(meeting: Meeting) -> str:
    return keyring.open_text(meeting.group_id, meeting.title_sealed, f"meeting:{meeting.id}:title")


def agenda_of(meeting: Meeting) -> list[str]:
    sealed = meeting.agenda_sealed
    return json.loads(keyring.open_text(meeting.group_id, sealed, f"meeting:{meeting.id}:agenda"))


def minutes_of(meeting: Meeting) -> str:
    if not meeting.minutes_sealed:
        return ""
    aad = f"meeting:{meeting.id}:minutes"
    return keyring.open_text(meeting.group_id, meeting.minutes_sealed, aad)


def _chat_aad(message: ChatMessage) -> str:
    return f"meeting-chat:{message.meeting_id}:{message.id}"


def _poll_aad(poll: Poll) -> str:
    return f"meeting-poll:{poll.meeting_id}:{poll.id}"


# Scheduling


@dataclass
class MeetingInput:
    title: str
    starts_at: datetime  # naive UTC
    ends_at: datetime  # naive UTC
    agenda: list[str]
    tlp: str
    invitee_ids: list[int]
    releasable_to: list[str]


_LIST_MARKER = re.compile(r"^(?:\d{1,2}[.)]|[-*•])\s+")


def _clean_agenda(agenda: Iterable[str] | str | None) -> list[str]:
    if agenda is None:
        return []
    if isinstance(agenda, str):
        agenda = agenda.splitlines()
    # The page numbers the items itself: drop the "1." or "-" a person typed in front.
    items = [_LIST_MARKER.sub("", " ".join(str(item).split())) for item in agenda]
    items = [item for item in items if item]
    if len(items) > AGENDA_ITEMS_MAX:
        raise OperationError(
            _(
                "An agenda has at most %(agenda_items_max)s items.",
                agenda_items_max=AGENDA_ITEMS_MAX,
            )
        )
    if any(len(item) > AGENDA_ITEM_MAX for item in items):
        raise OperationError(
            _(
                "An agenda item has at most %(agenda_item_max)s characters.",
                agenda_item_max=AGENDA_ITEM_MAX,
            )
        )
    return items


def _validated(
    group: WorkingGroup, data: MeetingInput, by: User, carried: Iterable[str] = ()
) -> ValidMarking:
    data.title = " ".join((data.title or "").split())
    if not 3 <= len(data.title) <= TITLE_MAX:
        raise OperationError(
            _("The title must be 3 to %(title_max)s characters long.", title_max=TITLE_MAX)
        )
    if data.ends_at <= data.starts_at:
        raise OperationError(_("The meeting must end after it starts."))
    if data.ends_at - data.starts_at > MAX_DURATION:
        raise OperationError(
            _("A meeting lasts at most 24 hours; schedule several for longer events.")
        )
    try:
        marking = validate_marking(
            group,
            by,
            tlp=data.tlp,
            releasable_to=data.releasable_to,
            recipients=data.invitee_ids,
            carried=carried,
        )
    except InvalidMarking as error:
        raise OperationError(str(error)) from None
    data.agenda = _clean_agenda(data.agenda)
    return marking


def create_meeting(group: WorkingGroup, data: MeetingInput, by: User) -> Meeting:
    marking = _validated(group, data, by)
    if data.starts_at < utcnow() - timedelta(minutes=5):
        raise OperationError(_("The meeting cannot start in the past."))
    meeting = Meeting(
        group=group,
        group_id=group.id,
        title_sealed=b"",
        agenda_sealed=b"",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        created_by=by,
    )
    db.session.add(meeting)
    apply_marking(meeting, marking)  # flushes: the seal names the id
    meeting.title_sealed = _seal(meeting, "title", data.title)
    meeting.agenda_sealed = _seal(meeting, "agenda", json.dumps(data.agenda))
    db.session.flush()
    audit.record(
        "meeting.created",
        actor=by,
        target=meeting,
        details={"tlp": marking.tlp.value, "invitees": len(marking.recipients) or "all members"},
    )
    _notify(meeting, invitee_ids(meeting), "invited", by)
    return meeting


def update_meeting(meeting: Meeting, data: MeetingInput, by: User) -> None:
    marking = _validated(meeting.group, data, by, carried=meeting.origin_countries)
    before = invitee_ids(meeting)
    meeting.title_sealed = _seal(meeting, "title", data.title)
    meeting.agenda_sealed = _seal(meeting, "agenda", json.dumps(data.agenda))
    meeting.starts_at, meeting.ends_at = data.starts_at, data.ends_at
    apply_marking(meeting, marking)
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.session.flush()
    db.session.expire(meeting, ["marked_recipients"])
    audit.record("meeting.updated", actor=by, target=meeting, details={"tlp": marking.tlp.value})
    rights_narrowed.send(current_app._get_current_object(), meeting_id=meeting.id)
    # Those who were invited and still are hear of the change; whoever lost access hears
    # nothing; whoever the change invites hears of the invitation.
    after = invitee_ids(meeting)
    _notify(meeting, before & after, "changed", by)
    _notify(meeting, after - before, "invited", by)


def cancel_meeting(meeting: Meeting, by: User) -> list[str]:
    """Cancel; returns the sids of live connections in the room, for the caller to tell."""
    recipients = invitee_ids(meeting)
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_at = meeting.updated_at = utcnow()
    meeting.sequence += 1
    sids = _end_stays(meeting)
    audit.record("meeting.cancelled", actor=by, target=meeting)
    _notify(meeting, recipients, "cancelled", by)
    return sids


def _notify(meeting: Meeting, user_ids: Iterable[int], verb: str, by: User) -> None:
    """Names no title, whatever the marking: notices are stored in clear, the title is sealed
    and shown on the meeting's page the notice links to."""
    recipients = sorted(uid for uid in user_ids if uid != by.id)
    if recipients:
        notify.send(
            current_app._get_current_object(),
            user_ids=recipients,
            kind="meeting",
            params={
                "verb": verb,
                "tlp": str(meeting.tlp),
                "group": meeting.group.name,
                "starts_at": meeting.starts_at.isoformat(),
            },
            link=f"/meetings/{meeting.id}",
            subject=f"meeting:{meeting.id}:{verb}",
        )


def invitees(meeting: Meeting) -> list[User]:
    """Who is invited: the named invitees of a RED meeting, else every member who may see it."""
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == meeting.group_id)
        .order_by(User.name)
    )
    return [user for user in members if invited(user, meeting)]


def partners_left_out(meeting: Meeting) -> int:
    """How many partner members of the group the meeting's label keeps out: the scheduling
    coordinator is told, rather than partners silently missing it."""
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == meeting.group_id)
    )
    return sum(1 for user in members if user.is_partner and not invited(user, meeting))


def partner_members(group: WorkingGroup) -> int:
    """Partner accounts among the group's members (the scheduling form warns of them)."""
    return sum(1 for m in group.memberships if m.user.is_partner)


def invitee_ids(meeting: Meeting) -> set[int]:
    return {user.id for user in invitees(meeting)}


ENDED = (MeetingState.CLOSED.value, MeetingState.CANCELLED.value)


def _upcoming(now: datetime):
    """SQL of ``split_upcoming``'s upcoming side. A meeting lasts at most ``MAX_DURATION``,
    so one still running started after ``now - MAX_DURATION``: that bound lets the group's
    index on start time read only the upcoming range."""
    return and_(
        Meeting.starts_at >= now - MAX_DURATION,
        Meeting.ends_at >= now,
        Meeting.state.not_in(ENDED),
    )


def meetings_known_of(group: WorkingGroup, user: User) -> list[Meeting]:
    """Upcoming meetings ``user`` may know exist but not open (a partner and an AMBER
    meeting): shown as a date and a label, so that the absence is explained."""
    rows = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.group_id == group.id,
            Meeting.ends_at >= utcnow(),
            Meeting.state != MeetingState.CANCELLED,
            meeting_known_clause(user),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(20)
    )
    return [meeting for meeting in rows if can(user, "know_of", meeting)]


def _listed(user: User, group: WorkingGroup, when: str | None, now: datetime):
    seen = and_(Meeting.group_id == group.id, meeting_view_clause(user))
    if when == "upcoming":
        return and_(seen, _upcoming(now)), (Meeting.starts_at, Meeting.id)
    if when == "past":
        return and_(seen, ~_upcoming(now)), (Meeting.starts_at.desc(), Meeting.id.desc())
    return seen, (Meeting.starts_at, Meeting.id)


def meeting_page(
    user: User,
    group: WorkingGroup,
    page: int,
    per_page: int,
    *,
    when: str | None = None,
    now: datetime | None = None,
):
    """One page of the group's meetings ``user`` may see, and how many in all: every one by
    start time, the ``upcoming`` ones soonest first, or the ``past`` ones latest first."""
    where, order = _listed(user, group, when, now or utcnow())
    rows = db.session.scalars(
        select(Meeting)
        .where(where)
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(selectinload(Meeting.marked_recipients))
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Meeting).where(where))
    return [meeting for meeting in rows if can(user, "view", meeting)], total


def meetings_between(
    user: User, group: WorkingGroup, start: datetime, end: datetime, limit: int
) -> tuple[list[Meeting], bool]:
    """The first ``limit`` meetings ``user`` may see starting in [start, end) (a calendar's
    month), and whether more start in it: a month's cost is bounded however busy it is."""
    where, order = _listed(user, group, None, utcnow())
    rows = db.session.scalars(
        select(Meeting)
        .where(where, Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(*order)
        .limit(limit + 1)
        .options(selectinload(Meeting.marked_recipients))
    ).all()
    return [meeting for meeting in rows[:limit] if can(user, "view", meeting)], len(rows) > limit


def user_meetings(
    user: User, since: datetime | None = None, *, signed_in: bool = True
) -> list[Meeting]:
    """Every meeting of the user's groups the user may see, optionally ending after ``since``.

    ``signed_in`` False (the calendar feed): the account is not signed in, so the
    policy is asked whether it is invited rather than what its session may do.
    """
    statement = (
        select(Meeting)
        .join(Membership, Membership.group_id == Meeting.group_id)
        .where(Membership.user_id == user.id)
        .order_by(Meeting.starts_at)
    )
    if since is not None:
        statement = statement.where(Meeting.ends_at >= since)
    check = (lambda m: can(user, "view", m)) if signed_in else (lambda m: invited(user, m))
    return [meeting for meeting in db.session.scalars(statement) if check(meeting)]


def split_upcoming(meetings: list[Meeting]) -> tuple[list[Meeting], list[Meeting]]:
    now = utcnow()
    upcoming = [m for m in meetings if m.ends_at >= now and m.state not in ("closed", "cancelled")]
    past = [m for m in meetings if m not in upcoming]
    past.sort(key=lambda m: m.starts_at, reverse=True)
    return upcoming, past


# The room: connections and stays


def new_participant_id() -> str:
    return "p_" + secrets.token_urlsafe(12)


def connect(user: User, sid: str, auth_kind: str, auth_id: int) -> Participant:
    from emisa.meetings.presence import process_id

    participant = Participant(
        id=new_participant_id(),
        sid=sid,
        user_id=user.id,
        auth_kind=auth_kind,
        auth_id=auth_id,
        process_id=process_id(),
        heartbeat_at=utcnow(),
    )
    db.session.add(participant)
    db.session.flush()
    return participant


def current_stay(sid: str, participant_id: str) -> Participant | None:
    """The connection's stay, with what every event needs loaded in one query."""
    participant = db.session.scalar(
        select(Participant)
        .where(Participant.id == participant_id)
        .options(
            joinedload(Participant.user),
            joinedload(Participant.meeting).joinedload(Meeting.group),
            joinedload(Participant.meeting).selectinload(Meeting.marked_recipients),
        )
    )
    return participant if participant is not None and participant.sid == sid else None


def _previously(meeting: Meeting, user: User) -> str | None:
    """The latest verdict on this account in this meeting: admitted ("in") or refused."""
    return db.session.scalar(
        select(Participant.state)
        .where(
            Participant.meeting_id == meeting.id,
            Participant.user_id == user.id,
            (Participant.entered_at.isnot(None)) | (Participant.state == ParticipantState.REFUSED),
        )
        .order_by(Participant.requested_at.desc())
        .limit(1)
    )


def join(participant: Participant, meeting: Meeting, user: User) -> Participant:
    """Enter the room, or wait in the lobby. Returns the stay (a new row on a reused connection)."""
    if participant.state in LIVE:
        raise OperationError(_("This connection is already in a meeting; leave it first."), 409)
    if participant.meeting_id is not None:
        participant = Participant(
            id=new_participant_id(),
            sid=participant.sid,
            user_id=user.id,
            auth_kind=participant.auth_kind,
            auth_id=participant.auth_id,
            process_id=participant.process_id,
            heartbeat_at=utcnow(),
        )
        db.session.add(participant)
    participant.meeting_id = meeting.id
    participant.requested_at = utcnow()
    verdict = _previously(meeting, user)
    chair = bool(can(user, "chair", meeting))
    if chair or (
        meeting.state == MeetingState.OPEN
        and verdict != ParticipantState.REFUSED
        and (not meeting.locked or verdict is not None)
    ):
        _enter(participant)
        participant.hand_raised_at = _hand_before_drop(meeting, user)
    else:
        participant.state = ParticipantState.LOBBY
    db.session.flush()
    audit.record(
        "meeting.joined" if participant.state == ParticipantState.IN else "meeting.lobby",
        actor=user,
        target=meeting,
        details={"participant": participant.id},
    )
    return participant


def _hand_before_drop(meeting: Meeting, user: User) -> datetime | None:
    """The hand of a stay whose connection dropped a moment ago: raised when it was."""
    return db.session.scalar(
        select(Participant.hand_raised_at)
        .where(
            Participant.meeting_id == meeting.id,
            Participant.user_id == user.id,
            Participant.state == ParticipantState.LEFT,
            Participant.left_at >= utcnow() - RECONNECT_GRACE,
        )
        .order_by(Participant.left_at.desc())
        .limit(1)
    )


def _enter(participant: Participant) -> None:
    participant.state = ParticipantState.IN
    participant.entered_at = utcnow()


def leave(
    participant: Participant, *, state: str = ParticipantState.LEFT, dropped: bool = False
) -> None:
    """End a stay. ``dropped``: the connection was lost, so the hand is kept for a return."""
    if participant.state in LIVE or state == ParticipantState.REFUSED:
        participant.state = state
        participant.left_at = participant.left_at or utcnow()
        if not dropped:
            participant.hand_raised_at = None
        db.session.flush()


def disconnected(sid: str) -> list[Participant]:
    """The socket closed: end its live stays; returns them."""
    stays = list(
        db.session.scalars(
            select(Participant).where(Participant.sid == sid, Participant.state.in_(LIVE))
        )
    )
    for stay in stays:
        leave(stay, dropped=True)
    db.session.execute(
        update(Participant)
        .where(Participant.sid == sid, Participant.state == ParticipantState.CONNECTED)
        .values(state=ParticipantState.LEFT, left_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return stays


def live_connections(
    *,
    user_id: int | None = None,
    group_id: int | None = None,
    meeting_id: int | None = None,
    sids: Iterable[str] | None = None,
) -> list[Participant]:
    """Live connections in a scope: an account's, those in a group's or in one meeting's room,
    those with these Socket.IO sids, or any combination of these (all must hold)."""
    if user_id is None and group_id is None and meeting_id is None and sids is None:
        raise ValueError(_("A scope names an account, a group, a meeting or connections."))
    statement = select(Participant).where(
        Participant.state.in_((*LIVE, ParticipantState.CONNECTED))
    )
    if user_id is not None:
        statement = statement.where(Participant.user_id == user_id)
    if group_id is not None:
        statement = statement.join(Meeting, Meeting.id == Participant.meeting_id).where(
            Meeting.group_id == group_id, Participant.state.in_(LIVE)
        )
    if meeting_id is not None:
        statement = statement.where(Participant.meeting_id == meeting_id)
    if sids is not None:
        statement = statement.where(Participant.sid.in_(list(sids)))
    return list(db.session.scalars(statement))


def credential_live(participant: Participant) -> bool:
    """Is the session or token this connection was opened with still valid?"""
    from emisa.accounts.models import ApiToken, AuthSession

    now = utcnow()
    if participant.auth_kind == "token":
        token = db.session.get(ApiToken, participant.auth_id)
        return bool(token and token.revoked_at is None and token.expires_at > now)
    session = db.session.get(AuthSession, participant.auth_id)
    return bool(
        session
        and session.revoked_at is None
        and session.expires_at > now
        and session.stage == "full"
    )


def stays(meeting: Meeting, state: str) -> list[Participant]:
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.meeting_id == meeting.id, Participant.state == state)
            .order_by(Participant.entered_at, Participant.requested_at)
        )
    )


def participant_view(participant: Participant, meeting: Meeting) -> dict:
    user = participant.user
    membership = membership_of(user, meeting.group)
    return {
        "id": participant.id,
        "user_id": user.id,
        "name": user.name,
        "organisation": user.organisation,
        "country": user.country,
        "role": membership.role if membership else None,
        "hand": participant.hand_raised_at is not None,
        "muted": participant.muted,
    }


def presence(meeting: Meeting) -> list[dict]:
    return [participant_view(p, meeting) for p in stays(meeting, ParticipantState.IN)]


def starts_muted(others_present: int) -> bool:
    """Whether someone entering a room with ``others_present`` people already in it starts
    with the microphone off: in a large room most listen, and a closed microphone sends a
    tenth of the packets of an open one."""
    threshold = current_app.config["EMISA_MEETING_START_MUTED_FROM"]
    return 0 < threshold <= others_present


def presence_update(meeting: Meeting) -> dict:
    """The ``presence`` event: who is in, and the queue of raised hands, which a join or a
    leave changes too (a hand kept across a dropped connection comes back under a new id)."""
    return {"participants": presence(meeting), "hands": hand_queue(meeting)}


def lobby(meeting: Meeting) -> list[dict]:
    return [participant_view(p, meeting) for p in stays(meeting, ParticipantState.LOBBY)]


def hand_queue(meeting: Meeting) -> list[str]:
    return list(
        db.session.scalars(
            select(Participant.id)
            .where(
                Participant.meeting_id == meeting.id,
                Participant.state == ParticipantState.IN,
                Participant.hand_raised_at.isnot(None),
            )
            .order_by(Participant.hand_raised_at)
        )
    )


def set_muted(participants: Iterable[Participant], muted: bool) -> None:
    """Record that these microphones are off (or on again), for whoever joins later."""
    for participant in participants:
        participant.muted = muted
    db.session.flush()


def set_hand(participant: Participant, raised: bool) -> None:
    if raised:
        participant.hand_raised_at = participant.hand_raised_at or utcnow()
    else:
        participant.hand_raised_at = None
    db.session.flush()


def in_room(meeting: Meeting, participant_id: str) -> Participant | None:
    valid = isinstance(participant_id, str) and 0 < len(participant_id) <= 24
    target = db.session.get(Participant, participant_id) if valid else None
    if target is None or target.meeting_id != meeting.id:
        return None
    return target


# Coordinator controls


def open_meeting(meeting: Meeting, by: User) -> list[Participant]:
    """Open the room; returns the waiting people it lets in (none while locked)."""
    if meeting.state == MeetingState.OPEN:
        return []
    meeting.state = MeetingState.OPEN
    meeting.opened_at = meeting.opened_at or utcnow()
    audit.record("meeting.opened", actor=by, target=meeting)
    return [] if meeting.locked else _admit_waiting(meeting, by)


def set_locked(meeting: Meeting, locked: bool, by: User) -> list[Participant]:
    meeting.locked = bool(locked)
    audit.record("meeting.locked" if locked else "meeting.unlocked", actor=by, target=meeting)
    if locked or meeting.state != MeetingState.OPEN:
        return []
    return _admit_waiting(meeting, by)


def _admit_waiting(meeting: Meeting, by: User) -> list[Participant]:
    waiting = stays(meeting, ParticipantState.LOBBY)
    for participant in waiting:
        admit(participant, meeting, by)
    return waiting


def admit(participant: Participant, meeting: Meeting, by: User) -> None:
    if participant.state != ParticipantState.LOBBY:
        raise OperationError(_("This person is not waiting in the lobby."), 409)
    _enter(participant)
    db.session.flush()
    audit.record(
        "meeting.admitted", actor=by, target=meeting, details={"user_id": participant.user_id}
    )


def refuse(participant: Participant, meeting: Meeting, by: User, *, removal: bool) -> None:
    if participant.state not in LIVE:
        raise OperationError(_("This person is no longer in the meeting."), 409)
    leave(participant, state=ParticipantState.REFUSED)
    audit.record(
        "meeting.removed" if removal else "meeting.refused",
        actor=by,
        target=meeting,
        details={"user_id": participant.user_id},
    )


def _end_stays(meeting: Meeting) -> list[str]:
    sids = []
    for state in LIVE:
        for participant in stays(meeting, state):
            sids.append(participant.sid)
            leave(participant)
    return sids


def close_meeting(meeting: Meeting, by: User) -> list[str]:
    """End the meeting for everyone; returns the sids that were in it or waiting."""
    meeting.state = MeetingState.CLOSED
    meeting.closed_at = meeting.updated_at = utcnow()
    meeting.sequence += 1
    for poll in db.session.scalars(
        select(Poll).where(Poll.meeting_id == meeting.id, Poll.state == "open")
    ):
        poll.state, poll.closed_at = "closed", utcnow()
    sids = _end_stays(meeting)
    audit.record("meeting.closed", actor=by, target=meeting)
    return sids


# Chat


def post_chat(participant: Participant, meeting: Meeting, text: str) -> ChatMessage:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise OperationError(_("Write something first."))
    if len(text) > CHAT_MAX:
        raise OperationError(
            _(
                "A chat message has at most %(max)d characters (this one has %(count)d).",
                max=CHAT_MAX,
                count=len(text),
            )
        )
    message = ChatMessage(meeting_id=meeting.id, user_id=participant.user_id, body_sealed=b"")
    db.session.add(message)
    db.session.flush()
    message.body_sealed = keyring.seal_text(meeting.group_id, text, _chat_aad(message))
    db.session.flush()
    return message


def chat_view(message: ChatMessage, text: str | None = None) -> dict:
    author = message.user
    if text is None:
        text = _open_chat(message)
    return {
        "id": message.id,
        "author": {
            "user_id": author.id if author else None,
            "name": author.name if author else "(deleted account)",
            "organisation": author.organisation if author else "",
            "country": author.country if author else "",
        },
        "author_name": author.name if author else "(deleted account)",
        "text": text,
        "sent_at": iso(message.sent_at),
    }


def _open_chat(message: ChatMessage) -> str:
    # The group id comes from the meeting, never from the message row alone.
    group_id = db.session.scalar(select(Meeting.group_id).where(Meeting.id == message.meeting_id))
    return keyring.open_text(group_id, message.body_sealed, _chat_aad(message))


def chat_history(meeting: Meeting, limit: int = CHAT_HISTORY) -> list[dict]:
    rows = list(
        db.session.scalars(
            select(ChatMessage)
            .where(ChatMessage.meeting_id == meeting.id)
            .order_by(ChatMessage.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return [
        chat_view(m, keyring.open_text(meeting.group_id, m.body_sealed, _chat_aad(m))) for m in rows
    ]


# Polls


def create_poll(meeting: Meeting, question: str, options: list, by: User) -> Poll:
    question = " ".join(str(question or "").split())
    if not isinstance(options, list):
        raise OperationError(_("Options must be a list."))
    options = [" ".join(str(option).split()) for option in options]
    options = [option for option in options if option]
    if not 1 <= len(question) <= POLL_TEXT_MAX:
        raise OperationError(
            _(
                "Ask a question of at most %(poll_text_max)s characters.",
                poll_text_max=POLL_TEXT_MAX,
            )
        )
    if not 2 <= len(options) <= POLL_OPTIONS_MAX:
        raise OperationError(
            _("A poll has 2 to %(poll_options_max)s options.", poll_options_max=POLL_OPTIONS_MAX)
        )
    if any(len(option) > POLL_TEXT_MAX for option in options):
        raise OperationError(
            _("An option has at most %(poll_text_max)s characters.", poll_text_max=POLL_TEXT_MAX)
        )
    poll = Poll(
        meeting_id=meeting.id, content_sealed=b"", option_count=len(options), created_by_id=by.id
    )
    db.session.add(poll)
    db.session.flush()
    content = json.dumps({"question": question, "options": options})
    poll.content_sealed = keyring.seal_text(meeting.group_id, content, _poll_aad(poll))
    db.session.flush()
    audit.record("meeting.poll_created", actor=by, target=meeting, details={"poll": poll.id})
    return poll


def vote(poll: Poll, user: User, option) -> None:
    if poll.state != "open":
        raise OperationError(_("This poll is closed."), 409)
    if isinstance(option, bool) or not isinstance(option, int):
        raise OperationError(_("Choose one of the options."))
    if not 0 <= option < poll.option_count:
        raise OperationError(_("Choose one of the options."))
    try:
        with db.session.begin_nested():
            db.session.add(PollVote(poll_id=poll.id, user_id=user.id, option=option))
    except IntegrityError:
        raise OperationError(_("You already voted in this poll."), 409) from None


def vote_count(poll: Poll) -> int:
    return db.session.scalar(select(func.count()).where(PollVote.poll_id == poll.id)) or 0


def close_poll(poll: Poll, meeting: Meeting, by: User) -> None:
    if poll.state != "open":
        raise OperationError(_("This poll is already closed."), 409)
    poll.state, poll.closed_at = "closed", utcnow()
    db.session.flush()
    audit.record("meeting.poll_closed", actor=by, target=meeting, details={"poll": poll.id})


def poll_view(poll: Poll, meeting: Meeting, user: User | None = None) -> dict:
    content = json.loads(keyring.open_text(meeting.group_id, poll.content_sealed, _poll_aad(poll)))
    view = {
        "id": poll.id,
        "question": content["question"],
        "options": content["options"],
        "state": poll.state,
        "votes": vote_count(poll),
        "created_at": iso(poll.created_at),
    }
    if user is not None:
        view["voted"] = (
            db.session.scalar(
                select(PollVote.id).where(PollVote.poll_id == poll.id, PollVote.user_id == user.id)
            )
            is not None
        )
    if poll.state == "closed":
        counts = [0] * poll.option_count
        for option, count in db.session.execute(
            select(PollVote.option, func.count())
            .where(PollVote.poll_id == poll.id)
            .group_by(PollVote.option)
        ):
            counts[option] = count
        view["results"] = counts
    return view


def polls(meeting: Meeting, user: User | None = None) -> list[dict]:
    rows = db.session.scalars(select(Poll).where(Poll.meeting_id == meeting.id).order_by(Poll.id))
    return [poll_view(poll, meeting, user) for poll in rows]


def poll_of(meeting: Meeting, poll_id) -> Poll:
    valid = isinstance(poll_id, int) and not isinstance(poll_id, bool)
    poll = db.session.get(Poll, poll_id) if valid else None
    if poll is None or poll.meeting_id != meeting.id:
        raise OperationError(_("There is no such poll in this meeting."), 404)
    return poll


# Minutes


def save_minutes(meeting: Meeting, text: str, by: User) -> None:
    text = text if isinstance(text, str) else ""
    if len(text) > MINUTES_MAX:
        raise OperationError(
            _("Minutes have at most %(minutes_max)s characters.", minutes_max=MINUTES_MAX)
        )
    meeting.minutes_sealed = _seal(meeting, "minutes", text)
    meeting.minutes_updated_at = utcnow()
    db.session.flush()
    audit.record("meeting.minutes_saved", actor=by, target=meeting, details={"chars": len(text)})


# Attendance


def attendance(meeting: Meeting) -> list[dict]:
    """Who was in the room and from when to when (one row per stay)."""
    rows = db.session.scalars(
        select(Participant)
        .where(Participant.meeting_id == meeting.id, Participant.entered_at.isnot(None))
        .order_by(Participant.entered_at)
    )
    return [
        {
            "name": p.user.name,
            "email": p.user.email,
            "organisation": p.user.organisation,
            "country": p.user.country,
            "joined_at": p.entered_at,
            "left_at": p.left_at,
        }
        for p in rows
    ]


# Key rotation: everything sealed with the group key follows it to the new version.


@keyring.on_group_key_rotation
def _reseal_group(group_id: int, _old_versions: list[int], _new_version: int) -> None:
    reseal_markings(Meeting, group_id)
    for meeting in db.session.scalars(select(Meeting).where(Meeting.group_id == group_id)):
        for field in ("title", "agenda", "minutes"):
            blob = getattr(meeting, f"{field}_sealed")
            if blob:
                aad = f"meeting:{meeting.id}:{field}"
                setattr(meeting, f"{field}_sealed", keyring.reseal(group_id, blob, aad))
        for message in db.session.scalars(
            select(ChatMessage).where(ChatMessage.meeting_id == meeting.id)
        ):
            message.body_sealed = keyring.reseal(group_id, message.body_sealed, _chat_aad(message))
        for poll in db.session.scalars(select(Poll).where(Poll.meeting_id == meeting.id)):
            poll.content_sealed = keyring.reseal(group_id, poll.content_sealed, _poll_aad(poll))
