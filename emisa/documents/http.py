"""What the web pages and the API share: receiving an upload, answering with file content."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from emisa import audit
from emisa.database import commit, on_rollback
from emisa.documents import operations
from emisa.documents.models import DocumentVersion
from emisa.documents.upload import PREVIEWABLE, UploadTarget
from emisa.operations import OperationError

PREVIEW_CSP = "sandbox; default-src 'none'; img-src 'self' data:; object-src 'none'"


def receive_upload(group_id: int, before_parse: Callable[[], None] | None = None) -> UploadTarget:
    """Prepare the key, release the database, then read (and encrypt) the request body.

    The caller has checked access. The key is committed before the body is read so that a
    slow upload never holds SQLite's write lock or a row lock: the one place a request is
    two units of work (the second ends at the request's boundary).
    """
    target = operations.begin_upload(group_id, request.content_length)
    commit()
    if before_parse is not None:
        before_parse()
    try:
        request.form  # noqa: B018  (parses the body: the file goes through the sink)
    except RequestEntityTooLarge as error:
        raise OperationError(str(error.description), 413, "too_large") from None
    return target


def finish(target: UploadTarget, store: Callable[[], object]):
    """Make the blob durable, then store the rows; should the request roll back (its commit
    included), the blob is discarded: nothing stays behind."""
    if target.sink is not None:
        on_rollback(target.sink.discard)
    operations.complete_upload(target)
    return store()


def ascii_filename(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9._ -]+", "_", folded).strip(" .") or "document"
    return safe[:150]


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback and the exact UTF-8 name in ``filename*``."""
    fallback = ascii_filename(filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _stream(version: DocumentVersion, inline: bool) -> Response:
    size, body = operations.open_content(current_user, version)
    filename = operations.version_filename(version)
    response = Response(
        body, mimetype=version.content_type if inline else "application/octet-stream"
    )
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if inline:
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    else:
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-TLP"] = version.document.tlp
    return response


def download_response(version: DocumentVersion, via: str) -> Response:
    response = _stream(version, inline=False)
    audit.record_event(
        "document.downloaded",
        target=version.document,
        details={"version": version.number, "size": version.size, "via": via},
    )
    return response


def preview_response(version: DocumentVersion) -> Response:
    if version.content_type not in PREVIEWABLE:
        raise OperationError(
            _("Only PDF files and images can be previewed; download it instead."), 415
        )
    response = _stream(version, inline=True)
    audit.record_event(
        "document.previewed", target=version.document, details={"version": version.number}
    )
    return response


def _joined(form, name: str) -> str:
    """A field sent once as a comma list (API) or repeated (a multi-select): one comma list."""
    return ",".join(form.getlist(name))


def create_from_upload(group, target: UploadTarget, *, title_from_file: bool = False):
    """Create the document for a finished upload from the request's form fields.

    The page's drag-and-drop sends several files at once, so there the title may default to
    the file name; the API requires one.
    """
    form = request.form
    title = (form.get("title") or "").strip()
    if not title and title_from_file and target.sink:
        title = target.sink.filename.rsplit(".", 1)[0]
    title, description = operations.validate_text(title, form.get("description"))
    marking = operations.validate_marking(
        group,
        current_user,
        tlp=form.get("tlp"),
        releasable_to=_joined(form, "releasable_to"),
        handling_code=form.get("handling_code"),
        handling_conditions=form.get("handling_conditions", ""),
        recipients=_joined(form, "recipients"),
    )
    tags = operations.parse_tags(form.get("tags"))
    return finish(
        target,
        lambda: operations.create_document(
            group,
            current_user,
            target,
            title=title,
            description=description,
            tags=tags,
            marking=marking,
        ),
    )
