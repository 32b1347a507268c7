"""Documents over the JSON API: upload (multipart), list, metadata, content, versions, delete."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from emisa import audit
from emisa.access import require
from emisa.access.documents import ShareTarget
from emisa.api.blueprint import api_blueprint, errors, links
from emisa.api.pagination import Page, paginated
from emisa.api.schemas import DatabaseId
from emisa.documents import operations
from emisa.documents.http import create_from_upload, download_response, finish, receive_upload
from emisa.documents.library import LibraryFilter, search
from emisa.documents.models import Document
from emisa.documents.operations import read_fields, read_title
from emisa.groups.models import WorkingGroup
from emisa.operations import OperationError
from emisa.web import load, load_checked, whole_number_arg

blp = api_blueprint("api_documents", __name__, "Encrypted group documents")


class Person(Schema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String()


class VersionOut(Schema):
    number = fields.Integer()
    size = fields.Integer(metadata={"description": "plaintext bytes"})
    sha256 = fields.Function(
        operations.version_sha256, metadata={"description": "of the plaintext"}
    )
    filename = fields.Function(operations.version_filename)
    content_type = fields.String()
    uploader = fields.Nested(Person, allow_none=True)
    created_at = fields.DateTime()


class DocumentSummary(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    title = fields.Function(read_title)
    tlp = fields.String()
    releasable_to = fields.List(fields.String())
    handling_code = fields.String(allow_none=True)
    version = fields.Integer(attribute="current_version")
    size = fields.Function(lambda d: d.latest.size)
    content_type = fields.Function(lambda d: d.latest.content_type)
    uploader = fields.Nested(Person, allow_none=True)
    origin_country = fields.String()
    public = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class DocumentOut(DocumentSummary):
    description = fields.Function(lambda d: read_fields(d).description)
    tags = fields.Function(lambda d: read_fields(d).tags)
    handling_conditions = fields.Function(lambda d: read_fields(d).handling_conditions)
    sha256 = fields.Function(lambda d: operations.version_sha256(d.latest))
    filename = fields.Function(lambda d: operations.version_filename(d.latest))
    recipients = fields.Function(lambda d: list(d.recipient_ids))
    shared_with = fields.Function(lambda d: [s.group_id for s in d.shares])
    versions = fields.Function(lambda d: VersionOut(many=True).dump(d.versions))


class UploadedOut(Schema):
    id = fields.Integer()
    version = fields.Integer()
    size = fields.Integer()
    sha256 = fields.String()
    tlp = fields.String()
    content_type = fields.String()


class DocumentEdit(Schema):
    title = fields.String(required=True)
    description = fields.String(load_default="")
    tags = fields.List(fields.String(), load_default=list)


class ShareIn(Schema):
    group_id = DatabaseId(required=True)


class PublicIn(Schema):
    public = fields.Boolean(required=True)


_FILE_FIELDS = {
    "file": {"type": "string", "format": "binary", "description": "the file (one per request)"},
}
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "title", "tlp"],
                "properties": {
                    **_FILE_FIELDS,
                    "title": {"type": "string", "maxLength": 200},
                    "description": {"type": "string", "maxLength": 5000},
                    "tlp": {
                        "type": "string",
                        "enum": [
                            "TLP:CLEAR",
                            "TLP:GREEN",
                            "TLP:AMBER",
                            "TLP:AMBER+STRICT",
                            "TLP:RED",
                        ],
                    },
                    "releasable_to": {
                        "type": "string",
                        "description": "comma-separated ISO 3166-1 alpha-2 codes",
                    },
                    "handling_code": {"type": "string", "enum": ["H0", "H1", "H2", "H3"]},
                    "handling_conditions": {"type": "string", "description": "required for H3"},
                    "recipients": {
                        "type": "string",
                        "description": "TLP:RED: comma-separated emails or user ids of members",
                    },
                    "tags": {"type": "string", "description": "comma-separated topic tags"},
                },
            }
        }
    },
}
_VERSION_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"], "properties": _FILE_FIELDS}
        }
    },
}


def _uploaded(document: Document, version) -> dict:
    return {
        "id": document.id,
        "version": version.number,
        "size": version.size,
        "sha256": operations.version_sha256(version),
        "tlp": document.tlp,
        "content_type": version.content_type,
    }


@blp.route("/groups/<int:group_id>/documents", methods=["POST"])
@links(
    blp,
    201,
    "GET /documents/{document_id}",
    "PATCH /documents/{document_id}",
    "DELETE /documents/{document_id}",
    "GET /documents/{document_id}/content",
    "POST /documents/{document_id}/versions",
    "POST /documents/{document_id}/shares",
    "PUT /documents/{document_id}/public",
)
@blp.doc(requestBody=_UPLOAD_BODY)
@blp.response(201, UploadedOut)
@errors(blp, 400, 401, 403, 404, 409, 413, 507)
def upload(group_id: int):
    """Upload a document; the file is encrypted as it arrives."""
    group = load_checked(WorkingGroup, group_id, "contribute")
    target = receive_upload(group.id)
    group = load_checked(WorkingGroup, group_id, "contribute")
    document = create_from_upload(group, target)
    return _uploaded(document, document.latest)


@blp.route("/groups/<int:group_id>/documents", methods=["GET"])
@paginated(blp, DocumentSummary(many=True))
@errors(blp, 400, 401, 403, 404)
def list_documents(group_id: int, page: Page):
    """The group's documents (and those re-shared to it) the caller may read, newest first."""
    group = load_checked(WorkingGroup, group_id, "read_content")
    documents = operations.document_page(current_user, group, page=page.number, per_page=page.size)
    return page.answer(documents, operations.count_documents(current_user, group))


