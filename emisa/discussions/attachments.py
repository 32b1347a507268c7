"""Files attached to posts: documents in the thread's group, with the thread's marking.

The bytes never touch the disk in clear: this module only prepares the
documents feature's own streaming upload (``emisa.documents.upload``: every
file part of the request goes into an ``EncryptingSink`` under a fresh data
key) for several files in one request, then stores each finished upload with
``emisa.documents.operations.create_document`` and links it to the post.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from emisa.access import filter_allowed
from emisa.access.marked import narrowed
from emisa.access.validation import ValidMarking
from emisa.accounts.models import User
from emisa.discussions.models import Post, PostAttachment, Thread
from emisa.documents import operations as documents
from emisa.documents.models import Document
from emisa.documents.upload import UploadTarget, declare_upload, human_size
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.operations import OperationError

MAX_ATTACHMENTS = 10  # files per post
ATTACH_HELP = _l(
    "Up to %(num)s files. Each goes into this group's documents, encrypted, with the "
    "thread's TLP label, releasable-to countries and recipients. Deleting the post keeps them.",
    num=MAX_ATTACHMENTS,
)


class TooManyFiles(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Attach at most %(num)s files to one post; nothing was stored.",
                num=MAX_ATTACHMENTS,
            )
        )


class AttachmentUploads:
    """Stands where the documents feature expects one ``UploadTarget`` for the request.

    The request (``emisa.limits.PlatformRequest``) asks it for a sink per file part; each part
    gets its own target (data key, blob id) prepared before the body was read.
    """

    def __init__(self, targets: list[UploadTarget]):
        self._spare = list(targets)
        self.used: list[UploadTarget] = []

    def open_sink(self, filename: str | None, content_type: str | None):
        if not self._spare:
            raise TooManyFiles()
        target = self._spare.pop(0)
        self.used.append(target)
        return target.open_sink(filename, content_type)

    @property
    def files(self) -> list[UploadTarget]:
        """The parts that carry a file (a form's empty file input sends a nameless empty part)."""
        return [t for t in self.used if t.sink is not None and (t.sink.named or t.sink.size)]

    def discard(self) -> None:
        for target in self.used:
            if target.sink is not None:
                target.sink.discard()


def wants_files() -> bool:
    return request.mimetype == "multipart/form-data"


def receive(group_id: int) -> AttachmentUploads:
    """Prepare keys for the request's files, release the database, then read the body.

    The caller checked that the user may post here and checks again afterwards
    (the body can take a while). Mirrors ``emisa.documents.http.receive_upload``
    for several files: a slow upload holds no SQLite write lock or row lock. Should the
    request roll back, every file received is discarded.
    """
    from emisa.database import commit, on_rollback

    # The size of the whole request is held to the upload limit, the quota checked.
    first = documents.begin_upload(group_id, request.content_length)
    targets = [first] + [documents.begin_upload(group_id, None) for _ in range(MAX_ATTACHMENTS - 1)]
    uploads = AttachmentUploads(targets)
    declare_upload(uploads)  # type: ignore[arg-type]
    commit()
    on_rollback(uploads.discard)
    try:
        request.form  # noqa: B018  (parses the body: every file goes through a sink)
    except RequestEntityTooLarge as error:
        raise OperationError(str(error.description), 413) from None
    except HTTPException as error:
        raise OperationError(str(error.description), error.code or 400) from None
    return uploads


def _marking(thread: Thread, group: WorkingGroup) -> documents.MarkingInput:
    """The thread's own marking, restrictions it carries and recipients included."""
    return documents.MarkingInput(
        ValidMarking(
            tlp=thread.label,
            releasable_to=list(thread.releasable_to or ()),
            origin_countries=narrowed(group.allowed_countries, thread.origin_countries),
            recipients=thread.named_recipients,
        )
    )


def attach(post: Post, thread: Thread, author: User, uploads: AttachmentUploads) -> list[Document]:
    """Store each received file as a document of the thread's group and link it to ``post``.

    Flushed, not committed: the request's boundary commits, or rolls back and discards the
    files (``receive``), so that no blob outlives a refused request.
    """
    files = uploads.files
    if not files:
        return []
    if any(t.group_id != thread.group_id for t in files):
        raise OperationError(
            "The thread was moved to another group while the files were sent; attach them again.",
            409,
        )
    group = db.session.get(WorkingGroup, thread.group_id)
    marking = _marking(thread, group)
    attached = []
    for position, target in enumerate(files):
        documents.complete_upload(target)
        document = documents.create_document(
            group,
            author,
            target,
            title=target.sink.filename,
            description="",
            tags=[],
            marking=marking,
        )
        db.session.add(PostAttachment(post_id=post.id, document_id=document.id, position=position))
        attached.append(document)
    db.session.flush()
    return attached


@dataclass(frozen=True)
class AttachmentLink:
    document_id: int
    title: str
    filename: str
    size: str
    tlp: str


@cache
def _links_statement():
    return (
        sa.select(PostAttachment.post_id, PostAttachment.document_id)
        .join(Post, Post.id == PostAttachment.post_id)
        .where(Post.thread_id == sa.bindparam("thread_id"))
        .order_by(PostAttachment.post_id, PostAttachment.position)
    )


def attachments_for(user: User, thread: Thread, post_ids: list[int]) -> dict[int, list]:
    """The attachments of ``post_ids`` that ``user`` may read, by post, in attaching order.

    One query finds the links of the thread; documents the reader may not read are
    left out without a trace.
    """
    if not post_ids:
        return {}
    links = db.session.execute(_links_statement(), {"thread_id": thread.id}).all()
    wanted = set(post_ids)
    links = [link for link in links if link.post_id in wanted]
    if not links:
        return {}
    docs = db.session.scalars(
        documents.documents_query().where(Document.id.in_({link.document_id for link in links}))
    )
    readable = {d.id: d for d in filter_allowed(user, "read", docs)}
    result: dict[int, list] = defaultdict(list)
    for link in links:
        document = readable.get(link.document_id)
        if document is None:
            continue
        latest = document.latest
        result[link.post_id].append(
            AttachmentLink(
                document_id=document.id,
                title=documents.read_fields(document).title,
                filename=documents.version_filename(latest),
                size=human_size(latest.size),
                tlp=document.tlp,
            )
        )
    return result


def unlink_post(post_id: int) -> None:
    """The post is deleted: its links go, the documents stay in the document space."""
    db.session.execute(sa.delete(PostAttachment).where(PostAttachment.post_id == post_id))


def unlink_document(_sender, kind: str = "", item_id: int | None = None, **_extra) -> None:
    """Receiver of ``content_removed``: a deleted document leaves no dangling link."""
    if kind == "document" and item_id is not None:
        db.session.execute(sa.delete(PostAttachment).where(PostAttachment.document_id == item_id))
