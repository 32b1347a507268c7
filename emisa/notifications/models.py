"""In-app notifications, per-user settings and followed groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from emisa.extensions import db
from emisa.timeutil import utcnow


class Notification(db.Model):
    """One notice for one user. ``text`` never carries group content (titles, bodies)."""

    __tablename__ = "notifications"
    __policy_type__ = "notification"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        # The inbox's order, newest first, read off the index a page at a time.
        Index("ix_notifications_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # mention, reply, new_thread, join_request, ...
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")  # a path inside the platform
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # included in a daily digest


class NotificationSetting(db.Model):
    """What a user wants to hear about; a missing row means the defaults below."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mentions: Mapped[bool] = mapped_column(Boolean, default=True)
    replies: Mapped[bool] = mapped_column(Boolean, default=True)
    new_threads: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)


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
