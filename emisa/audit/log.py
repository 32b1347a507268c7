"""Writing and verifying the audit log.

Operations call ``record``; the entries are appended when the data they speak of
is committed (``emisa.database.commit``). Denials and reads do not depend on a
commit and are appended at the end of the request whatever happens. Appends run
in their own short transaction that holds a lock (BEGIN IMMEDIATE on SQLite, an
advisory lock on PostgreSQL) so entries from all processes form one chain.

Each entry's hash is an HMAC over the previous hash and the entry's fields,
keyed from the platform secret: whoever can only edit the database cannot
recompute a chain that ``audit-verify`` accepts. The newest entry is anchored outside the
database (``emisa.audit.anchor``) so that deleting the newest entries shows too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import Connection, Row, String, bindparam, exists, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.expression import Executable

from emisa.audit import anchor
from emisa.audit.anchor import Head
from emisa.audit.models import AuditAction, AuditEntry
from emisa.extensions import db
from emisa.timeutil import utcnow

log = logging.getLogger(__name__)
GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x454D495341  # "EMISA"
# Built once: every audited request appends, so statement construction is on the hot path.
_TABLE = AuditEntry.__table__
_INSERT = _TABLE.insert()
_LAST = select(_TABLE.c.seq, _TABLE.c.entry_hash).order_by(_TABLE.c.seq.desc()).limit(1)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_ACTIONS = AuditAction.__table__
# Under the append lock, so no other writer can insert the same action in between.
_NEW_ACTION = _ACTIONS.insert().from_select(
    ["action"],
    select(bindparam("action", type_=String(80))).where(
        ~exists().where(_ACTIONS.c.action == bindparam("action"))
    ),
)


@dataclass
class _Pending:
    values: dict[str, Any]
    # True: only written if the data it describes was committed.
    with_data: bool = True
    sealed: bool = field(default=False)


def _chain_key() -> bytes:
    app = current_app._get_current_object()
    key = app.extensions.get("emisa.audit_key")
    if key is None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"emisa audit chain v1"
        ).derive(app.config["SECRET_KEY"].encode())
        app.extensions["emisa.audit_key"] = key
    return key


def forget_chain_key() -> None:
    """After the platform secret changed (a restore): derive the chain key again."""
    current_app.extensions.pop("emisa.audit_key", None)


def entry_digest(key: bytes, prev_hash: str, values: Mapping[str, Any]) -> str:
    fields = {
        "seq": values["seq"],
        "created_at": values["created_at"].isoformat(timespec="microseconds"),
        "actor_id": values["actor_id"],
        "actor_email": values["actor_email"],
        "action": values["action"],
        "outcome": values["outcome"],
        "target_type": values["target_type"],
        "target_id": values["target_id"],
        "group_id": values["group_id"],
        "ip_address": values["ip_address"],
        "details": values["details"],
    }
    message = prev_hash.encode() + json.dumps(fields, sort_keys=True).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _pending() -> list[_Pending]:
    if "emisa_audit" not in g:
        g.emisa_audit = []
    return g.emisa_audit


def client_address() -> str:
    return (request.remote_addr or "") if has_request_context() else "cli"


def _actor(actor) -> tuple[int | None, str]:
    if actor is None and has_request_context():
        actor = current_user._get_current_object()
    if actor is None or not getattr(actor, "id", None):
        return None, ""
    return actor.id, actor.email


def record(
    action: str,
    *,
    actor=None,
    outcome: str = "ok",
    target=None,
    target_type: str = "",
    target_id: str | int = "",
    group_id: int | None = None,
    details: dict | None = None,
    with_data: bool = True,
) -> None:
    """Queue one entry. Never put group content in ``details``: only ids and labels."""
    actor_id, actor_email = _actor(actor)
    if target is not None:
        target_type = target_type or getattr(type(target), "__policy_type__", "")
        target_id = target_id or getattr(target, "id", "")
        if group_id is None and target_type == "group":
            group_id = target.id
        group_id = group_id if group_id is not None else getattr(target, "group_id", None)
    _pending().append(
        _Pending(
            {
                "actor_id": actor_id,
                "actor_email": actor_email,
                "action": action,
                "outcome": outcome,
                "target_type": target_type,
                "target_id": str(target_id or ""),
                "group_id": group_id,
                "ip_address": client_address(),
                "details": json.dumps(details or {}, sort_keys=True, default=str),
            },
            with_data=with_data,
        )
    )


def record_denial(actor, action: str, resource, decision) -> None:
    record(
        "access.denied",
        actor=actor if getattr(actor, "id", None) else None,
        outcome="denied",
        target=resource,
        details={"action": action, "reason": decision.reason, "status": decision.status},
        with_data=False,
    )


def record_event(action: str, **kwargs) -> None:
    """An entry that stands on its own (a read, a failed login): written even without a commit."""
    record(action, with_data=False, **kwargs)


def flush_pending(*, committed: bool = True, writes: Sequence[Executable] = ()) -> None:
    """Append the queued entries (after a failed request, only those independent of its
    data) and run ``writes``, a committed request's small writes, in the same transaction."""
    queue = _pending()
    entries = [item for item in queue if committed or not item.with_data]
    queue.clear()
    if not entries and not writes:
        return
    if not committed:
        # Whatever the request wrote uncommitted is dropped; on SQLite its open write
        # transaction would otherwise hold the lock the append needs.
        db.session.rollback()
    append([item.values for item in entries], writes)


