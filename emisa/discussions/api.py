"""Threads and posts over the JSON API (paths and fields of CONTRACT.md)."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, request
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from emisa import audit
from emisa.access import require
from emisa.access.markings import Tlp
from emisa.api.blueprint import api_blueprint, errors, links
from emisa.api.pagination import Page, paginated
from emisa.api.schemas import DatabaseId, written
from emisa.discussions import operations as ops
from emisa.discussions.attachments import (
    MAX_ATTACHMENTS,
    attach,
    receive,
    wants_files,
)
from emisa.discussions.models import Post, Thread
from emisa.groups.models import WorkingGroup
from emisa.text.markdown import MAX_SOURCE_CHARS
from emisa.timeutil import rfc3339
from emisa.web import load_checked

blp = api_blueprint("api_discussions", __name__, "Discussion threads and posts")

TLP_VALUES = [label.value for label in Tlp]


class ThreadCreate(Schema):
    title = fields.String(required=True, validate=written(3, 200))
    body = fields.String(required=True, validate=written(), metadata={"description": "Markdown"})
    tlp = fields.String(required=True, validate=validate.OneOf(TLP_VALUES))
    releasable_to = fields.List(fields.String(), load_default=list)
    recipients = fields.List(
        DatabaseId(), load_default=list, metadata={"description": "TLP:RED: user ids"}
    )


class PostCreate(Schema):
    body = fields.String(required=True, validate=written(max_chars=MAX_SOURCE_CHARS))
    parent_id = DatabaseId(load_default=None, allow_none=True)


class PostEdit(Schema):
    body = fields.String(required=True, validate=written(max_chars=MAX_SOURCE_CHARS))


class ThreadUpdate(Schema):
    pinned = fields.Boolean()
    locked = fields.Boolean()


class HideBody(Schema):
    reason = fields.String(required=True, validate=written(3, 500))


class Created(Schema):
    id = fields.Integer()


class ThreadSummary(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    title = fields.String()
    tlp = fields.String()
    releasable_to = fields.List(fields.String())
    pinned = fields.Boolean()
    locked = fields.Boolean()
    post_count = fields.Integer()
    unread = fields.Integer(allow_none=True, metadata={"description": "null in a single thread"})
    author = fields.String()
    created_at = fields.DateTime()
    last_activity_at = fields.DateTime()


class AttachmentOut(Schema):
    id = fields.Integer(metadata={"description": "the document's id"})
    title = fields.String()
    filename = fields.String()
    tlp = fields.String()
    url = fields.String(metadata={"description": "GET: the document's metadata"})
    content_url = fields.String(metadata={"description": "GET: the exact bytes uploaded"})


class PostCreated(Schema):
    id = fields.Integer()
    attachments = fields.List(
        fields.Integer(), metadata={"description": "ids of the documents made from the files"}
    )


class PostOut(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    author = fields.String(metadata={"description": "display name"})
    author_id = fields.Integer(allow_none=True)
    author_country = fields.String()
    body_html = fields.String(allow_none=True, metadata={"description": "null: hidden/deleted"})
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    deleted = fields.Boolean()
    hidden = fields.Boolean()
    hidden_reason = fields.String(allow_none=True)
    depth = fields.Integer()
    attachments = fields.List(
        fields.Nested(AttachmentOut),
        metadata={"description": "attached documents the caller may read"},
    )


class Revision(Schema):
    written_at = fields.DateTime()
    body = fields.String(metadata={"description": "Markdown"})


class PostHistory(Schema):
    id = fields.Integer()
    current = fields.String(metadata={"description": "Markdown"})
    revisions = fields.List(fields.Nested(Revision))


class ThreadOut(ThreadSummary):
    recipients = fields.List(fields.Integer())
    posts = fields.List(fields.Nested(PostOut))


@blp.route("/groups/<int:gid>/threads", methods=["POST"])
@links(blp, 201, "GET /threads/{tid}", "PATCH /threads/{tid}", "POST /threads/{tid}/posts")
@blp.arguments(ThreadCreate)
@blp.response(201, Created)
@errors(blp, 400, 401, 403, 404)
def create_thread(body, gid: int):
    """Start a thread: title, Markdown body, TLP label, optional releasable-to countries."""
    group = load_checked(WorkingGroup, gid, "contribute")
    thread = ops.create_thread(
        group,
        current_user,
        body["title"],
        body["body"],
        body["tlp"],
        body["releasable_to"],
        body["recipients"],
    )
    return {"id": thread.id}


@blp.route("/groups/<int:gid>/threads")
@paginated(blp, ThreadSummary(many=True))
@errors(blp, 400, 401, 403, 404)
def list_threads(gid: int, page: Page):
    """The group's threads the caller may read: pinned first, then by last activity."""
    group = load_checked(WorkingGroup, gid, "read_content")
    rows, total = ops.visible_threads(current_user, group, page.number, page.size)
    items = [_summary(row.thread, row.title, row.unread, row.author_name) for row in rows]
    return page.answer(items, total)


