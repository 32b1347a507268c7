"""Working groups, their memberships and join requests."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    LargeBinary,
    Select,
    String,
    Text,
    UniqueConstraint,
    cast,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emisa.access.countries import country_name
from emisa.access.roles import GroupRole, JoinPolicy
from emisa.accounts.models import User
from emisa.crypto import keyring
from emisa.extensions import db
from emisa.timeutil import utcnow


class WorkingGroup(db.Model):
    __tablename__ = "working_groups"
    __policy_type__ = "group"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    mandate: Mapped[str] = mapped_column(Text, default="")
    # Empty: open to every country; otherwise only accounts from these ISO codes see the group.
    allowed_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    join_policy: Mapped[str] = mapped_column(String(12), default=JoinPolicy.REQUEST)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Plaintext bytes of every document version of the group, for the quota: kept by
    # ``emisa.documents.operations`` in the transaction that adds or deletes a version (an
    # UPDATE adding to it, never a sum of the versions); ``fsck`` checks and repairs it.
    stored_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    @property
    def allowed_country_names(self) -> list[str]:
        return [country_name(code) for code in self.allowed_countries]


@functools.lru_cache(maxsize=1024)
def _parsed_countries(stored: str) -> tuple[str, ...]:
    """Most groups share a handful of country lists; each distinct one is parsed once."""
    return tuple(json.loads(stored))


class GroupListing(NamedTuple):
    """The columns a group list shows, read as plain rows.

    Listing a hundred groups as ORM entities costs more than the rest of the request; the
    group rules of the access policy only read these attributes, so a listing row is
    checked exactly like the entity would be.
    """

    __policy_type__ = "group"

    id: int
    slug: str
    name: str
    mandate: str
    allowed_countries: tuple[str, ...]
    join_policy: str

    @property
    def allowed_country_names(self) -> list[str]:
        return [country_name(code) for code in self.allowed_countries]

    @classmethod
    def statement(cls) -> Select:
        """A Core SELECT (no ORM row processing), country lists as their stored JSON text."""
        columns = WorkingGroup.__table__.c
        return select(
            *(
                cast(columns[field], Text).label(field)
                if field == "allowed_countries"
                else columns[field]
                for field in cls._fields
            )
        ).order_by(columns.name)

    @classmethod
    def from_row(cls, row) -> GroupListing:
        id_, slug, name, mandate, countries, join_policy = row
        return cls(id_, slug, name, mandate, _parsed_countries(countries), join_policy)


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)
    __policy_type__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12), default=GroupRole.MEMBER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[WorkingGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class JoinRequest(db.Model):
    __tablename__ = "join_requests"
    __policy_type__ = "join_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The requester's motivation and the coordinator's reason, sealed under the group key:
    # both often name cases, agencies and people.
    motivation_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # approved / rejected
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: no reason given
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[WorkingGroup] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def _aad(self, field: str) -> str:
        return f"join_request:{self.id}:{field}"

    @property
    def motivation(self) -> str:
        return keyring.open_text(self.group_id, self.motivation_sealed, self._aad("motivation"))

    @property
    def reason(self) -> str:
        if self.reason_sealed is None:
            return ""
        return keyring.open_text(self.group_id, self.reason_sealed, self._aad("reason"))

    def seal(self, *, motivation: str | None = None, reason: str | None = None) -> None:
        """Seal the texts given; the row must have its id (flushed) first."""
        if motivation is not None:
            self.motivation_sealed = keyring.seal_text(
                self.group_id, motivation, self._aad("motivation")
            )
        if reason:
            self.reason_sealed = keyring.seal_text(self.group_id, reason, self._aad("reason"))
