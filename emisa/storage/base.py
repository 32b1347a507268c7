"""The blob store interface and blob ids.

Blobs are opaque, immutable byte strings (always ciphertext here) named by
random ids. The store only promises durability and atomicity: a blob is
either fully written and durable, or not visible at all, so a document row
can be committed as soon as ``open_writer`` returned without error.
"""

from __future__ import annotations

import errno
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

# 128 random bits in lower-case hex: nothing a path could be smuggled through.
BLOB_ID_RE = re.compile(r"[0-9a-f]{32}")


class BlobNotFound(FileNotFoundError):
    """No blob with this id exists."""


class StorageFull(OSError):
    """The store has no room (or quota) left; the blob being written was discarded."""


# What a full disk or an exhausted quota raises while a blob is written.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def new_blob_id() -> str:
    return secrets.token_hex(16)


def check_blob_id(blob_id: str) -> str:
    """Return ``blob_id`` if it is well formed; anything else is refused, never normalised."""
    if not isinstance(blob_id, str) or not BLOB_ID_RE.fullmatch(blob_id):
        raise ValueError("invalid blob id")
    return blob_id


class BlobWriter(Protocol):
    """An open, not yet visible blob: ``commit`` publishes it, ``abort`` discards it.

    As a context manager it commits on normal exit and aborts on an exception.
    """

    blob_id: str
    bytes_written: int

    def write(self, data: bytes) -> int: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...
    def __enter__(self) -> BlobWriter: ...
    def __exit__(self, exc_type: object, exc: object, tb: object) -> None: ...


class BlobStore(Protocol):
    def open_writer(self, blob_id: str) -> BlobWriter: ...
    def open_reader(self, blob_id: str) -> BinaryIO: ...
    def delete(self, blob_id: str) -> bool: ...
    def exists(self, blob_id: str) -> bool: ...
    def size(self, blob_id: str) -> int: ...
    def iter_blob_ids(self) -> Iterator[str]: ...
    def iter_orphan_temp_files(self, min_age: float = ...) -> Iterator[Path]: ...
