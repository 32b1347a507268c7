"""Backing up a running platform, verifying a backup, restoring one into an empty platform.

What a backup holds (see ``archive`` for the manifest):

- ``database.sqlite3``: the database as of one instant (``snapshot``);
- ``blobs/<xx>/<id>``: every file the snapshot's rows name, still encrypted;
- ``audit/head``: the audit anchor, read before the snapshot, so it names an entry the
  snapshot holds;
- ``secret.sealed``: the platform secret (the audit chain's key derives from it) sealed
  under the master key.

What it never holds: the master key. Group content is ciphertext under group keys that are
themselves wrapped by the master key, so a stolen backup opens nothing without it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app

from emisa import audit
from emisa.audit.log import forget_chain_key
from emisa.backup import snapshot
from emisa.backup.archive import (
    BackupError,
    BackupWriter,
    fsync_dir,
    read_chunks,
    verify,
)
from emisa.backup.custody import take_pending_record
from emisa.crypto import CryptoError, keyring
from emisa.crypto.keyring import unwrap_problems
from emisa.crypto.master import KEY_FILE_NAME, write_private_file
from emisa.crypto.models import GroupKey
from emisa.database import MIGRATIONS_DIR, upgrade_schema
from emisa.documents.models import DocumentVersion
from emisa.extensions import db
from emisa.storage import BlobNotFound, blobs, check_blob_id
from emisa.timeutil import utcnow

DATABASE_FILE = "database.sqlite3"
ANCHOR_FILE = "audit/head"
SECRET_FILE = "secret.sealed"  # noqa: S105  (a file name)
SECRET_PURPOSE = "backup:platform-secret"  # noqa: S105  (a key purpose)
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name)
# A document deleted between the snapshot and the copy of its file takes the file with it;
# the backup then starts again from a new snapshot, at most this many times.
ATTEMPTS = 3


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    files: int
    bytes: int
    rows: int


class _BlobVanished(Exception):
    """A file the snapshot names was deleted before it could be copied."""


def _blob_ids(connection: sa.Connection) -> list[str]:
    return list(connection.scalars(sa.select(DocumentVersion.__table__.c.blob_id)))


def _blob_path(blob_id: str) -> str:
    return f"blobs/{blob_id[:2]}/{blob_id}"


def create_backup(destination: Path) -> BackupSummary:
    """Back up the running platform into the new directory ``destination``.

    Written under a temporary name beside it and renamed at the end, so ``destination``
    is either a complete backup or absent.
    """
    destination = destination.resolve()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty directory")
    destination.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(ATTEMPTS):
        partial = destination.with_name(f".{destination.name}.partial-{secrets.token_hex(4)}")
        partial.mkdir(mode=0o700)
        try:
            manifest = _write_backup(BackupWriter(partial))
        except _BlobVanished:
            shutil.rmtree(partial)
            continue
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        if destination.exists():
            destination.rmdir()
        os.rename(partial, destination)
        fsync_dir(destination.parent)
        summary = BackupSummary(
            destination,
            len(manifest["files"]),
            sum(entry["size"] for entry in manifest["files"]),
            sum(manifest["tables"].values()),
        )
        audit.record(
            "backup.created",
            details={"files": summary.files, "bytes": summary.bytes, "rows": summary.rows},
        )
        return summary
    raise BackupError(
        f"documents kept being deleted while their files were copied ({ATTEMPTS} attempts); "
        "run the backup again"
    )


def _write_backup(writer: BackupWriter) -> dict[str, Any]:
    # Before the snapshot: the anchor names only committed entries, so the snapshot holds it.
    anchor_bytes = audit.anchor_record()
    snapshot.write_snapshot(writer.path(DATABASE_FILE))
    writer.add_written(DATABASE_FILE)
    with snapshot.open_snapshot(writer.root / DATABASE_FILE) as connection:
        revision = snapshot.schema_revision(connection)
        tables = snapshot.row_counts(connection)
        keys = GroupKey.__table__.c
        master_versions = set(
            connection.scalars(
                sa.select(keys.master_version).where(keys.wrapped_key.is_not(None)).distinct()
            )
        )
        blob_ids = _blob_ids(connection)
    for blob_id in blob_ids:
        try:
            handle = blobs.open_reader(blob_id)
        except BlobNotFound:
            raise _BlobVanished(blob_id) from None
        with handle:
            writer.add_stream(_blob_path(blob_id), read_chunks(handle))
    if anchor_bytes is not None:
        writer.add_stream(ANCHOR_FILE, [anchor_bytes])
    sealed = keyring.seal_platform(current_app.config["SECRET_KEY"].encode(), SECRET_PURPOSE)
    writer.add_stream(SECRET_FILE, [sealed])
    return writer.finish(
        {
            "created_at": utcnow().isoformat(timespec="seconds") + "Z",
            "engine": db.engine.dialect.name,
            "schema_revision": revision,
            "tables": tables,
            "master_key_versions": sorted({*master_versions, keyring.blob_version(sealed)}),
        }
    )


def verify_backup(path: Path) -> dict[str, Any]:
    """Check every file against the manifest; ``BackupError`` listing what is wrong."""
    manifest, problems = verify(path)
    if problems:
        raise BackupError(
            f"backup {path} is damaged: "
            + "; ".join(problems[:10])
            + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        )
    return manifest


@dataclass(frozen=True)
class RestoreSummary:
    rows: int
    blobs: int
    audit: str


def restore_backup(source: Path) -> RestoreSummary:
    """Restore the backup at ``source`` into this platform's empty database and data directory.

    Everything is checked before anything is written: the backup against its manifest, the
    target for emptiness, the schema version, and that the installed master key opens the
    backup. Rows go in one transaction, committed only once every file is stored; if
    anything fails, the files stored so far are removed and the target stays empty.
    """
    source = source.resolve()
    manifest = verify_backup(source)
    _require_empty_target()
    _require_same_schema(manifest)
    secret = _open_with_installed_key(source, manifest)
    secret_file = _secret_destination(secret)
    upgrade_schema()
    stored: list[str] = []
    try:
        with db.engine.begin() as target, snapshot.open_snapshot(source / DATABASE_FILE) as rows:
            counts = snapshot.copy_rows(rows, target)
            snapshot.reset_sequences(target)
            if counts != manifest["tables"]:
                raise BackupError(f"{DATABASE_FILE} does not hold the rows its manifest lists")
            for entry in manifest["files"]:
                if entry["path"].startswith("blobs/"):
                    stored.append(_restore_blob(source, entry["path"]))
    except BaseException:
        for blob_id in stored:
            blobs.delete(blob_id)
        raise
    if secret_file is not None:
        write_private_file(secret_file, secret)
        current_app.config["SECRET_KEY"] = secret
        forget_chain_key()
    if (source / ANCHOR_FILE).exists():
        audit.install_anchor_record((source / ANCHOR_FILE).read_bytes())
    recovery = take_pending_record(Path(current_app.config["EMISA_DATA_DIR"]))
    if recovery is not None:
        audit.record("crypto.master_key_recovered", details=recovery)
    audit.record("backup.restored", details={"rows": sum(counts.values()), "files": len(stored)})
    return RestoreSummary(sum(counts.values()), len(stored), audit.verify().message)


def _restore_blob(source: Path, relative: str) -> str:
    blob_id = check_blob_id(Path(relative).name)
    with open(source / relative, "rb") as handle, blobs.open_writer(blob_id) as writer:
        for chunk in read_chunks(handle):
            writer.write(chunk)
    return blob_id


def _require_empty_target() -> None:
    with db.engine.connect() as connection:
        full = snapshot.tables_holding_rows(connection)
    if full:
        raise BackupError(
            "the database is not empty (" + ", ".join(full[:5]) + " hold rows); restore "
            "into an empty database and data directory, never over a platform"
        )
    data_dir = Path(current_app.config["EMISA_DATA_DIR"])
    if next(blobs.iter_blob_ids(), None) or next(blobs.iter_orphan_temp_files(0), None):
        raise BackupError(f"the data directory {data_dir} already holds document files")
    if (data_dir / ANCHOR_FILE).exists():
        raise BackupError(f"the data directory {data_dir} already holds an audit anchor")


def _require_same_schema(manifest: dict[str, Any]) -> None:
    current = _code_revision()
    if manifest.get("schema_revision") != current:
        raise BackupError(
            f"the backup was made at schema revision {manifest.get('schema_revision')!r} and "
            f"this EMISA is at {current!r}: restore with the EMISA version that made the "
            "backup, then upgrade"
        )


def _code_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def _open_with_installed_key(source: Path, manifest: dict[str, Any]) -> str:
    """The platform secret from the backup, once the installed master key opens all of it."""
    needed = ", ".join(str(v) for v in manifest.get("master_key_versions", []))
    installed = keyring.installed_master_keys()
    if installed is None:
        data_dir = Path(current_app.config["EMISA_DATA_DIR"])
        raise BackupError(
            f"no master key is installed; the backup needs master key version(s) {needed}: "
            f"set EMISA_MASTER_KEY or EMISA_MASTER_KEYS, put the key file back at "
            f"{data_dir / KEY_FILE_NAME}, or rebuild it from custodians' shares with "
            f"'flask emisa master-key recover --backup {source}'"
        )
    try:
        secret = keyring.open_platform((source / SECRET_FILE).read_bytes(), SECRET_PURPOSE)
    except (CryptoError, FileNotFoundError):
        raise BackupError(
            f"the installed master key does not open this backup (it needs master key "
            f"version(s) {needed}); nothing was restored"
        ) from None
    problems = unwrap_problems(installed.keys, backup_group_keys(source))
    if problems:
        raise BackupError(
            "the installed master key does not open every group key of this backup: "
            + "; ".join(problems[:3])
        )
    return secret.decode()


def backup_group_keys(source: Path) -> list[sa.Row]:
    """The wrapped group keys a backup holds, to check a master key against."""
    with snapshot.open_snapshot(source / DATABASE_FILE) as connection:
        return list(connection.execute(sa.select(GroupKey.__table__)))


def _secret_destination(secret: str) -> Path | None:
    """Where the backup's platform secret goes: nowhere if already in force, else its file.

    The audit chain is keyed from it, so a restore under another secret would fail
    audit-verify: a secret set in the environment must be the one the backup was made under.
    """
    if current_app.config["SECRET_KEY"] == secret:
        return None
    path = Path(current_app.config["EMISA_DATA_DIR"]) / SECRET_KEY_FILE
    if path.exists() and path.read_text().strip() == current_app.config["SECRET_KEY"]:
        return path
    raise BackupError(
        "EMISA_SECRET_KEY differs from the secret the backup was made under; set it to that "
        "value (the audit log is keyed from it), then restore"
    )
