"""Meetings: schedule, invitees, connections (participants), chat, polls, minutes, feeds.

Everything a person wrote (title, agenda, chat, poll questions and options,
minutes) is sealed with the group key; the row's identity is the associated data.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emisa.access.marked import Marked
from emisa.accounts.models import User
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.timeutil import utcnow


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"  # planned; the coordinator has not opened the room yet
    OPEN = "open"  # the room is live
    CLOSED = "closed"  # the coordinator ended it; minutes and polls stay readable
    CANCELLED = "cancelled"


class ParticipantState(StrEnum):
    CONNECTED = "connected"  # socket connected, no meeting joined yet
    LOBBY = "lobby"  # waiting: the room is locked or not yet open
    IN = "in"  # in the room
    LEFT = "left"  # the connection ended or left the meeting
    REFUSED = "refused"  # the coordinator refused admission or removed them


class Meeting(Marked, db.Model):
    __tablename__ = "meetings"
    __policy_type__ = "meeting"
    __marked_kind__ = "meeting"
    # The group's meeting list, by start time, read off the index a page at a time.
    __table_args__ = (Index("ix_meetings_group_starts", "group_id", "starts_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    title_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # aad meeting:<id>:title
    agenda_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # JSON list, aad meeting:<id>:agenda
    starts_at: Mapped[datetime]  # naive UTC
    ends_at: Mapped[datetime]  # naive UTC
    state: Mapped[str] = mapped_column(String(12), default=MeetingState.SCHEDULED)
    # Locked: newcomers wait in the lobby until a coordinator admits or refuses them.
    locked: Mapped[bool] = mapped_column(default=False)
    minutes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # aad meeting:<id>:minutes
    minutes_updated_at: Mapped[datetime | None]
    # RFC 5545 SEQUENCE: raised on every change so calendars replace the event.
    sequence: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    group: Mapped[WorkingGroup] = relationship()
    created_by: Mapped[User | None] = relationship()


class Participant(db.Model):
    """One Socket.IO connection; after ``join`` also one stay in one meeting (attendance)."""

    __tablename__ = "meeting_participants"
    __table_args__ = (
        Index("ix_meeting_participants_meeting_state", "meeting_id", "state"),
        Index("ix_meeting_participants_user_state", "user_id", "state"),
        Index("ix_meeting_participants_process", "process_id", "state"),
        Index("ix_meeting_participants_state_heartbeat", "state", "heartbeat_at"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # random, shown to clients
    sid: Mapped[str] = mapped_column(String(64), index=True)  # Socket.IO sid, never shown
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The credential the connection was opened with: "session" (browser) or "token" (API),
    # and its row id; when it is revoked the connection is closed.
    auth_kind: Mapped[str] = mapped_column(String(8))
    auth_id: Mapped[int]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default=ParticipantState.CONNECTED)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_at: Mapped[datetime | None]  # asked to join the meeting
    entered_at: Mapped[datetime | None]  # admitted into the room
    left_at: Mapped[datetime | None]
    hand_raised_at: Mapped[datetime | None]  # the queue is ordered by this
    # The microphone is off: kept with the stay so that someone joining later sees the badge.
    muted: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The server process holding the connection, and when it last said it still does
    # (``emisa.meetings.presence``): a stay whose process stopped saying so is a ghost.
    process_id: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    meeting: Mapped[Meeting | None] = relationship()


class ChatMessage(db.Model):
    __tablename__ = "meeting_chat_messages"
    __table_args__ = (Index("ix_meeting_chat_meeting_id", "meeting_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # aad meeting-chat:<id>
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()


class Poll(db.Model):
    __tablename__ = "meeting_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    # JSON {"question": str, "options": [str, ...]}, aad meeting-poll:<id>
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    option_count: Mapped[int]
    state: Mapped[str] = mapped_column(String(8), default="open")  # open / closed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class PollVote(db.Model):
    """One vote per account per poll, enforced by the database."""

    __tablename__ = "meeting_poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("meeting_polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    option: Mapped[int]  # index into the poll's options
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(db.Model):
    """A personal iCalendar feed; the URL carries a random token whose hash is stored here."""

    __tablename__ = "meeting_calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