def _summary(thread: Thread, title: str, unread: int | None, author: str) -> dict:
    return {
        "id": thread.id,
        "group_id": thread.group_id,
        "title": title,
        "tlp": thread.tlp,
        "releasable_to": thread.releasable_to,
        "pinned": thread.pinned,
        "locked": thread.locked,
        "post_count": thread.post_count,
        "unread": unread,
        "author": author,
        "created_at": thread.created_at,
        "last_activity_at": thread.last_activity_at,
    }


@blp.route("/threads/<int:tid>")
@blp.alt_response(200, schema=ThreadOut, description="The thread and its posts")
@errors(blp, 401, 404)
def get_thread(tid: int):
    """A thread with every post in reading order; hidden and deleted posts have no body."""
    thread = load_checked(Thread, tid, "read")
    views, _pages = ops.post_views(current_user, thread)
    audit.record_event("thread.read", target=thread, details={"api": True})
    ops.mark_seen(current_user, thread)
    # The thread's author wrote its first post: their name came with the posts.
    author = next((v.author_name for v in views if v.author_id == thread.author_id), None)
    if author is None:
        author = ops.names_of([thread.author_id]).get(thread.author_id, "former member")
    out = _iso(_summary(thread, ops.thread_title(thread), None, author))
    out["recipients"] = list(thread.recipient_ids)
    out["posts"] = [
        {
            "id": v.id,
            "parent_id": v.parent_id,
            "author": v.author_name,
            "author_id": v.author_id,
            "author_country": v.author_country,
            "body_html": v.html,
            # The views keep naive UTC text (the page adds its Z too).
            "created_at": v.created + "Z",
            "edited_at": v.edited + "Z" if v.edited else None,
            "deleted": v.deleted,
            "hidden": v.hidden,
            "hidden_reason": v.hidden_reason or None,
            "depth": v.depth,
            "attachments": [_attachment(a) for a in v.attachments],
        }
        for v in views
    ]
    # Built field by field above (the ThreadOut shape); serialised directly, as a thread
    # can hold thousands of posts and a schema pass per post costs more than the decryption.
    return current_app.json.response(out)


def _attachment(link) -> dict:
    return {
        "id": link.document_id,
        "title": link.title,
        "filename": link.filename,
        "tlp": link.tlp,
        "url": f"/api/v1/documents/{link.document_id}",
        "content_url": f"/api/v1/documents/{link.document_id}/content",
    }


def _iso(value: dict) -> dict:
    return {k: rfc3339(v) if isinstance(v, datetime) else v for k, v in value.items()}


_POST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": PostCreate},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["body"],
                "properties": {
                    "body": {"type": "string", "description": "Markdown"},
                    "parent_id": {"type": "integer"},
                    "file": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "maxItems": MAX_ATTACHMENTS,
                        "description": (
                            "Files to attach (repeat the part for several). Each becomes a "
                            "document in the thread's group with the thread's TLP label, "
                            "releasable-to countries and TLP:RED recipients; it is encrypted "
                            "as it arrives. The whole request is held to the upload size limit."
                        ),
                    },
                },
            },
            "encoding": {"file": {"contentType": "application/octet-stream"}},
        },
    },
}


