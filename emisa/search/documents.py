"""Indexing what other features announce (``content_changed``), and document hits.

The documents feature fires ``content_changed(group_id, kind="document",
item_id, text)`` with a document's title and description held in memory; the
tokens land in the same index as threads and posts. A document hit is shown
only when the policy lets the caller ``read`` that Document, like its page.
"""

from __future__ import annotations

import sqlalchemy as sa

from emisa.access import can
from emisa.search import index

# Threads and posts are indexed by the discussions feature itself.
_OWN_KINDS = {"thread", "post"}


def on_content_changed(_sender, group_id: int, kind: str, item_id: int, text: str, **_extra):
    if kind not in _OWN_KINDS:
        index.index_item(group_id, kind, item_id, text or "")


def on_content_removed(_sender, kind: str, item_id: int, **_extra):
    if kind not in _OWN_KINDS:
        index.remove_item(kind, item_id)


def _document_model():
    try:
        from emisa.documents.models import Document
    except ImportError:  # the documents feature is not installed
        return None
    return Document


def _open(document, name: str) -> str:
    from emisa.crypto import keyring

    blob = getattr(document, f"{name}_sealed", b"") or b""
    if not blob:
        return ""
    return keyring.open_text(document.group_id, blob, f"document:{document.id}:{name}")


def document_readable(user, item_id) -> sa.ColumnElement[bool]:
    from emisa.access.documents import document_read_clause

    model = _document_model()
    return sa.exists().where(model.id == item_id, document_read_clause(user))


def resolve_documents(user, ids: list[int]) -> list[index.SearchHit]:
    from emisa.documents.operations import documents_by_id

    return [
        index.SearchHit(
            kind="document",
            item_id=document.id,
            group_id=document.group_id,
            group_name=document.group.name,
            title=_open(document, "title") or "(untitled document)",
            excerpt=_open(document, "description")[:240],
            url=f"/documents/{document.id}",
            tlp=document.tlp,
            when=document.updated_at,
        )
        for document in documents_by_id(ids, lambda d: can(user, "read", d))
    ]


def register() -> None:
    if _document_model() is not None:
        index.register_kind("document", document_readable, resolve_documents)
