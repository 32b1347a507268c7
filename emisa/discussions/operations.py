"""Discussion operations: threads, posts, edits, moderation, moves, reading.

Rights are checked by the caller through the access policy; these functions
enforce the state rules (a locked thread takes no posts, a reply stays in its
thread, a TLP:RED thread names its recipients), seal everything a person
wrote, keep the blind index in step and audit what they change. They flush,
never commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from emisa import audit
from emisa.access import can
from emisa.access.discussions import PostRights, could_read, thread_read_clause
from emisa.access.marked import narrowed, reseal_markings, seal_marking
from emisa.access.markings import InvalidMarking
from emisa.access.validation import apply_marking, validate_marking
from emisa.accounts.models import User
from emisa.crypto import keyring
from emisa.database import write_after_commit
from emisa.discussions.attachments import attachments_for, unlink_post
from emisa.discussions.models import Post, PostAttachment, PostRevision, Thread, ThreadRead
from emisa.extensions import db
from emisa.groups.models import Membership, WorkingGroup
from emisa.i18n import N_, format_datetime, format_number
from emisa.notifications.operations import followers_of, notify_users
from emisa.operations import OperationError
from emisa.signals import announce_removal, announce_text
from emisa.text import SANITISER_VERSION, extract_mentions, render_markdown, to_plain_text
from emisa.text.markdown import MAX_SOURCE_CHARS
from emisa.timeutil import utcnow
from emisa.web import page_count

PAGE_SIZE = 50  # posts per thread page
THREADS_PER_PAGE = 30
MAX_INDENT = 4  # deeper replies are shown at this indentation
MAX_TITLE = 200


LOCKED_MESSAGE = N_("This thread is locked by a coordinator: no new posts can be added.")


# Sealing


def thread_title(thread: Thread) -> str:
    return keyring.open_text(thread.group_id, thread.title_sealed, thread.title_aad())


def post_source(post: Post) -> str:
    if post.body_sealed is None:
        return ""
    return keyring.open_text(post.group_id, post.body_sealed, post.aad("body"))


def post_html(post: Post) -> str:
    """The sanitised HTML; rendered again from the source if an older sanitiser made it."""
    if post.html_sealed is None:
        return ""
    if post.sanitiser_version != SANITISER_VERSION:
        return render_markdown(post_source(post))
    return keyring.open_text(post.group_id, post.html_sealed, post.aad("html"))


def hidden_reason(post: Post) -> str:
    if post.hidden_reason_sealed is None:
        return ""
    return keyring.open_text(post.group_id, post.hidden_reason_sealed, post.aad("hidden-reason"))


def _seal_body(post: Post, source: str) -> str:
    html = render_markdown(source)
    post.body_sealed = keyring.seal_text(post.group_id, source, post.aad("body"))
    post.html_sealed = keyring.seal_text(post.group_id, html, post.aad("html"))
    post.sanitiser_version = SANITISER_VERSION
    return html


# Validation


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not 3 <= len(title) <= MAX_TITLE:
        raise OperationError(
            _("The title must be 3 to %(max_title)s characters long.", max_title=MAX_TITLE)
        )
    return title


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip("\n")
    if not body.strip():
        raise OperationError(_("Write something first: the post is empty."))
    if len(body) > MAX_SOURCE_CHARS:
        raise OperationError(
            _("A post can hold at most %(max)s characters.", max=format_number(MAX_SOURCE_CHARS)),
            413,
        )
    return body


def _members(group_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == group_id)
        )
    )


def _marking(group: WorkingGroup, author: User, tlp: str, releasable_to, recipient_ids):
    try:
        return validate_marking(
            group, author, tlp=tlp, releasable_to=releasable_to, recipients=recipient_ids
        )
    except InvalidMarking as error:
        raise OperationError(str(error)) from None


# Threads


def create_thread(
    group: WorkingGroup,
    author: User,
    title: str,
    body: str,
    tlp: str,
    releasable_to=None,
    recipient_ids=None,
) -> Thread:
    """A new thread with its opening post."""
    title, body = _clean_title(title), _clean_body(body)
    marking = _marking(group, author, tlp, releasable_to, recipient_ids)
    now = utcnow()
    thread = Thread(
        group_id=group.id,
        author_id=author.id,
        title_sealed=b"",
        pinned=False,
        locked=False,
        post_count=0,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(thread)
    apply_marking(thread, marking)  # flushes: the seal names the id
    thread.title_sealed = keyring.seal_text(group.id, title, thread.title_aad())
    announce_text(group.id, "thread", thread.id, title)
    audit.record(
        "thread.created",
        actor=author,
        target=thread,
        details={
            "tlp": marking.tlp.value,
            "releasable_to": marking.releasable_to,
            "recipients": marking.recipient_ids,
        },
    )
    add_post(thread, author, body, notify=False)
    _notify_new_thread(thread, author)
    return thread


def set_pinned(thread: Thread, pinned: bool, by: User) -> None:
    thread.pinned = pinned
    audit.record("thread.pinned" if pinned else "thread.unpinned", actor=by, target=thread)


def set_locked(thread: Thread, locked: bool, by: User) -> None:
    thread.locked = locked
    audit.record("thread.locked" if locked else "thread.unlocked", actor=by, target=thread)


def move_thread(thread: Thread, target: WorkingGroup, by: User) -> None:
    """Move the thread with all its posts to ``target``: re-seal under its key, re-index."""
    source_id = thread.group_id
    title = thread_title(thread)
    posts = list(db.session.scalars(sa.select(Post).where(Post.thread_id == thread.id)))
    revisions = list(
        db.session.scalars(
            sa.select(PostRevision).where(PostRevision.post_id.in_([p.id for p in posts]))
        )
    )
    opened = {}
    for post in posts:
        opened[post.id] = (post_source(post), hidden_reason(post))
    opened_revisions = {
        rev.id: keyring.open_text(source_id, rev.body_sealed, rev.aad()) for rev in revisions
    }
    # The restriction of the group it leaves travels with it, and its seal moves to the new key.
    source = db.session.get(WorkingGroup, source_id)
    thread.origin_countries = narrowed(thread.origin_countries, source.allowed_countries)
    thread.group_id = target.id
    for recipient in thread.marked_recipients:
        recipient.group_id = target.id
    seal_marking(thread)
    thread.title_sealed = keyring.seal_text(target.id, title, thread.title_aad())
    announce_text(target.id, "thread", thread.id, title)
    for post in posts:
        post.group_id = target.id
        source, reason = opened[post.id]
        if post.deleted_at is None:
            html = _seal_body(post, source)
            announce_text(target.id, "post", post.id, to_plain_text(html))
        if reason:
            post.hidden_reason_sealed = keyring.seal_text(
                target.id, reason, post.aad("hidden-reason")
            )
    for rev in revisions:
        rev.group_id = target.id
        rev.body_sealed = keyring.seal_text(target.id, opened_revisions[rev.id], rev.aad())
    db.session.flush()
    audit.record(
        "thread.moved",
        actor=by,
        target=thread,
        group_id=source_id,
        details={"from_group": source_id, "to_group": target.id},
    )


# Posts


def add_post(
    thread: Thread, author: User, body: str, parent_id: int | None = None, *, notify: bool = True
) -> Post:
    """One short transaction: claim a slot in the (unlocked) thread, insert, seal, index."""
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Post, parent_id)
        if parent is None or parent.thread_id != thread.id:
            raise OperationError(_("You can only reply to a post of the same thread."), 404)
    now = utcnow()
    # Atomic: a lock that commits first wins; this UPDATE also serialises writers on the row.
    claimed = db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id, Thread.locked.is_(False))
        .values(post_count=Thread.post_count + 1, last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise OperationError(_(LOCKED_MESSAGE), 409)
    post = Post(
        thread_id=thread.id,
        group_id=thread.group_id,
        author_id=author.id,
        parent_id=parent.id if parent else None,
        body_sealed=b"",
        html_sealed=b"",
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    html = _seal_body(post, body)
    announce_text(thread.group_id, "post", post.id, to_plain_text(html))
    audit.record("post.created", actor=author, target=post, group_id=thread.group_id)
    if notify:
        _notify_post(thread, author, post, parent, body)
    else:
        _notify_mentions(thread, author, post, body)
    return post


def edit_post(post: Post, body: str, by: User) -> None:
    body = _clean_body(body)
    previous = post_source(post)
    if previous == body:
        return
    revision = PostRevision(
        post_id=post.id,
        group_id=post.group_id,
        body_sealed=b"",
        written_at=post.edited_at or post.created_at,
        replaced_at=utcnow(),
    )
    db.session.add(revision)
    db.session.flush()
    revision.body_sealed = keyring.seal_text(post.group_id, previous, revision.aad())
    html = _seal_body(post, body)
    post.edited_at = revision.replaced_at
    announce_text(post.group_id, "post", post.id, to_plain_text(html))
    audit.record("post.edited", actor=by, target=post, group_id=post.group_id)


def delete_post(post: Post, by: User) -> None:
    """The author's delete: the text and its history are destroyed, a tombstone stays."""
    post.deleted_at = utcnow()
    post.body_sealed = post.html_sealed = None
    post.hidden_reason_sealed = None
    db.session.execute(sa.delete(PostRevision).where(PostRevision.post_id == post.id))
    unlink_post(post.id)  # attached documents stay in the group's document space
    announce_removal("post", post.id)
    audit.record("post.deleted", actor=by, target=post, group_id=post.group_id)


