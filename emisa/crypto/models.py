"""Wrapped group keys: the only place group keys exist at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emisa.extensions import db
from emisa.timeutil import utcnow


class GroupKey(db.Model):
    """One version of one working group's key, wrapped by a master key."""

    __tablename__ = "group_keys"
    __table_args__ = (
        UniqueConstraint("group_id", "version", name="uq_group_keys_group_id_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Cascade: deleting the group deletes its keys, which shreds everything they protected.
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    # Counts up from 1 per group and is never reused; blobs carry it to find their key.
    version: Mapped[int]
    # Which master key version wrapped this row; rotate-master-key moves rows to the newest.
    master_version: Mapped[int]
    # nonce || AES-256-GCM(master key, group key), aad "emisa:group-key:<group>:<version>";
    # NULL once the version is retired, so a later leak of the master key cannot recover it.
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    @property
    def live(self) -> bool:
        return self.wrapped_key is not None and self.retired_at is None

    def __repr__(self) -> str:
        return f"<GroupKey group={self.group_id} v{self.version} master=v{self.master_version}>"
