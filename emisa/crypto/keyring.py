"""The keyring: master keys -> group keys -> data keys and sealed fields.

Callers pass ids and get ciphertext or plaintext back; key material stays in
here. Group keys are created on first use, wrapped by the current master key
and flushed (never committed: the caller commits at its request boundary).

Reuse, and why it is safe across processes: the CLI rotates and shreds in a
different process from the web server. An unwrapped key is reused only within
one transaction, from a memo on the session (cleared on every commit and
rollback); the next transaction reads the row and unwraps it again (a few
microseconds: ``python -m bench.internals``). A rotated or shredded key is thus
never used past the end of the transaction that saw it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from sqlalchemy.orm import Session

from emisa.crypto import aead, envelope
from emisa.crypto import master as master_keys
from emisa.crypto.errors import (
    CryptoError,
    IntegrityFailure,
    KeyUnavailable,
    MasterKeyError,
    UnknownGroup,
)
from emisa.crypto.models import GroupKey
from emisa.extensions import db
from emisa.timeutil import utcnow

GroupRotationHook = Callable[[int, list[int], int], None]
MasterRotationHook = Callable[[list[int], int], None]

EXTENSION_KEY = "emisa.keyring"
_STATE_KEY = "emisa.keyring.state"
_MEMO_KEY = "emisa.keyring.memo"
_groups = sa.table("working_groups", sa.column("id"))
# Every request that opens content reads its key row (a shredded key must not open): built once.
# Columns, not the entity: asked on every content read, and no object is needed.
_KEY_VERSION = sa.select(*GroupKey.__table__.columns).where(
    GroupKey.group_id == sa.bindparam("group_id"), GroupKey.version == sa.bindparam("version")
)


class GroupKeyHandle(NamedTuple):
    version: int
    key: bytes


class DataKey(NamedTuple):
    key: bytes
    # group key version u32 | nonce | AES-GCM(group key, data key); store this, never ``key``.
    wrapped: bytes
    group_key_version: int


@dataclass(frozen=True)
class _Unwrapped:
    """An unwrapped group key and its cipher."""

    key: bytes
    cipher: AESGCM


@dataclass
class _Memo:
    """Keys this transaction already resolved; dropped at commit and rollback."""

    current: dict[int, int] = field(default_factory=dict)
    keys: dict[tuple[int, int], _Unwrapped] = field(default_factory=dict)

    def forget_group(self, group_id: int, versions: list[int] | None = None) -> None:
        for key in [k for k in self.keys if k[0] == group_id]:
            if versions is None or key[1] in versions:
                del self.keys[key]
        if versions is None or self.current.get(group_id) in versions:
            self.current.pop(group_id, None)


class _State:
    """Per-app keyring state: the master keys and the platform ciphers derived from them."""

    def __init__(self, keys: master_keys.MasterKeySet | None, data_dir: Path) -> None:
        self._master = keys
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self._platform: dict[tuple[int, str], AESGCM] = {}

    @property
    def master(self) -> master_keys.MasterKeySet:
        """The master keys; a missing key file is created here, on first use.

        Not at start-up: only inside a transaction can we check that the
        database holds no group keys yet, i.e. that no key file was lost.
        """
        keys = self._master
        if keys is None:
            with self.lock:
                if self._master is None:
                    self._master = master_keys.read_or_create_key_file(
                        self.data_dir, _database_has_group_keys
                    )
                keys = self._master
        return keys

    @master.setter
    def master(self, keys: master_keys.MasterKeySet) -> None:
        self._master = keys

    def platform_cipher(self, version: int, purpose: str, master_key: bytes) -> AESGCM:
        with self.lock:
            cipher = self._platform.get((version, purpose))
            if cipher is None:
                cipher = AESGCM(envelope.derive_platform_key(master_key, purpose))
                self._platform[(version, purpose)] = cipher
            return cipher


@sa.event.listens_for(Session, "after_commit")
def _forget_memo_after_commit(session: Session) -> None:
    session.info.pop(_MEMO_KEY, None)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_memo_after_rollback(session: Session, previous_transaction: object) -> None:
    # Any rollback, savepoints included, may have undone a key this memo holds.
    session.info.pop(_MEMO_KEY, None)


def _setting(app: Flask, name: str) -> str | None:
    value = app.config.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _database_has_group_keys() -> bool:
    """Whether any group key exists, asked in the caller's own transaction."""
    connection = db.session.connection()
    if not sa.inspect(connection).has_table(GroupKey.__tablename__):
        return False
    return db.session.execute(sa.select(GroupKey.id).limit(1)).first() is not None