def hide_post(post: Post, reason: str, by: User) -> None:
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise OperationError(_("Give a reason for hiding the post (3 to 500 characters)."))
    if post.deleted_at is not None:
        raise OperationError(_("This post was deleted."), 409)
    post.hidden_at, post.hidden_by_id = utcnow(), by.id
    post.hidden_reason_sealed = keyring.seal_text(post.group_id, reason, post.aad("hidden-reason"))
    # The reason is the coordinator's text about content: sealed here, never in the audit log.
    audit.record("post.hidden", actor=by, target=post, group_id=post.group_id)


def unhide_post(post: Post, by: User) -> None:
    post.hidden_at = post.hidden_by_id = post.hidden_reason_sealed = None
    audit.record("post.unhidden", actor=by, target=post, group_id=post.group_id)


def revisions_of(post: Post) -> list[tuple[datetime, str]]:
    """(written at, source) of every earlier version, oldest first."""
    rows = db.session.scalars(
        sa.select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id)
    )
    return [
        (rev.written_at, keyring.open_text(post.group_id, rev.body_sealed, rev.aad()))
        for rev in rows
    ]


# Reading


@dataclass
class ThreadRow:
    thread: Thread
    title: str
    unread: int
    author_name: str


def visible_threads(
    user: User, group: WorkingGroup, page: int = 1, per_page: int = THREADS_PER_PAGE
) -> tuple[list[ThreadRow], int]:
    """One page of the group's threads ``user`` may read (pinned first, then by last
    activity) and how many there are in all.

    The database filters by the read rule's SQL twin, orders on the group's activity index
    and returns one page with its authors and read positions: one statement for the page,
    one for the count, and a title opened per thread shown, whatever the group's size.
    """
    readable = sa.and_(Thread.group_id == group.id, thread_read_clause(user))
    rows = db.session.execute(
        sa.select(Thread, User.name, ThreadRead.seen_count)
        .outerjoin(User, User.id == Thread.author_id)
        .outerjoin(
            ThreadRead, sa.and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id)
        )
        .where(readable)
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Thread).where(readable))
    result = [
        ThreadRow(
            thread=thread,
            title=thread_title(thread),
            unread=max(0, thread.post_count - (seen_count or 0)),
            author_name=author or "former member",
        )
        for thread, author, seen_count in rows
        if can(user, "read", thread)  # the rule itself has the last word on what is shown
    ]
    return result, total


