"""Blob store on the local file system, under the data directory.

Layout: ``<root>/<first two hex digits>/<blob id>``; the fan-out keeps
directories small. A blob is written to ``<root>/<xx>/.tmp-<id>-<random>``
in its final directory, fsynced, renamed into place and the directory fsynced,
so after a crash the blob is either complete or absent. Temp files left by
interrupted uploads are found by ``iter_orphan_temp_files`` for fsck.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from emisa.storage.base import BLOB_ID_RE, FULL_ERRNOS, BlobNotFound, StorageFull, check_blob_id

TEMP_PREFIX = ".tmp-"
# Upload writers touch their temp file on every write; an hour of silence means abandoned.
DEFAULT_ORPHAN_AGE = 3600.0
_FANOUT_RE = re.compile(r"[0-9a-f]{2}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobWriter:
    """A blob being written; invisible until ``commit`` (see ``BlobWriter``)."""

    def __init__(self, blob_id: str, final: Path, tmp: Path, fd: int) -> None:
        self.blob_id = blob_id
        self.bytes_written = 0
        self._final = final
        self._tmp = tmp
        self._file = os.fdopen(fd, "wb")
        self._state = "open"

    def write(self, data: bytes) -> int:
        if self._state != "open":
            raise ValueError(f"blob writer is {self._state}")
        with self._discarded_when_full():
            written = self._file.write(data)
        self.bytes_written += written
        return written

    @contextlib.contextmanager
    def _discarded_when_full(self) -> Iterator[None]:
        """A full disk discards the blob at once (freeing its space) and says so."""
        try:
            yield
        except OSError as error:
            if error.errno not in FULL_ERRNOS:
                raise
            self.abort()
            raise StorageFull(error.errno, "no space left to store the file") from error

    def commit(self) -> None:
        """Make the blob durable, then visible; on any failure nothing is left behind."""
        if self._state != "open":
            raise ValueError(f"blob writer is {self._state}")
        try:
            with self._discarded_when_full():
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
            if self._final.exists():
                raise FileExistsError(f"blob {self.blob_id} already exists")
            os.rename(self._tmp, self._final)
            _fsync_dir(self._final.parent)
        except BaseException:
            self.abort()
            raise
        self._state = "committed"

    def abort(self) -> None:
        """Discard the blob; harmless after commit or a previous abort."""
        if self._state != "open":
            return
        self._state = "aborted"
        with contextlib.suppress(OSError):
            self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> LocalBlobWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class LocalBlobStore:
    """``BlobStore`` on a directory; every id is validated before it touches a path."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        return self.root / blob_id[:2] / blob_id

    def open_writer(self, blob_id: str) -> LocalBlobWriter:
        final = self.path(blob_id)
        if final.exists():
            raise FileExistsError(f"blob {blob_id} already exists")
        directory = final.parent
        if not directory.is_dir():
            directory.mkdir(mode=0o700, exist_ok=True)
            _fsync_dir(self.root)
        tmp = directory / f"{TEMP_PREFIX}{blob_id}-{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return LocalBlobWriter(blob_id, final, tmp, fd)

    def open_reader(self, blob_id: str) -> BinaryIO:
        try:
            return open(self.path(blob_id), "rb")
        except FileNotFoundError:
            raise BlobNotFound(f"blob {blob_id} does not exist") from None

    def delete(self, blob_id: str) -> bool:
        """Unlink the blob; True if it existed. Its content is ciphertext, so no wiping."""
        try:
            self.path(blob_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, blob_id: str) -> bool:
        return self.path(blob_id).is_file()

    def size(self, blob_id: str) -> int:
        try:
            return self.path(blob_id).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(f"blob {blob_id} does not exist") from None

    def iter_blob_ids(self) -> Iterator[str]:
        """Every committed blob, in id order; temp files and strangers are skipped."""
        for directory in self._fanout_dirs():
            for entry in sorted(directory.iterdir()):
                name = entry.name
                if BLOB_ID_RE.fullmatch(name) and name[:2] == directory.name and entry.is_file():
                    yield name

    def iter_orphan_temp_files(self, min_age: float = DEFAULT_ORPHAN_AGE) -> Iterator[Path]:
        """Temp files untouched for ``min_age`` seconds: uploads that never finished."""
        cutoff = time.time() - min_age
        for directory in self._fanout_dirs():
            for entry in sorted(directory.iterdir()):
                if not entry.name.startswith(TEMP_PREFIX):
                    continue
                try:
                    if entry.stat().st_mtime <= cutoff:
                        yield entry
                except FileNotFoundError:
                    continue  # committed or aborted while we looked

    def _fanout_dirs(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for entry in sorted(self.root.iterdir()):
            if _FANOUT_RE.fullmatch(entry.name) and entry.is_dir():
                yield entry
