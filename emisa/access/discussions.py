"""Rules for discussion threads and posts.

Reading follows the thread's marking (``read_marked``) inside a group the user
may see; writing needs the group's ``contribute`` right, moderating its
``moderate`` right. A hidden post's text is for its author and the group's
coordinators; a deleted post's text is for nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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


# The post rules' answers, made once: a page asks them of every post it shows.
_READER = allow("reader")
_AUTHOR_OR_COORDINATOR = allow("author or coordinator")
_DELETED = deny("This post was deleted by its author.", hide=True)
_HIDDEN = deny("This post was hidden by a coordinator.", hide=True)
_NOT_AUTHOR = deny("Only the author can change or delete a post.")
_ALREADY_DELETED = deny("This post was deleted.", status=409)
_HISTORY_DELETED = deny("This post was deleted.", hide=True)
_NOT_COORDINATOR = deny("Only coordinators can see a post's earlier versions.")


class PostRights:
    """One reader's rights over the posts of one thread. Posts inherit the thread's marking,
    so the thread's rights are asked once, when a post first needs them; each post then
    answers from its own state (deleted, hidden, author), whether it is an ORM entity or a
    light row of the thread page. The post rules below are these methods."""

    def __init__(self, user, thread):
        self.user, self.thread = user, thread

    @cached_property
    def read(self) -> Decision:
        actor = actor_decision(self.user)
        return _read_thread(self.user, self.thread) if actor else actor

    @cached_property
    def moderator(self) -> bool:
        return bool(self.read) and bool(moderate_group(self.user, self.thread.group))

    @cached_property
    def contribute(self) -> Decision:
        return contribute_to_group(self.user, self.thread.group) if self.read else self.read

    def read_body(self, post) -> Decision:
        if not self.read:
            return self.read
        if post.deleted_at is not None:
            return _DELETED
        if post.hidden_at is not None and post.author_id != self.user.id and not self.moderator:
            return _HIDDEN
        return _READER

    def edit(self, post) -> Decision:
        if not self.read:
            return self.read
        if post.author_id != self.user.id:
            return _NOT_AUTHOR
        if post.deleted_at is not None:
            return _ALREADY_DELETED
        return self.contribute

    def history(self, post) -> Decision:
        """Earlier versions: the group's coordinators, and the author of the post."""
        if not self.read:
            return self.read
        if post.deleted_at is not None:
            return _HISTORY_DELETED
        if post.author_id == self.user.id or self.moderator:
            return _AUTHOR_OR_COORDINATOR
        return _NOT_COORDINATOR


@rule("post", "read")
def _read_post(user, post) -> Decision:
    """The post's place in the thread (author, time, tombstone); its text is ``read_body``."""
    return _read_thread(user, post.thread)


@rule("post", "read_body")
def _read_body(user, post) -> Decision:
    return PostRights(user, post.thread).read_body(post)


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
    return PostRights(user, post.thread).edit(post)


@rule("post", "hide")
def _hide(user, post) -> Decision:
    return _moderate_thread(user, post.thread)


@rule("post", "history")
def _history(user, post) -> Decision:
    return PostRights(user, post.thread).history(post)


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
