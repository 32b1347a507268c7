"""Document operations: upload, versions, reading, deletion, re-sharing, publishing, keys.

Rights are checked by the caller through the access policy; these functions
enforce the state rules (valid markings, recipients, quota) and audit what
they change. They flush, never commit. Sealed fields are opened here and only
held in memory for the request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from emisa import audit
from emisa.access import can, could
from emisa.access import validation as marking_rules
from emisa.access.documents import document_read_clause
from emisa.access.marked import reseal_markings, seal_marking
from emisa.access.markings import InvalidMarking
from emisa.access.membership import member_group_ids
from emisa.access.roles import GroupRole
from emisa.access.validation import ValidMarking
from emisa.accounts.models import User
from emisa.crypto import keyring
from emisa.crypto.errors import CryptoError
from emisa.crypto.stream import SEALED_SEGMENT_SIZE, decrypt_stream, iter_chunks, verify_stream
from emisa.documents.models import (
    HANDLING_CODES,
    Document,
    DocumentShare,
    DocumentShareKey,
    DocumentVersion,
)
from emisa.documents.upload import UploadTarget, declare_upload, human_size
from emisa.extensions import db
from emisa.groups.models import Membership, WorkingGroup
from emisa.operations import OperationError
from emisa.signals import announce_removal, announce_text, notify
from emisa.storage import BlobNotFound, blobs
from emisa.timeutil import utcnow

log = logging.getLogger(__name__)
_DOOMED = "emisa.documents.doomed_blobs"
# Files up to this size are decrypted into memory in one pass; larger ones are verified first.
SINGLE_PASS_LIMIT = 8 * 1024 * 1024
READ_CHUNK = SEALED_SEGMENT_SIZE * 16


class ContentUnavailable(Exception):
    """The stored file is missing, fails authentication or its key is gone."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Blobs are destroyed only once the rows (and so the wrapped data keys) are gone for good.


def _doom_blobs(blob_ids: list[str]) -> None:
    db.session.info.setdefault(_DOOMED, []).extend(blob_ids)


@sa.event.listens_for(Session, "after_commit")
def _delete_doomed_blobs(session: Session) -> None:
    doomed = session.info.pop(_DOOMED, None)
    for blob_id in doomed or ():
        try:
            blobs.delete(blob_id)
        except OSError:
            # The key is already destroyed; fsck removes what is left.
            log.exception("could not delete blob %s of a deleted document", blob_id)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_doomed_blobs(session: Session, previous_transaction: object) -> None:
    session.info.pop(_DOOMED, None)


# Markings


@dataclass
class MarkingInput:
    """A document's checked marking and its handling code (documents alone have one)."""

    marking: ValidMarking
    handling_code: str | None = None
    handling_conditions: str = ""


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [str(part).strip() for part in value if str(part).strip()]


def parse_tags(value) -> list[str]:
    tags = []
    for tag in _split(value):
        tag = " ".join(tag.lower().split())[:40]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > 20:
        raise OperationError(_("Give at most 20 topic tags."))
    return tags


def validate_marking(
    group: WorkingGroup,
    uploader: User,
    *,
    tlp,
    releasable_to=None,
    handling_code=None,
    handling_conditions="",
    recipients=None,
) -> MarkingInput:
    """Check a marking as a whole; every problem is a sentence the uploader can act on."""
    try:
        marking = marking_rules.validate_marking(
            group, uploader, tlp=tlp, releasable_to=_split(releasable_to), recipients=recipients
        )
    except InvalidMarking as error:
        raise OperationError(str(error)) from None
    code = (handling_code or "").strip().upper() or None
    if code is not None and code not in HANDLING_CODES:
        raise OperationError(
            _(
                "'%(handling_code)s' is not a handling code; use H0, H1, H2 or H3.",
                handling_code=handling_code,
            )
        )
    conditions = (handling_conditions or "").strip()
    if code == "H3" and not conditions:
        raise OperationError(_("Handling code H3 needs the conditions written out."))
    if code != "H3":
        conditions = ""
    if len(conditions) > 2000:
        raise OperationError(_("Handling conditions are limited to 2000 characters."))
    return MarkingInput(marking, code, conditions)


def validate_text(title: str | None, description: str | None) -> tuple[str, str]:
    title = " ".join((title or "").split())
    description = (description or "").strip()
    if not 1 <= len(title) <= 200:
        raise OperationError(_("Give the document a title of 1 to 200 characters."))
    if len(description) > 5000:
        raise OperationError(_("The description is limited to 5000 characters."))
    return title, description


