"""Rules for discussion threads and posts.

Reading follows the thread's marking (``read_marked``) inside a group the user
may see; writing needs the group's ``contribute`` right, moderating its
``moderate`` right. A hidden post's text is for its author and the group's
coordinators; a deleted post's text is for nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from emisa.access.decision import Decision, allow, deny
from emisa.access.groups import contribute_to_group, in_visible_group, moderate_group, view_group
from emisa.access.marked import read_marked
from emisa.access.membership import member_group_ids, memberships_of
from emisa.access.policy import actor_decision, rule
from emisa.access.roles import GroupRole
from emisa.access.sql import readable_clause


@rule("thread", "read")
def _read_thread(user, thread) -> Decision:
    seen = view_group(user, thread.group)
    if not seen:
        return seen
    return read_marked(user, thread)


def thread_read_clause(user) -> ColumnElement[bool]:
    """SQL twin of the ``read`` rule above, for paging and counting thread lists."""
    from emisa.discussions.models import Thread

    if not actor_decision(user):
        return sa.false()
    return sa.and_(
        in_visible_group(user, Thread.group_id),
        readable_clause(user, Thread.marked_columns(), member_group_ids(user)),
    )


def post_body_read_clause(user) -> ColumnElement[bool]:
    """SQL twin of ``read_body`` below, over posts joined to their thread."""
    from emisa.discussions.models import Post, Thread

    if not actor_decision(user):
        return sa.false()
    coordinated = [
        group_id
        for group_id, membership in memberships_of(user).items()
        if membership.role == GroupRole.COORDINATOR
    ]
    return sa.and_(
        thread_read_clause(user),
        Post.deleted_at.is_(None),
        sa.or_(
            Post.hidden_at.is_(None),
            Post.author_id == user.id,
            Thread.group_id.in_(coordinated),
        ),
    )


def _readable_then(user, thread, check) -> Decision:
    readable = _read_thread(user, thread)
    return check() if readable else readable


@rule("thread", "reply")
def _reply(user, thread) -> Decision:
    """Posting in a thread: readers who may contribute to its group (lock is a state rule)."""
    return _readable_then(user, thread, lambda: contribute_to_group(user, thread.group))


@rule("thread", "moderate")
def _moderate_thread(user, thread) -> Decision:
    """Pin, lock, hide posts, see edit histories: the group's coordinators who can read it."""
    return _readable_then(user, thread, lambda: moderate_group(user, thread.group))


@dataclass(frozen=True)
class ThreadMove:
    """Moving ``thread`` into ``target`` (another group), as one question to the policy."""

    __policy_type__ = "thread_move"
    thread: Any
    target: Any


@rule("thread_move", "perform")
def _move(user, move: ThreadMove) -> Decision:
    thread, target = move.thread, move.target
    decision = _moderate_thread(user, thread)
    if not decision:
        return decision
    if target.id == thread.group_id:
        return deny("The thread is already in this group.", status=409)
    tlp = thread.label
    if not (tlp.library_visible or tlp.reshareable):
        return deny("TLP:RED and TLP:AMBER+STRICT threads never leave their group.")
    decision = moderate_group(user, target)
    if not decision:
        return deny("You can only move threads to groups you coordinate.")
    countries = set(thread.releasable_to or ())
    if target.allowed_countries and countries and not countries & set(target.allowed_countries):
        return deny("Nobody in that group may read this thread's releasable-to countries.")
    return allow("coordinator of both groups")


def _moderator(user, post) -> bool:
    return bool(moderate_group(user, post.thread.group))


@rule("post", "read")
def _read_post(user, post) -> Decision:
    """The post's place in the thread (author, time, tombstone); its text is ``read_body``."""
    return _read_thread(user, post.thread)


@rule("post", "read_body")
def _read_body(user, post) -> Decision:
    def check() -> Decision:
        if post.deleted_at is not None:
            return deny("This post was deleted by its author.", hide=True)
        if post.hidden_at is not None and post.author_id != user.id and not _moderator(user, post):
            return deny("This post was hidden by a coordinator.", hide=True)
        return allow("reader")

    return _readable_then(user, post.thread, check)


def attachment_of_hidden_post(user, document) -> Decision | None:
    """A denial if ``document`` is attached to a hidden post whose text ``user`` may not read.

    None when no such post exists: the document's own marking decides alone.
    """
    for post in document.hidden_posts:
        decision = _read_body(user, post)
        if not decision:
            return deny("This file is attached to a post a coordinator hid.", hide=True)
    return None


@rule("post", "edit", "delete")
def _edit_own(user, post) -> Decision:
    def check() -> Decision:
        if post.author_id != user.id:
            return deny("Only the author can change or delete a post.")
        if post.deleted_at is not None:
            return deny("This post was deleted.", status=409)
        return contribute_to_group(user, post.thread.group)

    return _readable_then(user, post.thread, check)


@rule("post", "hide")
def _hide(user, post) -> Decision:
    return _moderate_thread(user, post.thread)


@rule("post", "history")
def _history(user, post) -> Decision:
    """Earlier versions: the group's coordinators, and the author of the post."""

    def check() -> Decision:
        if post.deleted_at is not None:
            return deny("This post was deleted.", hide=True)
        if post.author_id == user.id or _moderator(user, post):
            return allow("author or coordinator")
        return deny("Only coordinators can see a post's earlier versions.")

    return _readable_then(user, post.thread, check)


@rule("notification", "open")
def _open_notification(user, notification) -> Decision:
    """A notification is its recipient's alone."""
    if notification.user_id == user.id:
        return allow("recipient")
    return deny("Not your notification.", hide=True)


def could_read(user, thread) -> bool:
    """Would ``user`` be allowed to read ``thread`` once signed in? For choosing whom to notify:
    the account must be usable and the same read rule must allow it."""
    return bool(user.is_usable and _read_thread(user, thread))
