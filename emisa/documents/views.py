"""Pages: the group's documents tab, upload, detail, download page, content and preview."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from emisa import audit
from emisa.access import can, require
from emisa.access.countries import localised_countries
from emisa.access.documents import ShareTarget
from emisa.access.markings import Tlp
from emisa.access.validation import eligible_recipients
from emisa.documents import operations
from emisa.documents.http import (
    create_from_upload,
    download_response,
    finish,
    preview_response,
    receive_upload,
)
from emisa.documents.models import HANDLING_CODES, Document, DocumentVersion
from emisa.documents.operations import read_fields, read_title, version_filename
from emisa.documents.upload import PREVIEWABLE, human_size
from emisa.extensions import csrf
from emisa.groups.models import WorkingGroup
from emisa.operations import OperationError
from emisa.web import (
    date_arg,
    load,
    load_checked,
    on_refusal,
    page_count,
    page_number,
    page_url,
    wants_json,
    whole_number_arg,
)

bp = Blueprint("documents", __name__)

PER_PAGE = 50

SORTS = {"newest": _l("Newest first"), "oldest": _l("Oldest first")}


def _family(*needles: str):
    """A content type family: SQL on the current version's type containing one of these."""
    return lambda column: sa.or_(*(column.contains(needle) for needle in needles))


TYPE_FAMILIES = {
    "pdf": (_l("PDF"), lambda column: column == "application/pdf"),
    "image": (_l("Images"), lambda column: column.startswith("image/")),
    "office": (
        _l("Office documents"),
        _family("officedocument", "msword", "ms-excel", "opendocument"),
    ),
    "text": (_l("Text"), lambda column: column.startswith("text/")),
    "archive": (_l("Archives"), _family("zip", "tar", "compressed")),
}


def _check_csrf_header() -> None:
    token = request.headers.get("X-CSRFToken")
    if token:
        _validate_csrf(token)


def _validate_csrf(token: str | None) -> None:
    try:
        validate_csrf(token)
    except ValidationError:
        raise CSRFError(_("The form expired or was sent from elsewhere.")) from None


def _filters(args) -> list:
    """The list's filters as SQL conditions on metadata columns (nothing sealed is read)."""
    tlp, uploader, kind = args.get("tlp", ""), args.get("uploader", ""), args.get("type", "")
    since, until = date_arg("from"), date_arg("to")
    where = []
    if tlp:
        where.append(Document.tlp == tlp)
    if uploader.isdigit():
        where.append(Document.uploader_id == int(uploader))
    if kind in TYPE_FAMILIES:
        where.append(
            sa.exists().where(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.number == Document.current_version,
                TYPE_FAMILIES[kind][1](DocumentVersion.content_type),
            )
        )
    if since:
        where.append(Document.updated_at >= datetime.combine(since, datetime.min.time()))
    if until:
        where.append(
            Document.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time())
        )
    return where


def _index_page(group: WorkingGroup, status: int = 200):
    where = _filters(request.args)
    total = operations.count_documents(current_user, group)
    matching = operations.count_documents(current_user, group, where) if where else total
    page, pages = page_number(), page_count(matching, PER_PAGE)
    if page > pages:
        abort(404)
    order = request.args.get("sort", "")
    documents = operations.document_page(
        current_user, group, where, order if order in SORTS else "newest", page, PER_PAGE
    )
    members = eligible_recipients(group)
    config = current_app.config
    return (
        render_template(
            "documents/index.html",
            group=group,
            documents=documents,
            matching=matching,
            total=total,
            page=page,
            pages=pages,
            page_url=page_url,
            titles={d.id: read_title(d) for d in documents},
            uploaders=sorted((m.user for m in group.memberships), key=lambda u: u.name.casefold()),
            type_families={k: v[0] for k, v in TYPE_FAMILIES.items()},
            sorts=SORTS,
            labels=[t.value for t in Tlp],
            allowed_labels=[
                t.value for t in Tlp if t.library_visible or not current_user.is_partner
            ],
            handling_codes=HANDLING_CODES,
            countries=localised_countries(),
            members=members,
            can_upload=bool(can(current_user, "contribute", group)),
            max_upload=int(config["EMISA_MAX_UPLOAD_BYTES"]),
            quota=int(config["EMISA_GROUP_QUOTA_BYTES"]),
            used=operations.group_usage(group.id),
            human_size=human_size,
            args=request.args,
        ),
        status,
    )


@bp.route("/groups/<int:group_id>/documents")
@login_required
def index(group_id: int):
    group = load_checked(WorkingGroup, group_id, "read_content")
    return _index_page(group)


@bp.route("/groups/<int:group_id>/documents", methods=["POST"])
@csrf.exempt
@login_required
def upload(group_id: int):
    """One file per request (the page's script sends several files one after the other).

    CSRF is checked here rather than by CSRFProtect, which would parse the body
    (and so receive the file) before the access check and the encryption are set up.
    """
    group = load_checked(WorkingGroup, group_id, "contribute")
    on_refusal(url_for("documents.index", group_id=group_id))
    header_token = request.headers.get("X-CSRFToken")
    target = receive_upload(group.id, before_parse=_check_csrf_header)
    if not header_token:
        _validate_csrf(request.form.get("csrf_token"))
    group = load_checked(WorkingGroup, group_id, "contribute")
    document = create_from_upload(group, target, title_from_file=True)
    link = url_for("documents.detail", document_id=document.id)
    if wants_json():
        return jsonify({"id": document.id, "url": link, "tlp": document.tlp}), 201
    flash(_("The document was uploaded and encrypted."), "success")
    return redirect(link, 303)