# Uploading


def begin_upload(group_id: int, declared_length: int | None) -> UploadTarget:
    """Prepare the data key and blob id of one file; the file itself is read after this.

    Refuses early (413/409) when the request's declared length already says the
    file is too large, so nothing is read or stored.
    """
    config = current_app.config
    max_bytes = int(config["EMISA_MAX_UPLOAD_BYTES"])
    if declared_length is not None and declared_length > max_bytes + 64 * 1024:
        raise OperationError(
            _(
                "The file is larger than the maximum upload size of %(max)s; nothing was stored.",
                max=human_size(max_bytes),
            ),
            413,
            "too_large",
        )
    if declared_length is not None:
        _check_quota(group_id, max(0, declared_length - 64 * 1024))
    target = UploadTarget(group_id=group_id, data_key=None, max_bytes=max_bytes)  # type: ignore[arg-type]
    target.data_key = keyring.new_data_key(group_id, target.key_aad)
    declare_upload(target)
    return target


def group_usage(group_id: int) -> int:
    """Bytes the group's document versions hold: its maintained counter, one row read."""
    return int(
        db.session.scalar(sa.select(WorkingGroup.stored_bytes).where(WorkingGroup.id == group_id))
        or 0
    )


def summed_usage(group_id: int | None = None) -> dict[int, int]:
    """Each group's bytes (or one group's) summed from its versions: what the counters must
    equal (fsck)."""
    groups = sa.select(WorkingGroup.id)
    sums_of = (
        sa.select(Document.group_id, sa.func.sum(DocumentVersion.size))
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .group_by(Document.group_id)
    )
    if group_id is not None:
        groups = groups.where(WorkingGroup.id == group_id)
        sums_of = sums_of.where(Document.group_id == group_id)
    sums = dict.fromkeys(db.session.scalars(groups), 0)
    for gid, total in db.session.execute(sums_of):
        sums[gid] = int(total)
    return sums


def _count_bytes(group_id: int, delta: int) -> None:
    """Add ``delta`` to the group's counter in SQL, in the caller's transaction: two uploads
    committing at once each add their own size, neither overwrites the other's."""
    groups = WorkingGroup.__table__
    db.session.execute(
        sa.update(groups)
        .where(groups.c.id == group_id)
        .values(stored_bytes=groups.c.stored_bytes + delta)
    )


def _check_quota(group_id: int, incoming: int) -> None:
    quota = int(current_app.config["EMISA_GROUP_QUOTA_BYTES"])
    used = group_usage(group_id)
    if used + incoming > quota:
        raise OperationError(
            _(
                "This upload would exceed the group's storage quota of %(quota)s "
                "(%(used)s used); nothing was stored. Delete old documents or ask "
                "an administrator for more space.",
                quota=human_size(quota),
                used=human_size(used),
            ),
            409,
            "quota_exceeded",
        )


def _stored_sink(target: UploadTarget):
    sink = target.sink
    if sink is None or (sink.size == 0 and not sink.named):
        raise OperationError(_("Choose a file to upload."))
    return sink


def complete_upload(target: UploadTarget) -> None:
    """Lock the group row, check the quota with the real size, make the blob durable."""
    sink = _stored_sink(target)
    # Serialises uploads per group (PostgreSQL) so two cannot both pass the quota check.
    db.session.execute(
        sa.select(WorkingGroup.id).where(WorkingGroup.id == target.group_id).with_for_update()
    )
    _check_quota(target.group_id, sink.size)
    sink.finish()


def _bind_data_key(target: UploadTarget, version: DocumentVersion) -> None:
    """Re-bind the data key from the upload to the version row (and its group's live key)."""
    try:
        version.wrapped_key = keyring.rewrap_data_key(
            target.group_id,
            target.data_key.wrapped,
            target.group_id,
            target.key_aad,
            new_aad=version.key_aad,
        )
    except CryptoError:
        raise OperationError(
            _("The group's keys were rotated while the file was being sent; upload it again."),
            409,
            "key_rotated",
        ) from None
    version.key_version = keyring.blob_version(version.wrapped_key)