def names_of(user_ids) -> dict[int, str]:
    """Display names of these accounts by id (None and deleted accounts left out)."""
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())


def _reading_order(pairs) -> list[tuple[int, int | None, int]]:
    """(post id, parent id, depth) in reading order, from (id, parent id) pairs sorted by id."""
    ids = {pid for pid, _parent in pairs}
    children: dict[int | None, list[int]] = defaultdict(list)
    parent_of = {}
    for pid, parent in pairs:
        parent_of[pid] = parent
        children[parent if parent in ids else None].append(pid)
    ordered: list[tuple[int, int | None, int]] = []
    stack = [(pid, 0) for pid in reversed(children[None])]
    while stack:
        post_id, depth = stack.pop()
        ordered.append((post_id, parent_of[post_id], depth))
        kids = children.get(post_id)
        if kids:
            stack.extend((child, depth + 1) for child in reversed(kids))
    return ordered


class Place(NamedTuple):
    """A post's place in its thread, and its author's name (a reply names whom it answers)."""

    id: int
    parent_id: int | None
    author_name: str | None


class ShownPost(NamedTuple):
    """What showing a post needs: no Markdown source (unless its HTML is stale), no ORM
    entity. A thread-read statement selects these fields by name, in this order, so a row
    becomes one of these with ``_make`` and is read by attribute at an index's cost (a
    post's row is read a dozen times; a SQLAlchemy row's attribute costs several times more)."""

    id: int
    parent_id: int | None
    author_id: int | None
    group_id: int
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    html_sealed: bytes | None
    hidden_reason_sealed: bytes | None
    sanitiser_version: int
    author_name: str | None
    author_country: str | None
    attached: bool


