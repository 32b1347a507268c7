"""Search hits for threads and posts: loaded, checked with the policy, then decrypted."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from emisa.access import can
from emisa.access.discussions import post_body_read_clause, thread_read_clause
from emisa.discussions import operations as ops
from emisa.discussions.models import Post, Thread
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.search.index import SearchHit, register_kind
from emisa.text import to_plain_text


def _group_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(WorkingGroup.id, WorkingGroup.name).where(WorkingGroup.id.in_(ids))
        ).all()
    )


def thread_readable(user, item_id) -> sa.ColumnElement[bool]:
    return sa.exists().where(Thread.id == item_id, thread_read_clause(user))


def post_readable(user, item_id) -> sa.ColumnElement[bool]:
    return (
        sa.exists()
        .select_from(sa.join(Post, Thread, Thread.id == Post.thread_id))
        .where(Post.id == item_id, post_body_read_clause(user))
    )


def resolve_threads(user, ids: list[int]) -> list[SearchHit]:
    threads = [
        t
        for t in db.session.scalars(sa.select(Thread).where(Thread.id.in_(ids)))
        if can(user, "read", t)
    ]
    names = _group_names({t.group_id for t in threads})
    return [
        SearchHit(
            kind="thread",
            item_id=t.id,
            group_id=t.group_id,
            group_name=names.get(t.group_id, ""),
            title=ops.thread_title(t),
            excerpt="",
            url=url_for("discussions.thread", thread_id=t.id),
            tlp=t.tlp,
            when=t.last_activity_at,
        )
        for t in threads
    ]


def resolve_posts(user, ids: list[int]) -> list[SearchHit]:
    posts = [
        p
        for p in db.session.scalars(
            sa.select(Post).where(Post.id.in_(ids)).options(selectinload(Post.thread))
        )
        if can(user, "read_body", p)
    ]
    names = _group_names({p.group_id for p in posts})
    titles: dict[int, str] = {}
    hits = []
    for post in posts:
        if post.thread_id not in titles:
            titles[post.thread_id] = ops.thread_title(post.thread)
        hits.append(
            SearchHit(
                kind="post",
                item_id=post.id,
                group_id=post.group_id,
                group_name=names.get(post.group_id, ""),
                title=titles[post.thread_id],
                excerpt=to_plain_text(ops.post_html(post), 240),
                url=url_for("discussions.post_link", post_id=post.id),
                tlp=post.thread.tlp,
                when=post.edited_at or post.created_at,
            )
        )
    return hits


def register() -> None:
    register_kind("thread", thread_readable, resolve_threads)
    register_kind("post", post_readable, resolve_posts)
