"""The best-practice library: TLP:GREEN and TLP:CLEAR documents across groups.

Titles and descriptions are sealed in the database, so text search opens them
here, in memory, for the documents the reader may see; nothing is indexed in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from emisa.access import can
from emisa.access.documents import public_read
from emisa.access.markings import Tlp
from emisa.documents.models import Document
from emisa.documents.operations import documents_query, read_fields
from emisa.extensions import db
from emisa.web import whole_number_arg

LIBRARY_LABELS = (Tlp.GREEN.value, Tlp.CLEAR.value)


@dataclass(frozen=True)
class LibraryFilter:
    q: str = ""
    group: int | None = None
    tag: str = ""
    country: str = ""

    @classmethod
    def from_args(cls, args) -> LibraryFilter:
        return cls(
            q=" ".join(args.get("q", "").split()).lower()[:200],
            group=whole_number_arg("group", args=args),
            tag=args.get("tag", "").strip().lower()[:40],
            country=args.get("country", "").strip().upper()[:2],
        )


@dataclass
class LibraryResult:
    documents: list[Document]
    groups: dict[int, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


def _matches(document: Document, wanted: LibraryFilter) -> bool:
    if wanted.group is not None and document.group_id != wanted.group:
        return False
    if wanted.country and document.origin_country != wanted.country:
        return False
    fields = read_fields(document)
    if wanted.tag and wanted.tag not in fields.tags:
        return False
    if wanted.q:
        haystack = f"{fields.title}\n{fields.description}\n{' '.join(fields.tags)}".lower()
        return all(word in haystack for word in wanted.q.split())
    return True


def _result(candidates: list[Document], wanted: LibraryFilter) -> LibraryResult:
    result = LibraryResult([d for d in candidates if _matches(d, wanted)])
    tags: set[str] = set()
    for document in candidates:
        result.groups[document.group_id] = document.group.name
        tags.update(read_fields(document).tags)
    result.tags = sorted(tags)
    result.countries = sorted({d.origin_country for d in candidates})
    return result


def search(user, wanted: LibraryFilter) -> LibraryResult:
    """GREEN and CLEAR documents ``user`` may read, filtered; newest first."""
    query = documents_query().where(Document.tlp.in_(LIBRARY_LABELS))
    rows = db.session.scalars(query.order_by(Document.created_at.desc()))
    return _result([d for d in rows if can(user, "read", d)], wanted)


def public_documents(wanted: LibraryFilter) -> LibraryResult:
    """What the public page shows: published TLP:CLEAR documents only."""
    query = documents_query().where(Document.tlp == Tlp.CLEAR.value, Document.public.is_(sa.true()))
    rows = db.session.scalars(query.order_by(Document.created_at.desc()))
    return _result([d for d in rows if public_read(d)], wanted)