# The thread-read statements, built once at import (SQLAlchemy caches their compiled SQL):
# Core statements on the tables, whose rows skip the ORM's row processing.
_post, _author = Post.__table__.c, User.__table__.c
_COLUMNS = {
    **{column.name: column for column in Post.__table__.columns},
    "author_name": _author.name,
    "author_country": _author.country,
    # Most threads have no attachments: then their query is not run at all.
    "attached": sa.exists().where(PostAttachment.__table__.c.post_id == _post.id),
}


def _selecting(shape: type[NamedTuple]) -> sa.Select:
    """The posts of one thread, with their authors, as the fields of ``shape``, in order."""
    return (
        sa.select(*(_COLUMNS[name].label(name) for name in shape._fields))
        .select_from(Post.__table__.outerjoin(User.__table__, _author.id == _post.author_id))
        .where(_post.thread_id == sa.bindparam("thread_id"))
        .order_by(_post.id)
    )


_PLACES = _selecting(Place)
_SHOWN = _selecting(ShownPost)
_SHOWN_AMONG = _SHOWN.where(_post.id.in_(sa.bindparam("ids", expanding=True)))
_reads = ThreadRead.__table__.c
_SEEN_COUNT = sa.select(_reads.seen_count).where(
    _reads.user_id == sa.bindparam("user_id"), _reads.thread_id == sa.bindparam("thread_id")
)


def ordered_post_ids(thread_id: int) -> list[tuple[int, int | None, int]]:
    """(post id, parent id, depth) of every post, in reading order (replies under their parent)."""
    places = _read(Place, _PLACES, thread_id=thread_id)
    return _reading_order([(place.id, place.parent_id) for place in places])


def page_of_post(thread_id: int, post_id: int) -> int | None:
    for index, (pid, _parent, _depth) in enumerate(ordered_post_ids(thread_id)):
        if pid == post_id:
            return index // PAGE_SIZE + 1
    return None


@dataclass(slots=True)
class PostView:
    """One post as one reader may see it: plain values the page and the API read, opened
    for this request only."""

    id: int
    parent_id: int | None
    author_id: int | None
    deleted: bool
    hidden: bool
    depth: int
    author_name: str
    author_country: str
    html: str | None  # None: the reader may not see the text (hidden or deleted)
    hidden_reason: str = ""
    can_edit: bool = False
    can_moderate: bool = False
    can_history: bool = False
    parent_author: str = ""
    # The post's attached documents the reader may read (others are left out, unnamed).
    attachments: list = field(default_factory=list)
    # ISO 8601 (UTC) once per post, for the page and the API alike; "" when never edited.
    created: str = ""
    edited: str = ""

    @property
    def indent(self) -> int:
        return min(self.depth, MAX_INDENT)

    @property
    def created_label(self) -> str:
        return _shown_time(self.created)

    @property
    def edited_label(self) -> str:
        return _shown_time(self.edited)


def _shown_time(iso: str) -> str:
    """The UTC ISO instant as the reader reads times: their locale, zone and digits."""
    return format_datetime(datetime.fromisoformat(iso)) if iso else ""


def _read(shape: type[NamedTuple], statement, **parameters) -> list:
    """The rows of a statement that selects ``shape``'s fields (``_selecting``), as ``shape``s."""
    return list(map(shape._make, db.session.execute(statement, parameters).all()))


def _open_column(rows, column: str, aad_name: str) -> dict[int, str]:
    """One sealed field of many post rows, opened in one batch per group key."""
    by_group: dict[int, list] = defaultdict(list)
    for row in rows:
        by_group[row.group_id].append(row)
    opened: dict[int, str] = {}
    for group_id, chunk in by_group.items():
        sealed = [(getattr(row, column), f"post:{row.id}:{aad_name}") for row in chunk]
        opened.update(
            zip([row.id for row in chunk], keyring.open_texts(group_id, sealed), strict=True)
        )
    return opened


