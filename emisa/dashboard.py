"""The dashboard's lists: what a member starts the day with, across their groups.

Each list is one bounded query (unread threads: one per group of mine) filtered by the
read rule's SQL twin (``emisa/access``), then the rule itself on the few rows shown (it
checks each marking's seal, SQL cannot), and only those rows' sealed titles are opened: the
number of queries does not grow with what the groups hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from emisa.access import filter_allowed
from emisa.access.discussions import thread_read_clause
from emisa.access.documents import document_read_clause
from emisa.access.meetings import meeting_view_clause
from emisa.extensions import db
from emisa.timeutil import utcnow

LIMIT = 6
# Re-shares into my groups looked at for the documents list, newest first.
SHARES_LOOKED_AT = 30
# Threads of each group whose unread posts a group card counts (see unread_posts_by_group).
UNREAD_THREADS_COUNTED = 500
UNREAD_SHOWN_UP_TO = 99


@dataclass(frozen=True)
class Item:
    """One line of a dashboard list: a title opened for this reader, its label and a link."""

    title: str
    tlp: str
    url: str
    group_id: int
    when: datetime
    unread: int = 0


def upcoming_meetings(user, group_ids: list[int]) -> list[Item]:
    from emisa.meetings.models import Meeting, MeetingState
    from emisa.meetings.operations import title_of

    if not group_ids:
        return []
    rows = db.session.scalars(
        sa.select(Meeting)
        .options(joinedload(Meeting.group), selectinload(Meeting.marked_recipients))
        .where(
            Meeting.group_id.in_(group_ids),
            Meeting.ends_at >= utcnow(),
            Meeting.state != MeetingState.CANCELLED,
            meeting_view_clause(user),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(LIMIT)
    ).all()
    return [
        Item(title_of(m), m.tlp, f"/meetings/{m.id}", m.group_id, m.starts_at)
        for m in filter_allowed(user, "view", rows)
    ]


def recent_documents(user, group_ids: list[int]) -> list[Item]:
    """The newest documents of my groups, and the latest re-shared to them: two bounded
    queries, each read off an index in its order (one OR would sort every document)."""
    from emisa.documents.models import Document, DocumentShare
    from emisa.documents.operations import read_title

    if not group_ids:
        return []
    loaded = sa.select(Document).options(
        joinedload(Document.group),
        selectinload(Document.shares),
        selectinload(Document.hidden_posts),
        selectinload(Document.marked_recipients),
    )
    readable = document_read_clause(user)
    own = db.session.scalars(
        loaded.where(Document.group_id.in_(group_ids), readable)
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .limit(LIMIT)
    ).all()
    # The latest shares into my groups, a few more than shown so that the read rule may
    # drop some: read off the shares' key, their documents fetched by primary key.
    latest_shares = (
        sa.select(DocumentShare.document_id)
        .where(DocumentShare.group_id.in_(group_ids))
        .order_by(DocumentShare.id.desc())
        .limit(SHARES_LOOKED_AT)
    )
    shared = db.session.scalars(
        loaded.where(Document.id.in_(latest_shares), Document.group_id.not_in(group_ids), readable)
    ).all()
    rows = {d.id: d for d in (*own, *shared)}
    latest = sorted(rows.values(), key=lambda d: (d.updated_at, d.id), reverse=True)[:LIMIT]
    return [
        Item(read_title(d), d.tlp, f"/documents/{d.id}", d.group_id, d.updated_at)
        for d in filter_allowed(user, "read", latest)
    ]


def _unread_threads(user, group_ids: list[int]):
    from emisa.discussions.models import Thread, ThreadRead

    seen = sa.func.coalesce(ThreadRead.seen_count, 0)
    joined = sa.outerjoin(
        Thread,
        ThreadRead,
        sa.and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id),
    )
    where = (Thread.group_id.in_(group_ids), Thread.post_count > seen, thread_read_clause(user))
    return Thread, joined, seen, where


def unread_threads(user, group_ids: list[int]) -> list[Item]:
    """Threads with posts I have not read, latest activity first: one bounded query per
    group (each walks the group's activity index; one query over all my groups would sort
    every thread they hold), merged here."""
    from emisa.discussions.operations import thread_title

    thread, joined, seen, where = _unread_threads(user, group_ids)
    rows = []
    for group_id in group_ids:
        rows += db.session.execute(
            sa.select(thread, seen)
            .select_from(joined)
            .options(selectinload(thread.marked_recipients))
            .where(thread.group_id == group_id, *where)
            .order_by(thread.pinned.desc(), thread.last_activity_at.desc(), thread.id.desc())
            .limit(LIMIT)
        ).all()
    rows = sorted(rows, key=lambda row: (row[0].last_activity_at, row[0].id), reverse=True)
    unread = {t.id: t.post_count - s for t, s in rows[:LIMIT]}
    return [
        Item(
            thread_title(t), t.tlp, f"/threads/{t.id}", t.group_id, t.last_activity_at, unread[t.id]
        )
        for t in filter_allowed(user, "read", [t for t, _s in rows[:LIMIT]])
    ]


@dataclass(frozen=True)
class Unread:
    """A group card's unread posts: ``count``, or more than it when ``more``."""

    count: int
    more: bool = False


def unread_posts_by_group(user, group_ids: list[int]) -> dict[int, Unread]:
    """Unread posts per group (group cards), counted over the first ``UNREAD_THREADS_COUNTED``
    threads of each group's thread list that ``user`` may read, in one statement.

    Counting every thread of a group on every dashboard view would grow with the group, and
    a counter kept per reader would be rewritten for every reader on every post and every
    re-marking. Threads past the window have had no activity since the newest of it; the
    thread list still marks them. The window holds only threads the reader may read, so
    activity in one hidden from them never changes their count. A count above
    ``UNREAD_SHOWN_UP_TO`` is shown as that number and a plus.
    """
    if not group_ids:
        return {}
    thread, joined, seen, _unread_only = _unread_threads(user, group_ids)
    readable = thread_read_clause(user)
    windows = []
    for group_id in group_ids:
        window = (
            sa.select(thread.group_id, (thread.post_count - seen).label("unread"))
            .select_from(joined)
            .where(thread.group_id == group_id, readable)
            .order_by(thread.pinned.desc(), thread.last_activity_at.desc(), thread.id.desc())
            .limit(UNREAD_THREADS_COUNTED)
            .subquery()
        )
        windows.append(
            sa.select(window.c.group_id, sa.func.sum(window.c.unread)).group_by(window.c.group_id)
        )
    rows = db.session.execute(sa.union_all(*windows))
    return {
        group_id: Unread(min(total, UNREAD_SHOWN_UP_TO), total > UNREAD_SHOWN_UP_TO)
        for group_id, total in rows
        if total
    }


def unread_mentions(user) -> list:
    from emisa.notifications.models import Notification

    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.kind == "mention",
                Notification.read_at.is_(None),
            )
            .order_by(Notification.id.desc())
            .limit(LIMIT)
        )
    )
