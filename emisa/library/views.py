"""Library pages: every active account's best-practice library, and the public page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emisa import audit
from emisa.access import require
from emisa.access.countries import country_name, localised_countries
from emisa.access.documents import public_read
from emisa.documents.http import content_disposition
from emisa.documents.library import PER_PAGE, LibraryFilter, public_documents, search
from emisa.documents.models import Document
from emisa.documents.operations import open_content, read_fields, version_filename
from emisa.documents.upload import human_size
from emisa.extensions import db
from emisa.groups.operations import visible_groups
from emisa.operations import OperationError
from emisa.web import page_count, page_number, page_url

bp = Blueprint("library", __name__)


def _page(template: str, documents: list, total: int, wanted: LibraryFilter, groups, **extra):
    page = page_number()
    pages = page_count(total, PER_PAGE)
    if page > pages:
        abort(404)
    return render_template(
        template,
        documents=documents,
        total=total,
        groups=groups,
        countries=localised_countries(),
        wanted=wanted,
        fields={d.id: read_fields(d) for d in documents},
        country_name=country_name,
        human_size=human_size,
        page=page,
        pages=pages,
        page_url=page_url,
        **extra,
    )


@bp.route("/best-practice")
@login_required
def index():
    require(current_user, "use")
    wanted = LibraryFilter.from_args(request.args)
    documents, total = search(current_user, wanted, page_number())
    groups = [(g.id, g.name) for g in visible_groups(current_user)]
    return _page("library/index.html", documents, total, wanted, groups)


@bp.route("/library")
def public():
    """No sign-in: published TLP:CLEAR documents only."""
    wanted = LibraryFilter.from_args(request.args)
    documents, total = public_documents(wanted, page_number())
    return _page("library/public.html", documents, total, wanted, [], public_page=True)


@bp.route("/library/<int:document_id>/download")
def public_download(document_id: int):
    from flask import Response

    document = db.session.get(Document, document_id)
    if document is None or not public_read(document):
        raise OperationError(_("Nothing was found here, or it is not public."), 404, "not_found")
    version = document.latest
    size, body = open_content(None, version)
    response = Response(body, mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", version_filename(version)
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-TLP"] = document.tlp
    audit.record_event(
        "document.downloaded",
        target=document,
        details={"version": version.number, "size": version.size, "via": "public library"},
    )
    return response
