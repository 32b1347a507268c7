"""The backup directory: files written with their SHA-256, the manifest, verification.

A backup is a directory. Every file in it is listed in ``manifest.json`` with its size and
SHA-256; the manifest is written last, so a directory without one is not a backup. Files are
copied in chunks (never a whole file in memory) and fsynced before the manifest names them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from emisa.crypto.master import fsync_dir

MANIFEST = "manifest.json"
FORMAT = "emisa-backup"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made, verified or restored; the message says why and what to do."""


def read_chunks(handle: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in read_chunks(handle):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _checked_relative(name: object) -> PurePosixPath:
    """A manifest path, refused unless it stays inside the backup directory."""
    if not isinstance(name, str) or not name:
        raise BackupError(f"the manifest names an invalid file: {name!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name == MANIFEST:
        raise BackupError(f"the manifest names a file outside the backup: {name!r}")
    return path


class BackupWriter:
    """Writes files into a backup directory and remembers each one's size and SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[dict[str, Any]] = []

    def path(self, relative: str) -> Path:
        path = self.root / _checked_relative(relative)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def add_stream(self, relative: str, chunks: Iterable[bytes]) -> None:
        """Write ``chunks`` to a new file, hashing them on the way."""
        path = self.path(relative)
        digest = hashlib.sha256()
        size = 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        self.files.append({"path": relative, "size": size, "sha256": digest.hexdigest()})

    def add_written(self, relative: str) -> None:
        """List a file something else wrote at ``path(relative)`` (the database snapshot)."""
        path = self.root / _checked_relative(relative)
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
        size, sha256 = _file_digest(path)
        self.files.append({"path": relative, "size": size, "sha256": sha256})

    def finish(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """Write the manifest last; until then the directory is not a backup."""
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **metadata,
            "files": sorted(self.files, key=lambda entry: entry["path"]),
        }
        for directory in {self.root / PurePosixPath(f["path"]).parent for f in self.files}:
            fsync_dir(directory)
        self._write_manifest(manifest)
        return manifest

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        fd = os.open(self.root / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(manifest, out, indent=1, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        fsync_dir(self.root)


def read_manifest(root: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{root} is not a backup: it has no {MANIFEST} (an interrupted backup has none)"
        ) from None
    except (OSError, ValueError) as error:
        raise BackupError(f"the manifest of {root} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{root / MANIFEST} is not an EMISA backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{root} is backup format {manifest.get('format_version')!r}; this version of "
            f"EMISA reads format {FORMAT_VERSION}"
        )
    if not isinstance(manifest.get("files"), list):
        raise BackupError(f"{root / MANIFEST} lists no files")
    return manifest


def verify(root: Path) -> tuple[dict[str, Any], list[str]]:
    """Re-hash every file the manifest lists; the problems found, one line each.

    Files the manifest does not list are problems too: a backup holds exactly what it says.
    """
    manifest = read_manifest(root)
    problems = []
    listed = set()
    for entry in manifest["files"]:
        if not isinstance(entry, dict):
            raise BackupError(f"{root / MANIFEST} holds an invalid file entry")
        relative = _checked_relative(entry.get("path"))
        listed.add(str(relative))
        path = root / relative
        try:
            size, sha256 = _file_digest(path)
        except FileNotFoundError:
            problems.append(f"{relative}: missing")
            continue
        if size != entry.get("size"):
            problems.append(f"{relative}: {size} bytes, the manifest says {entry.get('size')}")
        elif sha256 != entry.get("sha256"):
            problems.append(f"{relative}: SHA-256 differs from the manifest (damaged or altered)")
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative != MANIFEST and relative not in listed:
            problems.append(f"{relative}: not listed in the manifest")
    return manifest, problems