def append(rows: list[dict[str, Any]], writes: Sequence[Executable] = ()) -> None:
    """Chain ``rows`` onto the log in one short write transaction that also runs ``writes``:
    a read that stores a "seen" marker takes one write transaction, not two."""
    key = _chain_key()
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(_LOCK, {"key": _ADVISORY_LOCK_KEY})
            last = connection.execute(_LAST).first()
            seq, prev_hash = (last.seq, last.entry_hash) if last else (0, GENESIS)
            before = Head(seq, prev_hash)
            chained = []
            for values in rows:
                seq += 1
                row = dict(values, seq=seq, created_at=utcnow())
                row["prev_hash"] = prev_hash
                row["entry_hash"] = prev_hash = entry_digest(key, prev_hash, row)
                chained.append(row)
            if chained:
                connection.execute(_INSERT, chained)
            new_actions = _note_actions(connection, {row["action"] for row in rows})
            for statement in writes:
                _write_apart(connection, statement)
    _known_actions().update(new_actions)
    if chained:
        _anchor(key, before, Head(seq, prev_hash))


def _write_apart(connection: Connection, statement: Executable) -> None:
    """Run one small write under a savepoint: should it fail (its thread deleted meanwhile),
    it alone is lost, not the entries appended with it."""
    try:
        with connection.begin_nested():
            connection.execute(statement)
    except SQLAlchemyError:
        log.exception("a write after the commit failed")


def _known_actions() -> set[str]:
    """Actions this process has seen committed to this platform's ``audit_actions``."""
    return current_app.extensions.setdefault("emisa_audit_actions", set())


def _note_actions(connection: Connection, actions: set[str]) -> set[str]:
    """Write the actions this process has not yet seen to ``audit_actions`` (once each per
    process: after that an append costs no extra statement)."""
    new = actions - _known_actions()
    for action in sorted(new):
        connection.execute(_NEW_ACTION, {"action": action})
    return new


def _anchor(key: bytes, before: Head, head: Head) -> None:
    """Anchor the newest entry once committed; a failed write only leaves the anchor behind."""

    def continues(anchored: Head | None) -> bool:
        if anchored is None:
            # Only a new log starts its anchor: a deleted one stays missing (see verify).
            return before.seq == 0
        if anchored == before:
            return True
        # Another process committed after the anchored entry and has not anchored yet.
        with _reader() as connection:
            return _hash_at(connection, anchored.seq) == anchored.entry_hash

    try:
        anchor.advance(key, head, continues)
    except OSError:
        log.exception("audit anchor not written; it stays behind the log")