def _post_input() -> dict:
    """The body fields from JSON, or from the form parts of a multipart request."""
    if request.mimetype == "multipart/form-data":
        raw = {key: request.form.get(key) for key in ("body", "parent_id") if request.form.get(key)}
    else:
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            abort(400, description="Send a JSON object, or a multipart form with files.")
    try:
        return PostCreate().load(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{name}: {(msgs[0] if isinstance(msgs, list) else msgs)}"
            for name, msgs in error.normalized_messages().items()
        )
        abort(400, description=f"Invalid input: {problems}")


@blp.route("/threads/<int:tid>/posts", methods=["POST"])
@links(
    blp,
    201,
    "PATCH /posts/{pid}",
    "DELETE /posts/{pid}",
    "POST /posts/{pid}/hide",
    "GET /posts/{pid}/history",
)
@blp.doc(requestBody=_POST_BODY)
@blp.response(201, PostCreated)
@errors(blp, 400, 401, 403, 404, 409, 413)
def create_post(tid: int):
    """Reply in a thread, optionally to one of its posts (``parent_id``), with files attached.

    JSON (``body``, ``parent_id``) or multipart (the same fields plus ``file`` parts).
    409 when the thread is locked. Deleting the post later keeps the attached documents:
    they belong to the group's document space.
    """
    thread = load_checked(Thread, tid, "reply")
    uploads = None
    if wants_files():
        uploads = receive(thread.group_id)
        thread = load_checked(Thread, tid, "reply")  # the body took a while: ask again
    body = _post_input()
    post = ops.add_post(thread, current_user, body["body"], body["parent_id"])
    documents = attach(post, thread, current_user, uploads) if uploads else []
    return {"id": post.id, "attachments": [d.id for d in documents]}


@blp.route("/threads/<int:tid>", methods=["PATCH"])
@blp.arguments(ThreadUpdate)
@blp.response(200, Created)
@errors(blp, 400, 401, 403, 404)
def update_thread(body, tid: int):
    """Pin or lock a thread (coordinators)."""
    thread = load_checked(Thread, tid, "moderate")
    if "pinned" in body:
        ops.set_pinned(thread, body["pinned"], current_user)
    if "locked" in body:
        ops.set_locked(thread, body["locked"], current_user)
    return {"id": thread.id}


@blp.route("/posts/<int:pid>", methods=["PATCH"])
@blp.arguments(PostEdit)
@blp.response(200, Created)
@errors(blp, 400, 401, 403, 404, 409)
def edit_post(body, pid: int):
    """Edit your own post; the earlier version is kept."""
    post = load_checked(Post, pid, "edit")
    ops.edit_post(post, body["body"], current_user)
    return {"id": post.id}


@blp.route("/posts/<int:pid>", methods=["DELETE"])
@blp.response(204)
@errors(blp, 401, 403, 404, 409)
def delete_post(pid: int):
    """Delete your own post; a tombstone keeps the thread readable."""
    post = load_checked(Post, pid, "delete")
    ops.delete_post(post, current_user)


@blp.route("/posts/<int:pid>/hide", methods=["POST"])
@blp.arguments(HideBody)
@blp.response(200, Created)
@errors(blp, 400, 401, 403, 404, 409)
def hide_post(body, pid: int):
    """Hide a post with a reason (coordinators); its author and coordinators still see it."""
    post = load_checked(Post, pid, "hide")
    ops.hide_post(post, body["reason"], current_user)
    return {"id": post.id}


@blp.route("/posts/<int:pid>/history")
@blp.alt_response(200, schema=PostHistory, description="The post's Markdown, then and now")
@errors(blp, 401, 403, 404)
def post_history(pid: int):
    """Earlier versions of a post's Markdown source (coordinators and the author)."""
    post = load_checked(Post, pid, "history")
    audit.record_event("post.history_read", target=post, group_id=post.group_id)
    return {
        "id": post.id,
        "current": ops.post_source(post),
        "revisions": [
            {"written_at": rfc3339(when), "body": body} for when, body in ops.revisions_of(post)
        ],
    }


__all__ = ["blp", "require"]