def _detail_page(document: Document, status: int = 200):
    shares_to = [
        g
        for g in operations.coordinated_groups(current_user)
        if g.id != document.group_id and can(current_user, "create", ShareTarget(document, g))
    ]
    return (
        render_template(
            "documents/detail.html",
            document=document,
            group=document.group,
            fields=read_fields(document),
            filename=version_filename,
            sha256=operations.version_sha256,
            handling_codes=HANDLING_CODES,
            previewable=PREVIEWABLE,
            human_size=human_size,
            can_upload_version=bool(can(current_user, "upload_version", document)),
            can_edit=bool(can(current_user, "edit", document)),
            can_delete=bool(can(current_user, "delete", document)),
            publish=_publish_state(document),
            can_read_group=bool(can(current_user, "read_content", document.group)),
            share_targets=shares_to,
            max_upload=int(current_app.config["EMISA_MAX_UPLOAD_BYTES"]),
        ),
        status,
    )


def _publish_state(document) -> tuple[bool, str | None]:
    """(allowed, the policy's reason when not) for the coordinators, who are shown the button
    disabled with the reason rather than not at all; (False, None) hides it from others."""
    decision = can(current_user, "publish", document)
    if decision:
        return True, None
    if can(current_user, "moderate", document.group):
        return False, decision.reason
    return False, None


@bp.route("/documents/<int:document_id>")
@login_required
def detail(document_id: int):
    document = load_checked(Document, document_id, "read")
    audit.record_event("document.viewed", target=document, details={"via": "web"})
    return _detail_page(document)


def _version(document: Document):
    version = document.version(whole_number_arg("version"))
    if version is None:
        raise OperationError(_("This document has no such version."), 404)
    return version


@bp.route("/documents/<int:document_id>/download")
@login_required
def download_page(document_id: int):
    """The marking, shown before the bytes are fetched: the reader sees what they take."""
    document = load_checked(Document, document_id, "download")
    version = _version(document)
    return render_template(
        "documents/download.html",
        document=document,
        group=document.group,
        version=version,
        fields=read_fields(document),
        filename=version_filename(version),
        sha256=operations.version_sha256(version),
        handling_codes=HANDLING_CODES,
        human_size=human_size,
    )


@bp.route("/documents/<int:document_id>/content")
@login_required
def content(document_id: int):
    document = load_checked(Document, document_id, "download")
    return download_response(_version(document), via="web")


@bp.route("/documents/<int:document_id>/preview")
@login_required
def preview(document_id: int):
    document = load_checked(Document, document_id, "preview")
    return preview_response(_version(document))


@bp.route("/documents/<int:document_id>/versions", methods=["POST"])
@csrf.exempt
@login_required
def upload_version(document_id: int):
    document = load_checked(Document, document_id, "upload_version")
    back = url_for("documents.detail", document_id=document_id)
    on_refusal(back)
    header_token = request.headers.get("X-CSRFToken")
    target = receive_upload(document.group_id, before_parse=_check_csrf_header)
    if not header_token:
        _validate_csrf(request.form.get("csrf_token"))
    document = load_checked(Document, document_id, "upload_version")
    version = finish(target, lambda: operations.add_version(document, current_user, target))
    if wants_json():
        return jsonify({"id": document.id, "version": version.number, "url": back}), 201
    flash(_("Version %(number)d was uploaded.", number=version.number), "success")
    return redirect(back, 303)


@bp.route("/documents/<int:document_id>/edit", methods=["POST"])
@login_required
def edit(document_id: int):
    document = load_checked(Document, document_id, "edit")
    on_refusal(lambda status: _detail_page(document, status))
    operations.edit_document(
        document,
        current_user,
        title=request.form.get("title"),
        description=request.form.get("description"),
        tags=request.form.get("tags"),
    )
    flash(_("The document was saved."), "success")
    return redirect(url_for("documents.detail", document_id=document_id), 303)


@bp.route("/documents/<int:document_id>/delete", methods=["POST"])
@login_required
def delete(document_id: int):
    document = load_checked(Document, document_id, "delete")
    group_id = document.group_id
    title = read_fields(document).title
    operations.delete_document(document, current_user)
    flash(_("“%(title)s” was deleted; its files and keys were destroyed.", title=title), "success")
    return redirect(url_for("documents.index", group_id=group_id), 303)


@bp.route("/documents/<int:document_id>/share", methods=["POST"])
@login_required
def share(document_id: int):
    document = load_checked(Document, document_id, "read")
    raw = request.form.get("group_id", "")
    group = load(WorkingGroup, int(raw) if raw.isdigit() else 0)
    require(current_user, "view", group)
    require(current_user, "create", ShareTarget(document, group))
    operations.reshare(document, group, current_user)
    flash(_("The document is now shared with %(group)s.", group=group.name), "success")
    return redirect(url_for("documents.detail", document_id=document_id), 303)


@bp.route("/documents/<int:document_id>/public", methods=["POST"])
@login_required
def publish(document_id: int):
    document = load_checked(Document, document_id, "publish")
    make_public = request.form.get("public") == "1"
    operations.set_public(document, make_public, current_user)
    flash(
        _("The document is on the public library page.")
        if make_public
        else _("The document was removed from the public library page."),
        "success",
    )
    return redirect(url_for("documents.detail", document_id=document_id), 303)
