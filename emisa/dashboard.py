"""The dashboard's lists: what a member starts the day with, across their groups.

Each list is one bounded query filtered by the read rule's SQL twin (``emisa/access``),
then the rule itself on the few rows shown (it checks each marking's seal, SQL cannot),
and only those rows' sealed titles are opened: a constant number of queries, however
many groups and items there are.
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
    """The newest documents of my groups, their own and those re-shared to them: two
    bounded queries, each on its own index, merged here (one OR would sort every document)."""
    from emisa.documents.models import Document, DocumentShare
    from emisa.documents.operations import read_title

    if not group_ids:
        return []
    shared = sa.select(DocumentShare.document_id).where(DocumentShare.group_id.in_(group_ids))
    newest = (Document.updated_at.desc(), Document.id.desc())
    rows = {}
    for where in (
        Document.group_id.in_(group_ids),
        sa.and_(Document.group_id.not_in(group_ids), Document.id.in_(shared)),
    ):
        found = db.session.scalars(
            sa.select(Document)
            .options(
                joinedload(Document.group),
                selectinload(Document.shares),
                selectinload(Document.hidden_posts),
                selectinload(Document.marked_recipients),
            )
            .where(where, document_read_clause(user))
            .order_by(*newest)
            .limit(LIMIT)
        )
        rows.update((d.id, d) for d in found)
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
    from emisa.discussions.operations import thread_title

    if not group_ids:
        return []
    thread, joined, seen, where = _unread_threads(user, group_ids)
    rows = db.session.execute(
        sa.select(thread, seen)
        .select_from(joined)
        .options(selectinload(thread.marked_recipients))
        .where(*where)
        .order_by(thread.last_activity_at.desc(), thread.id.desc())
        .limit(LIMIT)
    ).all()
    unread = {t.id: t.post_count - s for t, s in rows}
    return [
        Item(
            thread_title(t), t.tlp, f"/threads/{t.id}", t.group_id, t.last_activity_at, unread[t.id]
        )
        for t in filter_allowed(user, "read", [t for t, _s in rows])
    ]


def unread_posts_by_group(user, group_ids: list[int]) -> dict[int, int]:
    """Unread posts per group in the threads ``user`` may read (group cards), one query."""
    if not group_ids:
        return {}
    thread, joined, seen, where = _unread_threads(user, group_ids)
    rows = db.session.execute(
        sa.select(thread.group_id, sa.func.sum(thread.post_count - seen))
        .select_from(joined)
        .where(*where)
        .group_by(thread.group_id)
    )
    return {group_id: int(total) for group_id, total in rows}


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
