"""The blind index: keyed word tokens, and each group's index key sealed by its group key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from emisa.extensions import db
from emisa.timeutil import utcnow


class SearchIndexKey(db.Model):
    """A group's random index key; sealed by the group key, so shredding the group kills it."""

    __tablename__ = "search_index_keys"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True
    )
    # keyring.seal_bytes(group, 32 random bytes, aad "search-index-key:<group>")
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchToken(db.Model):
    """One normalised word of one item, as HMAC-SHA256(index key, word) truncated to 16 bytes."""

    __tablename__ = "search_tokens"
    __table_args__ = (
        # Covers a query: the items holding a token are read off the index alone.
        Index("ix_search_tokens_group_token", "group_id", "token", "kind", "item_id"),
        # A word's entries newest written first: a search page stops after its own entries.
        Index("ix_search_tokens_order", "group_id", "token", "id", "kind", "item_id"),
        Index("ix_search_tokens_item", "kind", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "thread", "post", "document", ...
    item_id: Mapped[int]
    token: Mapped[bytes] = mapped_column(LargeBinary(16))