def _add_version(document: Document, target: UploadTarget, uploader: User) -> DocumentVersion:
    sink = target.sink
    number = max((v.number for v in document.versions), default=0) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        blob_id=target.blob_id,
        wrapped_key=b"",
        key_version=0,
        size=sink.size,
        stored_size=sink.stored_size,
        sha256_sealed=b"",
        filename_sealed=b"",
        content_type=sink.content_type,
        uploader_id=uploader.id,
    )
    db.session.add(version)
    db.session.flush()
    _count_bytes(document.group_id, version.size)
    _bind_data_key(target, version)
    gid = document.group_id
    version.sha256_sealed = keyring.seal_text(
        gid, sink.sha256, f"document-version:{version.id}:sha256"
    )
    version.filename_sealed = keyring.seal_text(
        gid, sink.filename, f"document-version:{version.id}:filename"
    )
    for share in document.shares:
        _share_version_key(share, version)
    document.current_version = number
    document.updated_at = utcnow()
    return version


def create_document(
    group: WorkingGroup,
    uploader: User,
    target: UploadTarget,
    *,
    title: str,
    description: str,
    tags: list[str],
    marking: MarkingInput,
) -> Document:
    document = Document(
        group_id=group.id,
        handling_code=marking.handling_code,
        uploader_id=uploader.id,
        origin_country=uploader.country,
    )
    db.session.add(document)
    marking_rules.apply_marking(document, marking.marking)  # flushes: the seal names the id
    _seal_fields(document, title, description, tags, marking.handling_conditions)
    version = _add_version(document, target, uploader)
    db.session.flush()
    audit.record(
        "document.uploaded",
        actor=uploader,
        target=document,
        details={
            "version": version.number,
            "size": version.size,
            "tlp": document.tlp,
            "releasable_to": document.releasable_to,
            "handling_code": document.handling_code,
            "recipients": marking.marking.recipient_ids,
        },
    )
    _signal_changed(document, title, description, tags)
    _notify_recipients(document, group, uploader)
    return document


def _notify_recipients(document: Document, group: WorkingGroup, by: User) -> None:
    """The named recipients of a TLP:RED document hear of it, if the policy lets them read it;
    the notice names the group and links to the document, never its title."""
    ids = [uid for uid in document.recipient_ids if uid != by.id]
    if not ids:
        return
    readers = [
        user.id
        for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))
        if could(user, "read", document)
    ]
    if readers:
        notify.send(
            current_app._get_current_object(),
            user_ids=readers,
            kind="red_share",
            params={"actor": by.name, "group": group.name},
            link=f"/documents/{document.id}",
            subject=f"document:{document.id}",
        )


def add_version(document: Document, uploader: User, target: UploadTarget) -> DocumentVersion:
    version = _add_version(document, target, uploader)
    db.session.flush()
    audit.record(
        "document.version_added",
        actor=uploader,
        target=document,
        details={"version": version.number, "size": version.size},
    )
    return version


def _seal_fields(document: Document, title: str, description: str, tags, conditions: str) -> None:
    gid, did = document.group_id, document.id
    document.title_sealed = keyring.seal_text(gid, title, f"document:{did}:title")
    document.description_sealed = (
        keyring.seal_text(gid, description, f"document:{did}:description") if description else b""
    )
    document.tags_sealed = (
        keyring.seal_text(gid, json.dumps(tags), f"document:{did}:tags") if tags else b""
    )
    document.handling_conditions_sealed = (
        keyring.seal_text(gid, conditions, f"document:{did}:conditions") if conditions else b""
    )


def edit_document(document: Document, by: User, *, title, description, tags) -> None:
    title, description = validate_text(title, description)
    tags = parse_tags(tags)
    fields = read_fields(document)
    _seal_fields(document, title, description, tags, fields.handling_conditions)
    document.updated_at = utcnow()
    audit.record("document.edited", actor=by, target=document)
    _signal_changed(document, title, description, tags)


def _signal_changed(document: Document, title: str, description: str, tags) -> None:
    """Announce the searchable text: the library finds topics through the index too."""
    announce_text(
        document.group_id, "document", document.id, "\n".join([title, description, *tags])
    )


# Reading


@dataclass(frozen=True)
class DocumentFields:
    title: str
    description: str
    tags: list[str]
    handling_conditions: str


def _open(gid: int, blob: bytes, aad: str) -> str:
    return keyring.open_text(gid, blob, aad) if blob else ""


