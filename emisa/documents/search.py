"""Search hits for documents: listed in SQL with the read rule's twin, checked with the policy,
then opened (the title and description were indexed from ``content_changed``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from emisa.access import can
from emisa.access.documents import document_read_clause
from emisa.crypto import keyring
from emisa.documents.models import Document
from emisa.documents.operations import documents_by_id, readable_documents_query
from emisa.search.index import SearchHit, register_kind


def _open(document: Document, name: str) -> str:
    blob = getattr(document, f"{name}_sealed", b"") or b""
    if not blob:
        return ""
    return keyring.open_text(document.group_id, blob, f"document:{document.id}:{name}")


def document_readable(user, item_id) -> sa.ColumnElement[bool]:
    return sa.exists().where(Document.id == item_id, document_read_clause(user))


def resolve_documents(user, ids: list[int]) -> list[SearchHit]:
    """The hits the policy allows, loaded with what it asks and what a hit shows only (no
    versions, no uploader: a page of common-word hits costs little more than one)."""
    return [
        SearchHit(
            kind="document",
            item_id=document.id,
            group_id=document.group_id,
            group_name=document.group.name,
            title=_open(document, "title") or "(untitled document)",
            excerpt=_open(document, "description")[:240],
            url=url_for("documents.detail", document_id=document.id),
            tlp=document.tlp,
            when=document.updated_at,
        )
        for document in documents_by_id(
            ids, lambda d: can(user, "read", d), readable_documents_query()
        )
    ]


def register() -> None:
    register_kind("document", document_readable, resolve_documents)
