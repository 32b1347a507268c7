"""In-app notifications, per-user settings, email choices and followed groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from emisa.extensions import db
from emisa.timeutil import utcnow


class Notification(db.Model):
    """One notice, or a group of like notices about one item, for one user.

    Stored as a kind and parameters (ids, names of people and groups, a TLP label, a time),
    never as frozen text: it is rendered in the reader's language when shown or mailed.
    Parameters never carry group content (titles, bodies, reasons).
    """

    __tablename__ = "notifications"
    __policy_type__ = "notification"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        # The inbox's order, newest first, read off the index a page at a time.
        Index("ix_notifications_user_id", "user_id", "id"),
        # Finding the unread group a new notice joins.
        Index("ix_notifications_user_subject", "user_id", "subject", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # emisa.notifications.kinds.KINDS
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # What like notices are grouped by while unread, e.g. "reply:thread:12"; the item is the
    # part after the kind ("thread:12"), checked through the policy before any email.
    subject: Mapped[str] = mapped_column(String(80), default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    link: Mapped[str] = mapped_column(String(300), default="")  # a path inside the platform
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # mailed, immediately or in a digest

    @property
    def item(self) -> str:
        return self.subject.split(":", 1)[1] if ":" in self.subject else ""


class NotificationSetting(db.Model):
    """What a user wants to hear about in the platform; a missing row means all of it."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mentions: Mapped[bool] = mapped_column(Boolean, default=True)
    replies: Mapped[bool] = mapped_column(Boolean, default=True)
    new_threads: Mapped[bool] = mapped_column(Boolean, default=True)


class EmailChoice(db.Model):
    """How one user wants one kind of notice by email, where it differs from the default."""

    __tablename__ = "notification_email"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12))  # immediately, digest, never


class GroupFollow(db.Model):
    """The user wants a notice for every new thread in this group."""

    __tablename__ = "group_follows"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
