"""Threads, posts, edit history and read positions. Every user-written field is sealed.

Titles, Markdown sources, rendered HTML, earlier versions and moderation
reasons are sealed with the group key (``emisa.crypto.keyring``) under the
row's identity as associated data; only markings, ids, counters and times are
stored in the clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emisa.access.marked import Marked
from emisa.accounts.models import User
from emisa.extensions import db
from emisa.timeutil import utcnow


class Thread(Marked, db.Model):
    __tablename__ = "threads"
    __policy_type__ = "thread"
    __marked_kind__ = "thread"
    # The thread list's order, so a page is read off the index without sorting the group.
    __table_args__ = (
        Index("ix_threads_group_activity", "group_id", "pinned", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # keyring.seal_text(group, title, aad "thread:<id>:title")
    title_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Posts ever written, tombstones included; read positions count against it.
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Every check of a thread reads its group: one query with a join, not a second one.
    group = relationship("WorkingGroup", lazy="joined")
    author: Mapped[User | None] = relationship()

    def title_aad(self) -> str:
        return f"thread:{self.id}:title"


class Post(db.Model):
    __tablename__ = "posts"
    __policy_type__ = "post"
    __table_args__ = (Index("ix_posts_thread_id_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    # The group whose key sealed the fields (the thread's; moving a thread re-seals).
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    # The Markdown source, sealed (aad "post:<id>:body"); NULL once deleted.
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Sanitised HTML rendered from it, sealed (aad "post:<id>:html"); NULL once deleted.
    html_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # emisa.text.SANITISER_VERSION that produced html_sealed; stale HTML is rendered again.
    sanitiser_version: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # a tombstone keeps the thread's shape
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The moderator's reason, sealed (aad "post:<id>:hidden-reason").
    hidden_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    def aad(self, field: str) -> str:
        return f"post:{self.id}:{field}"


class PostRevision(db.Model):
    """An earlier version of a post's source, kept when its author edits it."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    # The source as it was until ``replaced_at``, sealed (aad "post-revision:<id>:body").
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    written_at: Mapped[datetime]  # when this version was written
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    def aad(self) -> str:
        return f"post-revision:{self.id}:body"


class ThreadRead(db.Model):
    """How many posts of a thread a user has seen; unread = post_count - seen."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seen_count: Mapped[int] = mapped_column(Integer, default=0)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostAttachment(db.Model):
    """A file attached to a post: a Document in the thread's group, with the thread's marking.

    The document belongs to the group's document space: deleting the post removes
    this link, never the document; deleting the document removes the link.
    """

    __tablename__ = "post_attachments"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