def _open_html(rows) -> dict[int, str]:
    """The sanitised HTML of ``rows``; HTML made by an older sanitiser is rendered again."""
    current = [row for row in rows if row.sanitiser_version == SANITISER_VERSION]
    html = _open_column(current, "html_sealed", "html")
    stale = [row.id for row in rows if row.sanitiser_version != SANITISER_VERSION]
    if stale:
        sources = db.session.execute(
            sa.select(Post.id, Post.group_id, Post.body_sealed).where(Post.id.in_(stale))
        )
        for post_id, group_id, body in sources:
            html[post_id] = render_markdown(
                keyring.open_text(group_id, body, f"post:{post_id}:body")
            )
    return html


def post_views(user: User, thread: Thread, page: int | None = None) -> tuple[list[PostView], int]:
    """The posts of one page (all pages when ``page`` is None) as ``user`` may see them.

    The caller checked the thread's read right. Each post's rights come from the post rules
    (``PostRights``: the thread's rights asked once, then each row's state). Content is
    decrypted for this request only and never cached.
    """
    user = getattr(user, "_get_current_object", lambda: user)()
    if page is None:
        rows = places = _read(ShownPost, _SHOWN, thread_id=thread.id)
    else:
        places = _read(Place, _PLACES, thread_id=thread.id)
    ordered = _reading_order([(place.id, place.parent_id) for place in places])
    pages = page_count(len(ordered), PAGE_SIZE)
    author_names = {place.id: place.author_name for place in places}
    if page is not None:
        ordered = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        wanted = [post_id for post_id, _parent, _depth in ordered]
        rows = _read(ShownPost, _SHOWN_AMONG, thread_id=thread.id, ids=wanted) if wanted else []
    by_id = {row.id: row for row in rows}
    rights = PostRights(user, thread)
    visible = [row for row in rows if rights.read_body(row)]
    html = _open_html(visible)
    hidden = [row for row in visible if row.hidden_at is not None and row.hidden_reason_sealed]
    reasons = _open_column(hidden, "hidden_reason_sealed", "hidden-reason")
    attached = attachments_for(user, thread, [row.id for row in visible if row.attached])
    views = []
    for post_id, parent_id, depth in ordered:
        row = by_id[post_id]
        deleted = row.deleted_at is not None
        views.append(
            PostView(
                id=post_id,
                parent_id=parent_id,
                author_id=row.author_id,
                deleted=deleted,
                hidden=row.hidden_at is not None,
                depth=depth,
                author_name=row.author_name or "former member",
                author_country=row.author_country or "",
                html=html.get(post_id),
                hidden_reason=reasons.get(post_id, ""),
                can_edit=bool(rights.edit(row)),
                can_moderate=rights.moderator and not deleted,
                can_history=row.edited_at is not None and bool(rights.history(row)),
                parent_author=(author_names.get(parent_id) or "") if parent_id else "",
                attachments=attached.get(post_id) or [],
                created=row.created_at.isoformat(),
                edited=row.edited_at.isoformat() if row.edited_at is not None else "",
            )
        )
    return views, pages


def mark_seen(user: User, thread: Thread) -> None:
    """Remember that ``user`` saw every post so far, once the request succeeded.

    Called from reading requests: the upsert is left to the request's boundary
    (``write_after_commit``), which runs it once the request committed; skipped when
    nothing changed.
    """
    current = db.session.scalar(_SEEN_COUNT, {"user_id": user.id, "thread_id": thread.id})
    if current is not None and current >= thread.post_count:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ThreadRead).values(
        user_id=user.id, thread_id=thread.id, seen_count=thread.post_count, seen_at=utcnow()
    )
    write_after_commit(
        statement.on_conflict_do_update(
            index_elements=["user_id", "thread_id"],
            set_={
                "seen_count": statement.excluded.seen_count,
                "seen_at": statement.excluded.seen_at,
            },
        )
    )


def first_post(thread: Thread) -> Post | None:
    return db.session.scalar(
        sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.id).limit(1)
    )


# Notifications: who did what where, never a title or a body (see emisa.notifications).


def _readers(user_ids, thread: Thread, exclude: int) -> list[int]:
    ids = {uid for uid in user_ids if uid is not None and uid != exclude}
    if not ids:
        return []
    users = db.session.scalars(sa.select(User).where(User.id.in_(ids)))
    return [u.id for u in users if could_read(u, thread)]


