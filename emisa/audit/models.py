"""The audit log: append-only rows, each chained to the one before it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emisa.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_action_created", "action", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Gap-free position in the chain; unique so two writers can never fork it.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # No foreign keys: the log outlives the rows it speaks of and is never cascaded.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(10))  # ok, denied, failed
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    group_id: Mapped[int | None] = mapped_column(index=True)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, never content
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditAction(db.Model):
    """Each action the log holds, once: the audit page's action filter reads this short
    list (as many rows as the code has actions) rather than every entry of the log."""

    __tablename__ = "audit_actions"

    action: Mapped[str] = mapped_column(String(80), primary_key=True)