def read_title(document: Document) -> str:
    """The title alone, for lists: the other sealed fields stay closed."""
    cached = g.get("emisa_document_fields", {}).get(
        (document.id, document.updated_at, document.title_sealed)
    )
    if cached is not None:
        return cached.title
    try:
        return _open(document.group_id, document.title_sealed, f"document:{document.id}:title")
    except CryptoError:
        log.error("ALERT: sealed title of document %s failed to open", document.id)
        return "[unreadable: integrity failure]"


def read_fields(document: Document) -> DocumentFields:
    """The document's sealed fields, opened once per request."""
    cache = g.setdefault("emisa_document_fields", {})
    key = (document.id, document.updated_at, document.title_sealed)
    if key not in cache:
        gid, did = document.group_id, document.id
        try:
            tags = _open(gid, document.tags_sealed, f"document:{did}:tags")
            cache[key] = DocumentFields(
                title=_open(gid, document.title_sealed, f"document:{did}:title"),
                description=_open(gid, document.description_sealed, f"document:{did}:description"),
                tags=json.loads(tags) if tags else [],
                handling_conditions=_open(
                    gid, document.handling_conditions_sealed, f"document:{did}:conditions"
                ),
            )
        except CryptoError:
            log.error("ALERT: sealed fields of document %s failed to open", did)
            cache[key] = DocumentFields("[unreadable: integrity failure]", "", [], "")
    return cache[key]


def version_filename(version: DocumentVersion) -> str:
    try:
        return _open(
            version.document.group_id,
            version.filename_sealed,
            f"document-version:{version.id}:filename",
        )
    except CryptoError:
        return "document"


def version_sha256(version: DocumentVersion) -> str:
    try:
        return _open(
            version.document.group_id,
            version.sha256_sealed,
            f"document-version:{version.id}:sha256",
        )
    except CryptoError:
        return ""


def readable_documents_query():
    """Documents with what the read rule asks of each (recipients, re-shares, hidden posts,
    group) loaded for a whole page at once, and nothing more: what search hits need."""
    return sa.select(Document).options(
        selectinload(Document.marked_recipients),
        selectinload(Document.shares),
        selectinload(Document.hidden_posts),
        selectinload(Document.group),
    )


def documents_query():
    """Documents as lists show them: the read rule's needs, their versions and uploader."""
    return readable_documents_query().options(
        selectinload(Document.versions), selectinload(Document.uploader)
    )


# The list orders, each read off an index of (group, column, id); a title order would need
# every title opened (they are sealed), so there is none.
# name -> (column, newest first?)
DOCUMENT_ORDERS = {"newest": (Document.updated_at, True), "oldest": (Document.created_at, False)}


def _ordered(descending: bool, *columns) -> list:
    return [column.desc() if descending else column.asc() for column in columns]


def _in_group(group: WorkingGroup, where) -> tuple:
    """The group's own documents and those re-shared to it, as two disjoint selections:
    each walks its own index in the list order, where one OR would sort the whole group."""
    shared = sa.select(DocumentShare.document_id).where(DocumentShare.group_id == group.id)
    return (
        sa.and_(Document.group_id == group.id, *where),
        sa.and_(Document.group_id != group.id, Document.id.in_(shared), *where),
    )


def count_documents(user: User, group: WorkingGroup, where=()) -> int:
    readable = document_read_clause(user)
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(part, readable))
        for part in _in_group(group, where)
    )


def document_page(
    user: User, group: WorkingGroup, where=(), order: str = "newest", page: int = 1, per_page=50
) -> list[Document]:
    """One page of the group's documents ``user`` may read that match ``where``.

    The database filters by the read rule's SQL twin and returns the page's ids; only
    those documents are loaded. Each of the two selections stops at the page's end.
    """
    readable, (column, descending) = document_read_clause(user), DOCUMENT_ORDERS[order]
    end = page * per_page
    parts = [
        sa.select(Document.id.label("doc_id"), column.label("sort_key"))
        .where(part, readable)
        .order_by(*_ordered(descending, column, Document.id))
        .limit(end)
        .subquery()
        .select()
        for part in _in_group(group, where)
    ]
    both = sa.union_all(*parts).subquery()
    ids = db.session.scalars(
        sa.select(both.c.doc_id)
        .order_by(*_ordered(descending, both.c.sort_key, both.c.doc_id))
        .offset(end - per_page)
        .limit(per_page)
    ).all()
    return documents_by_id(ids, lambda document: can(user, "read", document))


