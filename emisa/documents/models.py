"""Documents of a working group: encrypted versions, TLP:RED recipients, AMBER re-shares.

Nothing a person wrote is stored in clear: titles, descriptions, tags, file
names, handling conditions and even the plaintext's SHA-256 are sealed with
the group key (aad = the row's identity); file content lives in the blob store,
encrypted with a per-version data key that only exists wrapped by a group key.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    exists,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement

from emisa.access.marked import Marked
from emisa.accounts.models import User
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.timeutil import utcnow

if TYPE_CHECKING:
    from emisa.discussions.models import Post

# The codes stay H0 to H3 in every language; only their meaning is translated.
HANDLING_MEANINGS = {
    "H0": _l("No restriction on use in judicial proceedings"),
    "H1": _l("Not to be used as evidence in judicial proceedings without the owner's permission"),
    "H2": _l("Not to be disseminated without the owner's permission"),
    "H3": _l("Other restrictions (see conditions)"),
}
HANDLING_CODES = {
    code: LazyString(lambda code=code: f"{code} · {HANDLING_MEANINGS[code]}")
    for code in HANDLING_MEANINGS
}


LIBRARY_WHERE = "tlp IN ('TLP:GREEN', 'TLP:CLEAR')"


class Document(Marked, db.Model):
    __tablename__ = "documents"
    __policy_type__ = "document"
    __marked_kind__ = "document"
    # The orders of the group's document list and of the library, read off an index.
    __table_args__ = (
        Index("ix_documents_group_updated", "group_id", "updated_at", "id"),
        Index("ix_documents_group_created", "group_id", "created_at", "id"),
        # The library's GREEN and CLEAR documents alone, newest first (queries name the
        # labels as literals, as here, so SQLite sees the index applies).
        Index(
            "ix_documents_library",
            "updated_at",
            "id",
            sqlite_where=text(LIBRARY_WHERE),
            postgresql_where=text(LIBRARY_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    handling_code: Mapped[str | None] = mapped_column(String(2))  # H0..H3 (Europol style)
    # Sealed, aad "document:<id>:<field>"; empty bytes when the field is empty.
    title_sealed: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    description_sealed: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    tags_sealed: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # JSON list of tags
    handling_conditions_sealed: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # H3 text
    uploader_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The uploader's country at upload: the library's "country of origin".
    origin_country: Mapped[str] = mapped_column(String(2))
    current_version: Mapped[int] = mapped_column(default=1)
    # A coordinator published this TLP:CLEAR document on the public /library page.
    public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[WorkingGroup] = relationship()
    uploader: Mapped[User | None] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentVersion.number",
    )
    shares: Mapped[list[DocumentShare]] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )
    # The hidden posts this file is attached to (it is then read like them): a relationship,
    # so a list loads them for its whole page at once instead of asking once per document.
    hidden_posts: Mapped[list[Post]] = relationship(
        "Post",
        secondary="post_attachments",
        primaryjoin="Document.id == PostAttachment.document_id",
        secondaryjoin="and_(PostAttachment.post_id == Post.id, Post.hidden_at.is_not(None))",
        viewonly=True,
    )

    @property
    def shared_group_ids(self) -> tuple[int, ...]:
        return tuple(sorted(share.group_id for share in self.shares))

    @property
    def published(self) -> bool:
        return bool(self.public)

    @classmethod
    def shared_with_clause(cls, group_ids: Collection[int]) -> ColumnElement[bool]:
        """The document was re-shared to one of ``group_ids`` (SQL twin of ``shared_group_ids``)."""
        return exists().where(
            DocumentShare.document_id == cls.id, DocumentShare.group_id.in_(group_ids)
        )

    @property
    def latest(self) -> DocumentVersion:
        return self.versions[-1]

    def version(self, number: int | None) -> DocumentVersion | None:
        if number is None:
            return self.latest
        return next((v for v in self.versions if v.number == number), None)

    @property
    def total_size(self) -> int:
        return sum(v.size for v in self.versions)


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, ... per document
    blob_id: Mapped[str] = mapped_column(String(32), unique=True)  # the encrypted file
    # The data key wrapped by the group key, aad "document-version:<id>:<blob id>".
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int]  # group key version that wrapped ``wrapped_key``
    size: Mapped[int] = mapped_column(BigInteger)  # plaintext bytes
    stored_size: Mapped[int] = mapped_column(BigInteger)  # ciphertext bytes in the blob store
    # Hex SHA-256 of the plaintext, sealed: a clear hash would confirm guesses of the content.
    sha256_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    filename_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Sniffed from the first bytes for previewable types, else the sender's (sanitised) type.
    content_type: Mapped[str] = mapped_column(String(100))
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    uploader: Mapped[User | None] = relationship()

    @property
    def key_aad(self) -> str:
        return f"document-version:{self.id}:{self.blob_id}"

    @property
    def stream_aad(self) -> bytes:
        return f"emisa-blob:{self.blob_id}".encode()


class DocumentShare(db.Model):
    """A TLP:AMBER document re-shared by a coordinator to another group they coordinate."""

    __tablename__ = "document_shares"
    __table_args__ = (UniqueConstraint("document_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    # The receiving group; its members read the file with keys wrapped by its own group key.
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="shares")
    group: Mapped[WorkingGroup] = relationship()
    shared_by: Mapped[User | None] = relationship()
    keys: Mapped[list[DocumentShareKey]] = relationship(
        back_populates="share", cascade="all, delete-orphan"
    )


class DocumentShareKey(db.Model):
    """One version's data key re-wrapped under the receiving group's key (file untouched)."""

    __tablename__ = "document_share_keys"
    __table_args__ = (UniqueConstraint("share_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("document_shares.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    # Wrapped by the receiving group's key, aad "document-share:<share id>:<blob id>".
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int]

    share: Mapped[DocumentShare] = relationship(back_populates="keys")
    version: Mapped[DocumentVersion] = relationship()

    @property
    def key_aad(self) -> str:
        return f"document-share:{self.share_id}:{self.version.blob_id}"