@contextmanager
def _reader() -> Iterator[Connection]:
    """A connection of its own that never takes SQLite's write lock."""
    with db.engine.connect() as connection:
        yield connection.execution_options(sqlite_immediate=False)


def _hash_at(connection: Connection, seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    return connection.scalar(select(_TABLE.c.entry_hash).where(_TABLE.c.seq == seq))


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str


def _entries(connection: Connection, batch: int = 2000) -> Iterator[Row]:
    last_seq = 0
    query = select(_TABLE).order_by(_TABLE.c.seq).limit(batch)
    while rows := connection.execute(query.where(_TABLE.c.seq > last_seq)).all():
        yield from rows
        last_seq = rows[-1].seq


def _walk(connection: Connection, key: bytes) -> tuple[VerifyResult, Head]:
    """Check the chain entry by entry; stop at the first one altered, removed or inserted."""
    head = Head(0, GENESIS)
    for entry in _entries(connection):
        if entry.seq != head.seq + 1:
            message = f"entry {head.seq + 1} is missing (next entry is {entry.seq})"
            return VerifyResult(False, head.seq, message), head
        digest = entry_digest(key, head.entry_hash, entry._mapping)
        if entry.prev_hash != head.entry_hash or digest != entry.entry_hash:
            message = f"entry {entry.seq} (id {entry.id}) was altered: its hash does not match"
            return VerifyResult(False, head.seq, message), head
        head = Head(entry.seq, entry.entry_hash)
    return VerifyResult(True, head.seq, f"audit log intact: {head.seq} entries verified"), head


def _anchor_problem(connection: Connection, anchored: Head | None, head: Head) -> str | None:
    if anchored is None:
        if head.seq == 0:
            return None
        return (
            f"no anchor at {anchor.path()} although the log holds {head.seq} entries: it was "
            "deleted, perhaps to hide deleted entries, or the log predates anchoring; "
            "once explained, run audit-verify --reanchor"
        )
    if anchored.seq > head.seq:
        return (
            f"entry {anchored.seq} named by the anchor is missing: the newest entries were "
            f"deleted (the log ends at entry {head.seq})"
        )
    if _hash_at(connection, anchored.seq) != anchored.entry_hash:
        return (
            f"entry {anchored.seq} does not carry the hash named by the anchor: the newest "
            "entries were deleted and others appended in their place"
        )
    return None


def verify() -> VerifyResult:
    """Walk the chain, then check that it still holds the entry the anchor names.

    The anchor is read before the walk, so every entry it names is committed and visible.
    A missing anchor fails verification once the log holds entries: a new log anchors its
    first append, so the anchor is only missing if it was deleted (perhaps to hide deleted
    entries), lost with the data directory, or the log was written before anchoring existed.
    Appends never recreate it, or deleting it would erase the evidence; an operator who has
    explained its absence runs ``audit-verify --reanchor`` (``reanchor``).
    """
    key = _chain_key()
    try:
        anchored, anchor_error = anchor.read(key), None
    except anchor.AnchorError as error:
        anchored, anchor_error = None, error
    with _reader() as connection:
        result, head = _walk(connection, key)
        if not result.ok:
            return result
        problem = str(anchor_error) if anchor_error else _anchor_problem(connection, anchored, head)
    return VerifyResult(False, result.checked, problem) if problem else result


def anchor_record() -> bytes | None:
    """The anchor as stored, checked authentic: what a backup keeps of it."""
    return anchor.read_record(_chain_key())


def install_anchor_record(content: bytes) -> None:
    """Put back an anchor from a backup; ``anchor.AnchorError`` if it is not authentic."""
    anchor.install_record(_chain_key(), content)


def reanchor() -> VerifyResult:
    """Walk the chain and, if it is intact, anchor its newest entry whatever the anchor said.

    For an operator: after upgrading a log written before anchoring, or after restoring an
    older database. Never called by the platform itself.
    """
    key = _chain_key()
    with _reader() as connection:
        result, head = _walk(connection, key)
    if result.ok:
        anchor.replace(key, head)
        result.message += f"; anchor set to entry {head.seq}"
    return result