def documents_by_id(
    ids: list[int], readable: Callable[[Document], object], query: sa.Select | None = None
) -> list[Document]:
    """These documents in this order, loaded with what a list shows (or as ``query`` loads
    them), those ``readable`` allows (the rule has the last word on what is shown; the SQL
    filter chose the ids)."""
    if not ids:
        return []
    query = documents_query() if query is None else query
    loaded = {d.id: d for d in db.session.scalars(query.where(Document.id.in_(ids)))}
    return [loaded[i] for i in ids if i in loaded and readable(loaded[i])]


def _data_key(user: User | None, version: DocumentVersion) -> bytes:
    """Unwrap the version's data key through the reader's path: own group, or a re-share."""
    document = version.document
    mine = member_group_ids(user) if user is not None else set()
    if document.group_id not in mine and user is not None:
        for share in document.shares:
            if share.group_id in mine:
                row = next((k for k in share.keys if k.version_id == version.id), None)
                if row is not None:
                    return keyring.unwrap_data_key(share.group_id, row.wrapped_key, row.key_aad)
    return keyring.unwrap_data_key(document.group_id, version.wrapped_key, version.key_aad)


def _alert(document: Document, version: DocumentVersion, reason: str) -> None:
    log.error(
        "ALERT: document %s version %s (blob %s) unreadable: %s",
        document.id,
        version.number,
        version.blob_id,
        reason,
    )
    audit.record_event(
        "document.integrity_failure",
        outcome="failed",
        target=document,
        details={"version": version.number, "blob_id": version.blob_id, "reason": reason},
    )


def open_content(user: User | None, version: DocumentVersion) -> tuple[int, Iterator[bytes]]:
    """Authenticate the whole file, then return its size and an iterator of its plaintext.

    Nothing is returned unless every segment authenticated, so a caller never
    sends partial or garbled content. Small files are decrypted in one pass.
    """
    document = version.document
    store = blobs.store
    try:
        key = _data_key(user, version)
        if version.size <= SINGLE_PASS_LIMIT:
            with store.open_reader(version.blob_id) as handle:
                data = b"".join(decrypt_stream(key, version.stream_aad, iter_chunks(handle)))
            if len(data) != version.size:
                raise ContentUnavailable("size differs from the recorded size")
            return version.size, iter((data,))
        with store.open_reader(version.blob_id) as handle:
            size = verify_stream(key, version.stream_aad, iter_chunks(handle, READ_CHUNK))
        if size != version.size:
            raise ContentUnavailable("size differs from the recorded size")
    except BlobNotFound:
        _alert(document, version, "blob missing")
        raise ContentUnavailable("blob missing") from None
    except CryptoError as error:
        _alert(document, version, str(error))
        raise ContentUnavailable(str(error)) from None
    except ContentUnavailable as error:
        _alert(document, version, error.reason)
        raise
    blob_id, aad = version.blob_id, version.stream_aad

    def stream() -> Iterator[bytes]:
        # A change between verification and sending raises here and aborts the connection:
        # the client sees a short body against Content-Length, never altered bytes.
        # Segments are sent in batches of about 1 MiB: fewer, larger socket writes.
        batch: list[bytes] = []
        batched = 0
        with store.open_reader(blob_id) as handle:
            for plaintext in decrypt_stream(key, aad, iter_chunks(handle, READ_CHUNK)):
                batch.append(plaintext)
                batched += len(plaintext)
                if batched >= READ_CHUNK:
                    yield b"".join(batch)
                    batch, batched = [], 0
        if batch:
            yield b"".join(batch)

    return size, stream()


def verify_version(version: DocumentVersion) -> str | None:
    """None if the version's blob is present and authentic, else the reason (for fsck)."""
    try:
        key = keyring.unwrap_data_key(
            version.document.group_id, version.wrapped_key, version.key_aad
        )
        with blobs.open_reader(version.blob_id) as handle:
            size = verify_stream(key, version.stream_aad, iter_chunks(handle, READ_CHUNK))
    except BlobNotFound:
        return "blob missing"
    except CryptoError as error:
        return f"fails authentication: {error}"
    if size != version.size:
        return f"size {size} differs from the recorded {version.size}"
    return None


# Deleting, re-sharing, publishing


