"""Append-only, hash-chained audit log."""

from emisa.audit.log import (
    anchor_record,
    flush_pending,
    install_anchor_record,
    reanchor,
    record,
    record_denial,
    record_event,
    verify,
)

__all__ = [
    "anchor_record",
    "flush_pending",
    "install_anchor_record",
    "reanchor",
    "record",
    "record_denial",
    "record_event",
    "verify",
]