@blp.route("/documents/<int:document_id>", methods=["GET"])
@blp.response(200, DocumentOut)
@errors(blp, 401, 404)
def get_document(document_id: int):
    """A document's metadata, its marking and its versions."""
    document = load_checked(Document, document_id, "read")
    audit.record_event("document.viewed", target=document, details={"via": "api"})
    return document


@blp.route("/documents/<int:document_id>", methods=["PATCH"])
@blp.arguments(DocumentEdit)
@blp.response(200, DocumentOut)
@errors(blp, 400, 401, 403, 404)
def edit_document(body, document_id: int):
    """Change the title, description or tags (uploader or coordinator)."""
    document = load_checked(Document, document_id, "edit")
    operations.edit_document(document, current_user, **body)
    return document


@blp.route("/documents/<int:document_id>/content", methods=["GET"])
@blp.doc(
    parameters=[{"in": "query", "name": "version", "schema": {"type": "integer"}}],
    responses={
        "200": {
            "description": "The exact bytes uploaded, as an attachment",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        "500": {"description": "The stored file failed authentication (code integrity_failure)"},
    },
)
@errors(blp, 400, 401, 404)
def content(document_id: int):
    """Download a version (the latest by default)."""
    document = load_checked(Document, document_id, "download")
    version = document.version(_version_arg())
    if version is None:
        raise OperationError(_("This document has no such version."), 404, "not_found")
    return download_response(version, via="api")


def _version_arg() -> int | None:
    return whole_number_arg("version")


@blp.route("/documents/<int:document_id>/versions", methods=["POST"])
@blp.doc(requestBody=_VERSION_BODY)
@blp.response(201, UploadedOut)
@errors(blp, 400, 401, 403, 404, 409, 413, 507)
def upload_version(document_id: int):
    """Upload a new version of a document; earlier versions stay available."""
    document = load_checked(Document, document_id, "upload_version")
    target = receive_upload(document.group_id)
    document = load_checked(Document, document_id, "upload_version")
    version = finish(target, lambda: operations.add_version(document, current_user, target))
    return _uploaded(document, version)


@blp.route("/documents/<int:document_id>", methods=["DELETE"])
@blp.response(204)
@errors(blp, 401, 403, 404)
def delete(document_id: int):
    """Delete a document: its data keys are destroyed with the rows, then its files."""
    document = load_checked(Document, document_id, "delete")
    operations.delete_document(document, current_user)


@blp.route("/documents/<int:document_id>/shares", methods=["POST"])
@blp.arguments(ShareIn)
@blp.response(201, DocumentOut)
@errors(blp, 400, 401, 403, 404, 409)
def share(body, document_id: int):
    """Re-share a TLP:AMBER document to another group the caller coordinates."""
    document = load_checked(Document, document_id, "read")
    group = load(WorkingGroup, body["group_id"])
    require(current_user, "view", group)
    require(current_user, "create", ShareTarget(document, group))
    operations.reshare(document, group, current_user)
    return document


@blp.route("/documents/<int:document_id>/public", methods=["PUT"])
@blp.arguments(PublicIn)
@blp.response(200, DocumentOut)
@errors(blp, 400, 401, 403, 404)
def publish(body, document_id: int):
    """Show (or stop showing) a TLP:CLEAR document on the public library page."""
    document = load_checked(Document, document_id, "publish")
    operations.set_public(document, body["public"], current_user)
    return document


@blp.route("/library", methods=["GET"])
@paginated(
    blp,
    DocumentSummary(many=True),
    [
        {"in": "query", "name": name, "schema": {"type": "string"}}
        for name in ("q", "group", "tag", "country")
    ],
)
@errors(blp, 400, 401)
def library(page: Page):
    """TLP:GREEN and TLP:CLEAR documents from every group the caller may read, newest first."""
    require(current_user, "use")
    wanted = LibraryFilter.from_args(request.args)
    return page.answer(*search(current_user, wanted, page.number, page.size))


__all__ = ["blp"]
