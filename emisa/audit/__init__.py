"""Append-only, hash-chained audit log."""

from emisa.audit.log import (
    flush_pending,
    reanchor,
    record,
    record_denial,
    record_event,
    verify,
)

__all__ = ["flush_pending", "reanchor", "record", "record_denial", "record_event", "verify"]
