"""The audit chain's head, anchored outside the database.

The hash chain shows an entry altered or removed in the middle, but not the newest entries
removed: what remains is still a valid chain. So after each append the newest entry's
sequence number and hash go to ``<data dir>/audit/head`` with an HMAC under the chain key,
and ``verify`` insists that the anchored entry is still there with that hash.

- The anchor is written after the append commits: a crash in between leaves it behind the
  log, never ahead. (On SQLite, which runs with ``synchronous=NORMAL``, a power cut can undo
  the last commits while the anchor, written to the page cache just as they were, survives;
  verify then reports those entries deleted.)
- It only moves forward, and only along the same chain: an appender that finds the anchored
  entry gone or replaced (the tail deleted, then regrown) leaves the anchor where it is, so
  the evidence survives until an operator reanchors.
- It guards the log against whoever can change the database. Whoever can also write the data
  directory and kept an older anchor file can put that back: the anchor cannot stop them.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import NamedTuple

from flask import current_app

log = logging.getLogger(__name__)


class Head(NamedTuple):
    seq: int
    entry_hash: str


class AnchorError(Exception):
    """The anchor file cannot be read or its HMAC does not match: forged or damaged."""


@functools.lru_cache(maxsize=8)
def _files(data_dir: str) -> tuple[str, str, str]:
    """The directory, lock file and anchor file as plain strings, built once per data dir."""
    directory = os.path.join(data_dir, "audit")
    return directory, os.path.join(directory, "head.lock"), os.path.join(directory, "head")


def _here() -> tuple[str, str, str]:
    # Next to the blobs: every process of a deployment shares the data directory.
    return _files(str(current_app.config["EMISA_DATA_DIR"]))


def path() -> Path:
    return Path(_here()[2])


def _mac(key: bytes, head: Head) -> str:
    message = f"emisa audit anchor v1:{head.seq}:{head.entry_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _parse(key: bytes, content: bytes) -> Head:
    try:
        data = json.loads(content)
        head = Head(int(data["seq"]), str(data["hash"]))
        genuine = hmac.compare_digest(str(data["mac"]), _mac(key, head))
    except (ValueError, KeyError, TypeError) as error:
        raise AnchorError(f"the anchor {path()} cannot be read ({error})") from error
    if not genuine:
        raise AnchorError(f"the anchor {path()} is not authentic: it was forged or damaged")
    return head


@contextmanager
def _locked(mode: int) -> Iterator[None]:
    """A flock on ``head.lock`` shared by all processes: writers take it exclusively to read,
    compare and write as one step; readers take it shared, so never see half of a write."""
    directory, lock, _file = _here()
    try:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, mode)  # released when the descriptor closes
        yield
    finally:
        os.close(descriptor)


@contextmanager
def _opened(flags: int) -> Iterator[int | None]:
    """The anchor file's descriptor (the caller holds the lock); None if there is none."""
    try:
        descriptor = os.open(_here()[2], flags, 0o600)
    except FileNotFoundError:
        yield None
        return
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _load(key: bytes, descriptor: int | None) -> Head | None:
    if descriptor is None:
        return None
    return _parse(key, os.pread(descriptor, 4096, 0))  # a record is under 200 bytes


def read(key: bytes) -> Head | None:
    """The anchored head; None if there is no anchor file."""
    try:
        with _locked(fcntl.LOCK_SH), _opened(os.O_RDONLY) as descriptor:
            return _load(key, descriptor)
    except OSError as error:
        raise AnchorError(f"the anchor {path()} cannot be read ({error})") from error


def read_record(key: bytes) -> bytes | None:
    """The anchor file's bytes, checked authentic, for a backup; None if there is none."""
    try:
        with _locked(fcntl.LOCK_SH), _opened(os.O_RDONLY) as descriptor:
            if descriptor is None:
                return None
            content = os.pread(descriptor, 4096, 0)
    except OSError as error:
        raise AnchorError(f"the anchor {path()} cannot be read ({error})") from error
    _parse(key, content)
    return content


def install_record(key: bytes, content: bytes) -> None:
    """Put back an anchor taken by ``read_record`` (a restore), if it is authentic."""
    head = _parse(key, content)
    with _locked(fcntl.LOCK_EX), _opened(os.O_RDWR) as descriptor:
        _write(key, head, descriptor)


def _write(key: bytes, head: Head, descriptor: int | None) -> None:
    """Overwrite the record in place, under the exclusive lock.

    No fsync and no rename: both cost hundreds of microseconds on every audited request, and
    the anchor needs no more durability than the SQLite commits it follows
    (``synchronous=NORMAL``). A write lost in a power cut leaves the anchor behind; one torn
    by it makes verify report an unreadable anchor, for an operator to check and reanchor.
    """
    data = json.dumps({"seq": head.seq, "hash": head.entry_hash, "mac": _mac(key, head)}).encode()
    with _opened(os.O_RDWR | os.O_CREAT) if descriptor is None else nullcontext(descriptor) as fd:
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))


def advance(key: bytes, head: Head, continues: Callable[[Head | None], bool]) -> None:
    """Anchor ``head`` unless a newer entry is anchored or ``continues`` rejects the anchor.

    ``continues(anchored)`` says whether the log that ends at ``head`` still holds the
    anchored entry (``None``: whether it may start an anchor at all).
    """
    with _locked(fcntl.LOCK_EX), _opened(os.O_RDWR) as descriptor:
        try:
            anchored = _load(key, descriptor)
        except AnchorError as error:
            log.warning("audit anchor left as it is: %s", error)
            return
        if anchored is not None and anchored.seq >= head.seq:
            return
        if not continues(anchored):
            log.warning(
                "audit anchor left as it is: %s; see flask emisa audit-verify",
                "missing while the log holds older entries"
                if anchored is None
                else f"entry {anchored.seq} no longer carries the anchored hash",
            )
            return
        _write(key, head, descriptor)


def replace(key: bytes, head: Head) -> None:
    """Anchor ``head`` whatever was anchored before: an operator's deliberate step."""
    with _locked(fcntl.LOCK_EX), _opened(os.O_RDWR) as descriptor:
        _write(key, head, descriptor)