def _post_link(thread: Thread, post: Post) -> str:
    return f"/posts/{post.id}"


def _thread_params(thread: Thread, author: User) -> dict:
    """Who, which group, which label: never the title or the text (notices are stored in
    clear and may be mailed)."""
    group = db.session.get(WorkingGroup, thread.group_id)
    return {"actor": author.name, "group": group.name, "tlp": thread.tlp}


def _notify_mentions(thread: Thread, author: User, post: Post, body: str) -> set[int]:
    if "@" not in body:  # nobody can be named: the members are not even loaded
        return set()
    members = [(m.id, m.name) for m in _members(thread.group_id)]
    mentioned = _readers(extract_mentions(body, members), thread, author.id)
    if mentioned:
        notify_users(
            mentioned,
            "mention",
            _thread_params(thread, author),
            _post_link(thread, post),
            subject=f"thread:{thread.id}",
        )
    return set(mentioned)


def _notify_post(thread: Thread, author: User, post: Post, parent: Post | None, body: str) -> None:
    mentioned = _notify_mentions(thread, author, post, body)
    replied_to = parent.author_id if parent is not None else thread.author_id
    targets = [uid for uid in _readers([replied_to], thread, author.id) if uid not in mentioned]
    if targets:
        notify_users(
            targets,
            "reply",
            _thread_params(thread, author),
            _post_link(thread, post),
            subject=f"thread:{thread.id}",
        )


def _notify_new_thread(thread: Thread, author: User) -> None:
    targets = _readers(followers_of(thread.group_id), thread, author.id)
    if targets:
        notify_users(
            targets,
            "new_thread",
            _thread_params(thread, author),
            f"/threads/{thread.id}",
            subject=f"thread:{thread.id}",
        )


# Key rotation and group deletion


def reseal_group(group_id: int, _old_versions: list[int], _new_version: int) -> None:
    """Group key rotation hook: every sealed discussion field moves to the new key version."""
    reseal_markings(Thread, group_id)
    for thread in db.session.scalars(sa.select(Thread).where(Thread.group_id == group_id)):
        thread.title_sealed = keyring.reseal(group_id, thread.title_sealed, thread.title_aad())
    for post in db.session.scalars(sa.select(Post).where(Post.group_id == group_id)):
        for name, column in (
            ("body", "body_sealed"),
            ("html", "html_sealed"),
            ("hidden-reason", "hidden_reason_sealed"),
        ):
            blob = getattr(post, column)
            if blob:
                setattr(post, column, keyring.reseal(group_id, blob, post.aad(name)))
    for rev in db.session.scalars(sa.select(PostRevision).where(PostRevision.group_id == group_id)):
        rev.body_sealed = keyring.reseal(group_id, rev.body_sealed, rev.aad())
    db.session.flush()


def delete_group_content(_sender, group_id: int, **_extra) -> None:
    """Receiver of ``group_deleting``: the rows go with the group (their keys are shredded)."""
    thread_ids = list(db.session.scalars(sa.select(Thread.id).where(Thread.group_id == group_id)))
    if thread_ids:
        post_ids = list(
            db.session.scalars(sa.select(Post.id).where(Post.thread_id.in_(thread_ids)))
        )
        db.session.execute(sa.delete(PostRevision).where(PostRevision.post_id.in_(post_ids)))
        db.session.execute(sa.delete(PostAttachment).where(PostAttachment.post_id.in_(post_ids)))
        db.session.execute(sa.update(Post).where(Post.id.in_(post_ids)).values(parent_id=None))
        db.session.execute(sa.delete(Post).where(Post.id.in_(post_ids)))
        db.session.execute(sa.delete(ThreadRead).where(ThreadRead.thread_id.in_(thread_ids)))
        db.session.execute(sa.delete(Thread).where(Thread.id.in_(thread_ids)))


def rerender_stale(batch: int = 500) -> int:
    """Re-render and re-seal the HTML of posts made by another sanitiser version."""
    done = 0
    while True:
        posts = list(
            db.session.scalars(
                sa.select(Post)
                .where(Post.sanitiser_version != SANITISER_VERSION, Post.deleted_at.is_(None))
                .limit(batch)
            )
        )
        if not posts:
            return done
        for post in posts:
            _seal_body(post, post_source(post))
        db.session.flush()
        done += len(posts)
        current_app.logger.info("re-rendered %d posts", done)