def delete_document(document: Document, by: User | None) -> None:
    """Destroy the rows (and so the data keys) now; the blobs go once that is committed."""
    blob_ids = [v.blob_id for v in document.versions]
    document_id, group_id = document.id, document.group_id
    _count_bytes(group_id, -sum(v.size for v in document.versions))
    audit.record(
        "document.deleted",
        actor=by,
        target=document,
        details={"versions": len(blob_ids), "tlp": document.tlp},
    )
    db.session.delete(document)
    db.session.flush()
    _doom_blobs(blob_ids)
    announce_removal("document", document_id)
    log.info("document %s of group %s deleted", document_id, group_id)


def _share_version_key(share: DocumentShare, version: DocumentVersion) -> None:
    row = DocumentShareKey(share=share, version=version, wrapped_key=b"", key_version=0)
    db.session.add(row)
    db.session.flush()
    row.wrapped_key = keyring.rewrap_data_key(
        version.document.group_id,
        version.wrapped_key,
        share.group_id,
        version.key_aad,
        new_aad=row.key_aad,
    )
    row.key_version = keyring.blob_version(row.wrapped_key)


def reshare(document: Document, group: WorkingGroup, by: User) -> DocumentShare:
    """Give ``group`` the document: data keys re-wrapped under its key; files untouched."""
    share = DocumentShare(document=document, group_id=group.id, shared_by_id=by.id)
    db.session.add(share)
    db.session.flush()
    for version in document.versions:
        _share_version_key(share, version)
    db.session.flush()
    seal_marking(document)  # the groups it is shared with are part of its marking
    audit.record("document.reshared", actor=by, target=document, details={"to_group_id": group.id})
    return share


def set_public(document: Document, public: bool, by: User) -> None:
    document.public = public
    seal_marking(document)  # publishing widens who reads it: part of the sealed marking
    audit.record(
        "document.published" if public else "document.unpublished", actor=by, target=document
    )


def coordinated_groups(user: User) -> list[WorkingGroup]:
    return list(
        db.session.scalars(
            sa.select(WorkingGroup)
            .join(Membership, Membership.group_id == WorkingGroup.id)
            .where(Membership.user_id == user.id, Membership.role == GroupRole.COORDINATOR)
            .order_by(WorkingGroup.name)
        )
    )


# Keys and group deletion


def rewrap_after_rotation(group_id: int, old_versions: list[int], new_version: int) -> None:
    """Keyring hook: move every wrapped data key and sealed field of the group to the new key."""
    reseal_markings(Document, group_id)
    versions = db.session.scalars(
        sa.select(DocumentVersion)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(Document.group_id == group_id)
    )
    for version in versions:
        if version.key_version != new_version:
            version.wrapped_key = keyring.rewrap_data_key(
                group_id, version.wrapped_key, group_id, version.key_aad
            )
            version.key_version = new_version
        for name in ("sha256", "filename"):
            column = f"{name}_sealed"
            setattr(
                version,
                column,
                keyring.reseal(
                    group_id, getattr(version, column), f"document-version:{version.id}:{name}"
                ),
            )
    documents = db.session.scalars(sa.select(Document).where(Document.group_id == group_id))
    for document in documents:
        for name, column in (
            ("title", "title_sealed"),
            ("description", "description_sealed"),
            ("tags", "tags_sealed"),
            ("conditions", "handling_conditions_sealed"),
        ):
            blob = getattr(document, column)
            if blob:
                setattr(
                    document,
                    column,
                    keyring.reseal(group_id, blob, f"document:{document.id}:{name}"),
                )
    share_keys = db.session.scalars(
        sa.select(DocumentShareKey)
        .join(DocumentShare, DocumentShare.id == DocumentShareKey.share_id)
        .where(DocumentShare.group_id == group_id)
    )
    for row in share_keys:
        if row.key_version != new_version:
            row.wrapped_key = keyring.rewrap_data_key(
                group_id, row.wrapped_key, group_id, row.key_aad
            )
            row.key_version = new_version
    db.session.flush()


def delete_group_documents(group_id: int) -> None:
    """``group_deleting`` handler: the group's documents go, and shares into it."""
    for document in db.session.scalars(sa.select(Document).where(Document.group_id == group_id)):
        delete_document(document, None)
    for share in db.session.scalars(
        sa.select(DocumentShare).where(DocumentShare.group_id == group_id)
    ):
        share.document.shares.remove(share)
        seal_marking(share.document)
    db.session.flush()
