"""The audit chain's head, anchored outside the database.

The hash chain shows an entry altered or removed in the middle, but not the newest entries
removed: what remains is still a valid chain. So after each append the newest entry's
sequence number and hash go to ``<data dir>/audit/head`` with an HMAC under the chain key,
and ``verify`` insists that the anchored entry is still there with that hash.

- The anchor is written after the append commits: a crash in between leaves it behind the
  log, never ahead. (On SQLite, which runs with ``synchronous=NORMAL``, a power cut can undo
  the last commits while the anchor survives; verify then reports those entries deleted.)
- It only moves forward, and only along the same chain: an appender that finds the anchored
  entry gone or replaced (the tail deleted, then regrown) leaves the anchor where it is, so
  the evidence survives until an operator reanchors.
- It guards the log against whoever can change the database. Whoever can also write the data
  directory and kept an older anchor file can put that back: the anchor cannot stop them.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from flask import current_app

log = logging.getLogger(__name__)


class Head(NamedTuple):
    seq: int
    entry_hash: str


class AnchorError(Exception):
    """The anchor file cannot be read or its HMAC does not match: forged or damaged."""


def location() -> Path:
    """Next to the blobs: every process of a deployment shares the data directory."""
    return Path(current_app.config["EMISA_DATA_DIR"]) / "audit"


def path() -> Path:
    return location() / "head"


def _mac(key: bytes, head: Head) -> str:
    message = f"emisa audit anchor v1:{head.seq}:{head.entry_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def read(key: bytes) -> Head | None:
    """The anchored head; None if there is no anchor file."""
    try:
        data = json.loads(path().read_text())
        head = Head(int(data["seq"]), str(data["hash"]))
        genuine = hmac.compare_digest(str(data["mac"]), _mac(key, head))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnchorError(f"the anchor {path()} cannot be read ({error})") from error
    if not genuine:
        raise AnchorError(f"the anchor {path()} is not authentic: it was forged or damaged")
    return head


@contextmanager
def _locked() -> Iterator[Path]:
    """An exclusive flock shared by all processes: read, compare and write as one step."""
    directory = location()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(directory / "head.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor closes
        yield directory
    finally:
        os.close(descriptor)


def _write(directory: Path, key: bytes, head: Head) -> None:
    """Atomic: readers see the old anchor or the new one, never a partial file."""
    body = {"seq": head.seq, "hash": head.entry_hash, "mac": _mac(key, head)}
    temporary = directory / "head.tmp"
    with open(temporary, "w") as file:
        file.write(json.dumps(body))
        file.flush()
        os.fsync(file.fileno())
    # No fsync of the directory: a rename lost in a crash only leaves the anchor behind.
    os.replace(temporary, directory / "head")


def advance(key: bytes, head: Head, continues: Callable[[Head | None], bool]) -> None:
    """Anchor ``head`` unless a newer entry is anchored or ``continues`` rejects the anchor.

    ``continues(anchored)`` says whether the log that ends at ``head`` still holds the
    anchored entry (``None``: whether it may start an anchor at all).
    """
    with _locked() as directory:
        try:
            anchored = read(key)
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
        _write(directory, key, head)


def replace(key: bytes, head: Head) -> None:
    """Anchor ``head`` whatever was anchored before: an operator's deliberate step."""
    with _locked() as directory:
        _write(directory, key, head)
