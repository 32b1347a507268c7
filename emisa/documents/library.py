"""The best-practice library: TLP:GREEN and TLP:CLEAR documents across groups.

Titles, descriptions and tags are sealed in the database; words are found through
the blind index (``emisa.search``), so a query, like every filter here, runs in SQL
and only the documents of the page shown are loaded and opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from emisa.access import can
from emisa.access.documents import document_read_clause, public_read, public_read_clause
from emisa.documents.models import LIBRARY_WHERE, Document
from emisa.documents.operations import documents_by_id
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.search import index
from emisa.web import whole_number_arg

# Written as the partial index ``ix_documents_library`` is, so the database uses it.
IN_LIBRARY = sa.text(f"documents.{LIBRARY_WHERE}")
PER_PAGE = 50


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

    @property
    def active(self) -> bool:
        return bool(self.q or self.tag or self.country or self.group)

    def conditions(self) -> list:
        """The filter as SQL: group and country on metadata, words and tag on the blind index."""
        where = []
        if self.group is not None:
            where.append(Document.group_id == self.group)
        if self.country:
            where.append(Document.origin_country == self.country)
        all_groups = db.session.scalars(sa.select(WorkingGroup.id)).all()
        found = index.matching_ids("document", all_groups, f"{self.q} {self.tag}")
        if found is not None:
            where.append(Document.id.in_(found))
        return where


def _page(allowed, readable, wanted: LibraryFilter, page: int, per_page: int) -> tuple[list, int]:
    where = sa.and_(IN_LIBRARY, allowed, *wanted.conditions())
    ids = db.session.scalars(
        sa.select(Document.id)
        .where(where)
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(where))
    return documents_by_id(ids, readable), total


def search(user, wanted: LibraryFilter, page: int = 1, per_page: int = PER_PAGE):
    """One page of the GREEN and CLEAR documents ``user`` may read, newest first, and the
    number of them in all."""
    return _page(document_read_clause(user), lambda d: can(user, "read", d), wanted, page, per_page)


def public_documents(wanted: LibraryFilter, page: int = 1, per_page: int = PER_PAGE):
    """What the public page shows: published TLP:CLEAR documents only."""
    return _page(public_read_clause(), public_read, wanted, page, per_page)