def unwrap_problems(master: Mapping[int, bytes], rows: Iterable[GroupKey | sa.Row]) -> list[str]:
    """Unwrap every live group key row with ``master`` (version -> key); one line per failure.

    For keys not installed yet: a restore checks the configured key against a backup's rows,
    and a key rebuilt from shares is checked against the database before anyone uses it.
    """
    problems = []
    for row in rows:
        if row.wrapped_key is None or row.retired_at is not None:
            continue
        master_key = master.get(row.master_version)
        if master_key is None:
            problems.append(
                f"group {row.group_id} key version {row.version} needs master key version "
                f"{row.master_version}, which is not available"
            )
            continue
        try:
            aead.open_sealed(
                master_key, row.wrapped_key, envelope.group_key_aad(row.group_id, row.version)
            )
        except IntegrityFailure:
            problems.append(
                f"group {row.group_id} key version {row.version} does not open with master key "
                f"version {row.master_version}"
            )
    return problems


class Keyring:
    """Envelope encryption for the app; one instance, bound with ``init_app``."""

    def __init__(self) -> None:
        self._group_hooks: list[GroupRotationHook] = []
        self._master_hooks: list[MasterRotationHook] = []

    def init_app(self, app: Flask) -> None:
        """Load the configured master keys now, so a bad key stops start-up, not a request.

        A key file that does not exist yet is created on first use instead (see
        ``_State.master``).
        """
        data_dir = Path(app.config["EMISA_DATA_DIR"])
        env_key = _setting(app, master_keys.SOURCE_ENV_KEY)
        env_keys = _setting(app, master_keys.SOURCE_ENV_KEYS)
        keys: master_keys.MasterKeySet | None = None
        if env_key or env_keys:
            keys = master_keys.load_master_keys(env_key, env_keys, data_dir)
        elif (data_dir / master_keys.KEY_FILE_NAME).exists():
            keys = master_keys.reload_key_file(data_dir)
        app.extensions[EXTENSION_KEY] = self
        app.extensions[_STATE_KEY] = _State(keys, data_dir)

    def installed_master_keys(self) -> master_keys.MasterKeySet | None:
        """The master keys configured or found at start; None if none is installed yet.

        Unlike using the keyring, asking never creates a key file: restoring and recovering
        must not mint a key that opens nothing.
        """
        return self._state()._master

    # Hooks

    def on_group_key_rotation(self, fn: GroupRotationHook) -> GroupRotationHook:
        """Register ``fn(group_id, old_versions, new_version)``; usable as a decorator.

        Hooks run inside the rotation, after the new version exists and while
        the old ones can still be read: they re-wrap data keys
        (``rewrap_data_key``) and re-seal fields (``reseal``) of the group.
        Whatever they miss becomes unreadable when the old versions are destroyed.
        """
        if fn not in self._group_hooks:
            self._group_hooks.append(fn)
        return fn

    def on_master_key_rotation(self, fn: MasterRotationHook) -> MasterRotationHook:
        """Register ``fn(old_versions, new_version)`` to re-seal platform secrets."""
        if fn not in self._master_hooks:
            self._master_hooks.append(fn)
        return fn

    # Group keys

    def current_group_key(self, group_id: int) -> GroupKeyHandle:
        """The live key version of the group, created (and flushed) on first use."""
        version, entry = self._current(group_id)
        return GroupKeyHandle(version, entry.key)

    def group_key(self, group_id: int, version: int) -> bytes:
        """A specific version; ``KeyUnavailable`` once it was retired or shredded."""
        return self._entry(group_id, version).key

    @staticmethod
    def blob_version(blob: bytes) -> int:
        """Key version a field blob or wrapped data key was sealed under, e.g. for hooks."""
        return envelope.blob_version(blob)

    # Small fields

    def seal_bytes(self, group_id: int, plaintext: bytes, aad: str) -> bytes:
        """Seal under the group's current key; ``aad`` names the row, e.g. ``document:7:title``."""
        version, entry = self._current(group_id)
        return envelope.seal_versioned(entry.cipher, version, plaintext, envelope.field_aad(aad))

    def open_bytes(self, group_id: int, blob: bytes, aad: str) -> bytes:
        entry = self._entry(group_id, envelope.blob_version(blob))
        return envelope.open_versioned(entry.cipher, blob, envelope.field_aad(aad))

    def seal_text(self, group_id: int, plaintext: str, aad: str) -> bytes:
        return self.seal_bytes(group_id, plaintext.encode("utf-8"), aad)

    def open_text(self, group_id: int, blob: bytes, aad: str) -> str:
        return self.open_bytes(group_id, blob, aad).decode("utf-8")

    def open_texts(self, group_id: int, items: list[tuple[bytes, str]]) -> list[str]:
        """``open_text`` for many fields of one group: each key version is resolved once.

        Every blob is authenticated on its own (``IntegrityFailure`` on the first that
        fails); only the key lookup is shared, so reading a thread of a hundred posts
        costs one memo lookup per key version instead of one per post.
        """
        ciphers: dict[int, AESGCM] = {}
        opened = []
        for blob, aad in items:
            version = envelope.blob_version(blob)
            cipher = ciphers.get(version)
            if cipher is None:
                cipher = ciphers[version] = self._entry(group_id, version).cipher
            plaintext = aead.open_with(
                cipher, memoryview(blob)[envelope.VERSION_SIZE :], envelope.field_aad(aad)
            )
            opened.append(plaintext.decode("utf-8"))
        return opened

    def seal_bytes_through(
        self, connection: sa.Connection, group_id: int, plaintext: bytes, aad: str
    ) -> bytes:
        """``seal_bytes`` for a migration: the live key is read through its own connection.

        The session's connection would wait on the migration's write lock (SQLite) or
        not see its rows; no key is created here (a group with content has one).
        """
        row = connection.execute(
            sa.select(*GroupKey.__table__.columns)
            .where(
                GroupKey.group_id == group_id,
                GroupKey.wrapped_key.is_not(None),
                GroupKey.retired_at.is_(None),
            )
            .order_by(GroupKey.version.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            raise KeyUnavailable(f"group {group_id} has no live key")
        entry = self._unwrap_row(self._state(), row)
        aad_bytes = envelope.field_aad(aad)
        return envelope.seal_versioned(entry.cipher, row.version, plaintext, aad_bytes)

    def reseal(self, group_id: int, blob: bytes, aad: str) -> bytes:
        """Re-seal a field under the current version; returned unchanged if already current."""
        if envelope.blob_version(blob) == self._current(group_id)[0]:
            return blob
        return self.seal_bytes(group_id, self.open_bytes(group_id, blob, aad), aad)

    # Data keys (one per stored file)

    def new_data_key(self, group_id: int, aad: str) -> DataKey:
        """A fresh random data key and its wrapped form under the group's current key.

        ``aad`` names what the key encrypts and must be the same when unwrapping,
        e.g. ``document-version:<id>`` (flush the row first to get its id).
        """
        version, entry = self._current(group_id)
        key = os.urandom(aead.KEY_SIZE)
        wrapped = envelope.seal_versioned(entry.cipher, version, key, envelope.data_key_aad(aad))
        return DataKey(key, wrapped, version)

    def unwrap_data_key(self, group_id: int, wrapped: bytes, aad: str) -> bytes:
        entry = self._entry(group_id, envelope.blob_version(wrapped))
        key = envelope.open_versioned(entry.cipher, wrapped, envelope.data_key_aad(aad))
        if len(key) != aead.KEY_SIZE:
            raise IntegrityFailure("wrapped data key does not hold a 32-byte key")
        return key

    def rewrap_data_key(
        self,
        from_group_id: int,
        wrapped: bytes,
        to_group_id: int,
        aad: str,
        *,
        new_aad: str | None = None,
    ) -> bytes:
        """Wrap the same data key under ``to_group_id``'s current key; the file is untouched.

        Serves re-sharing to another group and key rotation (from and to the
        same group). ``new_aad`` re-binds the key when the new owner row has
        another identity; by default the aad stays the same.
        """
        key = self.unwrap_data_key(from_group_id, wrapped, aad)
        version, entry = self._current(to_group_id)
        bound = envelope.data_key_aad(aad if new_aad is None else new_aad)
        return envelope.seal_versioned(entry.cipher, version, key, bound)

    # Platform secrets (no group: TOTP seeds and the like)

    def seal_platform(self, plaintext: bytes, purpose: str) -> bytes:
        state = self._state()
        version = state.master.current
        cipher = state.platform_cipher(version, purpose, state.master.current_key)
        return envelope.seal_versioned(cipher, version, plaintext, envelope.platform_info(purpose))

    def open_platform(self, blob: bytes, purpose: str) -> bytes:
        state = self._state()
        version = envelope.blob_version(blob)
        cipher = state.platform_cipher(version, purpose, self._master_key(state, version))
        return envelope.open_versioned(cipher, blob, envelope.platform_info(purpose))

    def reseal_platform(self, blob: bytes, purpose: str) -> bytes:
        """Re-seal under the current master version; returned unchanged if already current."""
        if envelope.blob_version(blob) == self._state().master.current:
            return blob
        return self.seal_platform(self.open_platform(blob, purpose), purpose)

    # Rotation and shredding

    def rotate_group_key(self, group_id: int) -> int:
        """Create a new version, let hooks move everything to it, destroy the old versions.

        Files are not re-encrypted: only their wrapped data keys change.
        """
        state = self._state()
        self._require_group(group_id)
        live = list(
            db.session.scalars(
                sa.select(GroupKey)
                .where(GroupKey.group_id == group_id, GroupKey.retired_at.is_(None))
                .order_by(GroupKey.version)
                # Waits for writers holding the current key (see _live_row) to commit.
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        new_version = self._max_version(group_id) + 1
        row = self._add_key_row(state, group_id, new_version)
        db.session.flush()
        memo = self._memo()
        memo.current[group_id] = new_version
        memo.keys[(group_id, new_version)] = self._unwrap_row(state, row)

        old_versions = [old.version for old in live]
        for hook in self._group_hooks:
            hook(group_id, list(old_versions), new_version)

        retired_at = utcnow()
        for old in live:
            old.wrapped_key = None
            old.retired_at = retired_at
        db.session.flush()
        memo.forget_group(group_id, old_versions)
        return new_version

    def rotate_master_key(self) -> int:
        """Make a new master version current and re-wrap every live group key under it.

        With the key file, the new version is written to the file before any
        row changes, and old versions stay in it: rows not yet committed, and
        processes not yet restarted, still need them. With ``EMISA_MASTER_KEYS``
        the operator supplies the new version and this re-wraps onto it.
        """
        state = self._state()
        source = state.master.source
        if source == master_keys.SOURCE_ENV_KEY:
            raise MasterKeyError(
                "the master key comes from EMISA_MASTER_KEY and cannot be rotated in place; "
                "generate a new key, set EMISA_MASTER_KEYS="
                '\'{"current": 2, "keys": {"1": "<current key>", "2": "<new key>"}}\' '
                "instead of EMISA_MASTER_KEY, restart, then run rotate-master-key again"
            )
        db.session.flush()
        if source == master_keys.SOURCE_FILE:
            with state.lock:
                state.master = master_keys.add_key_file_version(state.data_dir)
        new_version = state.master.current
        stale = list(
            db.session.scalars(
                sa.select(GroupKey)
                .where(
                    GroupKey.wrapped_key.is_not(None),
                    GroupKey.retired_at.is_(None),
                    GroupKey.master_version != new_version,
                )
                .order_by(GroupKey.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        if source == master_keys.SOURCE_ENV_KEYS and not stale:
            raise MasterKeyError(
                f"every group key is already wrapped by master key version {new_version}; "
                "to rotate, add a new version to EMISA_MASTER_KEYS, make it 'current', "
                "restart, then run rotate-master-key again"
            )
        new_master = state.master.current_key
        for row in stale:
            entry = self._unwrap_row(state, row)
            row.wrapped_key = aead.seal(
                new_master, entry.key, envelope.group_key_aad(row.group_id, row.version)
            )
            row.master_version = new_version
        db.session.flush()
        old_versions = sorted(v for v in state.master.keys if v != new_version)
        for hook in self._master_hooks:
            hook(list(old_versions), new_version)
        return new_version

    def shred_group(self, group_id: int) -> None:
        """Delete every key of the group: whatever they protected becomes unreadable."""
        db.session.execute(
            sa.delete(GroupKey).where(GroupKey.group_id == group_id),
            execution_options={"synchronize_session": "fetch"},
        )
        self._memo().forget_group(group_id)

    def check_group_keys(self) -> list[str]:
        """Unwrap every live group key; one line per problem, for fsck and operators."""
        state = self._state()
        problems = []
        rows = db.session.scalars(
            sa.select(GroupKey).where(GroupKey.wrapped_key.is_not(None)).order_by(GroupKey.id)
        )
        for row in rows:
            try:
                self._unwrap_row(state, row)
            except CryptoError as exc:
                problems.append(f"group {row.group_id} key version {row.version}: {exc}")
        return problems

    # Internals

    def _state(self) -> _State:
        try:
            return current_app.extensions[_STATE_KEY]
        except KeyError:
            raise RuntimeError("keyring.init_app(app) has not been called") from None

    def _memo(self) -> _Memo:
        info = db.session.info
        memo = info.get(_MEMO_KEY)
        if memo is None:
            memo = info[_MEMO_KEY] = _Memo()
        return memo

    def _master_key(self, state: _State, version: int) -> bytes:
        key = state.master.keys.get(version)
        if key is None and state.master.source == master_keys.SOURCE_FILE:
            # Another process may have rotated since we started.
            with state.lock:
                state.master = master_keys.reload_key_file(state.data_dir)
            key = state.master.keys.get(version)
        if key is None:
            raise KeyUnavailable(
                f"master key version {version} is not configured ({state.master.source})"
            )
        return key

    def _unwrap_row(self, state: _State, row: GroupKey | sa.Row) -> _Unwrapped:
        if row.wrapped_key is None or row.retired_at is not None:
            raise KeyUnavailable(f"group {row.group_id} key version {row.version} was retired")
        master_key = self._master_key(state, row.master_version)
        try:
            key = aead.open_sealed(
                master_key, row.wrapped_key, envelope.group_key_aad(row.group_id, row.version)
            )
        except IntegrityFailure:
            raise IntegrityFailure(
                f"wrapped key of group {row.group_id} version {row.version} failed "
                "authentication (tampered, or not wrapped by this master key)"
            ) from None
        if len(key) != aead.KEY_SIZE:
            raise IntegrityFailure(f"group {row.group_id} key version {row.version} is malformed")
        return _Unwrapped(key, AESGCM(key))

    def _entry(self, group_id: int, version: int) -> _Unwrapped:
        memo = self._memo()
        entry = memo.keys.get((group_id, version))
        if entry is not None:
            return entry
        row = db.session.execute(
            _KEY_VERSION, {"group_id": group_id, "version": version}
        ).one_or_none()
        if row is None:
            raise KeyUnavailable(
                f"group {group_id} has no key version {version} (shredded or never created)"
            )
        entry = self._unwrap_row(self._state(), row)
        memo.keys[(group_id, version)] = entry
        return entry

    def _current(self, group_id: int) -> tuple[int, _Unwrapped]:
        memo = self._memo()
        version = memo.current.get(group_id)
        if version is not None:
            return version, memo.keys[(group_id, version)]
        state = self._state()
        row = self._live_or_create(state, group_id)
        entry = self._unwrap_row(state, row)
        memo.current[group_id] = row.version
        memo.keys[(group_id, row.version)] = entry
        return row.version, entry

    def _live_row(self, group_id: int, *, lock: bool) -> GroupKey | None:
        stmt = (
            sa.select(GroupKey)
            .where(
                GroupKey.group_id == group_id,
                GroupKey.wrapped_key.is_not(None),
                GroupKey.retired_at.is_(None),
            )
            .order_by(GroupKey.version.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        if lock:
            # A shared row lock (PostgreSQL; SQLite serialises writers anyway) held until
            # commit: a rotation cannot destroy this version while we still seal under it.
            stmt = stmt.with_for_update(read=True)
        return db.session.scalars(stmt).one_or_none()

    def _live_or_create(self, state: _State, group_id: int) -> GroupKey:
        for _attempt in range(3):
            row = self._live_row(group_id, lock=True)
            if row is not None:
                return row
            if self._live_row(group_id, lock=False) is not None:
                # A rotation committed while we waited for the lock; look again.
                continue
            self._require_group(group_id)
            version = self._max_version(group_id) + 1
            try:
                with db.session.begin_nested():
                    row = self._add_key_row(state, group_id, version)
            except sa.exc.IntegrityError:
                # Another request created this version first; use theirs.
                continue
            return row
        raise CryptoError(f"could not obtain a key for group {group_id}: concurrent changes")

    def _max_version(self, group_id: int) -> int:
        top = db.session.scalar(
            sa.select(sa.func.max(GroupKey.version)).where(GroupKey.group_id == group_id)
        )
        return int(top or 0)

    def _add_key_row(self, state: _State, group_id: int, version: int) -> GroupKey:
        key = os.urandom(aead.KEY_SIZE)
        wrapped = aead.seal(
            state.master.current_key, key, envelope.group_key_aad(group_id, version)
        )
        row = GroupKey(
            group_id=group_id,
            version=version,
            master_version=state.master.current,
            wrapped_key=wrapped,
        )
        db.session.add(row)
        return row

    def _require_group(self, group_id: int) -> None:
        found = db.session.execute(sa.select(_groups.c.id).where(_groups.c.id == group_id)).first()
        if found is None:
            raise UnknownGroup(f"working group {group_id} does not exist")
