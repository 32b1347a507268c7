"""``flask emisa backup``, ``backup --verify``, ``restore`` and ``master-key split|recover``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from emisa import audit
from emisa.backup.archive import BackupError
from emisa.backup.custody import (
    CustodyError,
    combine_shares,
    install_key,
    leave_pending_record,
    split_key,
    version_opened_by,
)
from emisa.backup.operations import (
    backup_group_keys,
    create_backup,
    restore_backup,
    verify_backup,
)
from emisa.backup.snapshot import tables_holding_rows
from emisa.cli import emisa_cli, fail
from emisa.crypto import keyring
from emisa.crypto.master import KEY_FILE_NAME
from emisa.crypto.models import GroupKey
from emisa.extensions import db


@emisa_cli.command("backup")
@click.option(
    "--to",
    "destination",
    type=click.Path(path_type=Path),
    help="New directory to write the backup into (it must not exist or be empty).",
)
@click.option(
    "--verify",
    "to_verify",
    type=click.Path(path_type=Path),
    help="Check the backup at this path against its manifest instead; restores nothing.",
)
def backup_command(destination: Path | None, to_verify: Path | None) -> None:
    """Back up the running platform: database snapshot, files, audit anchor; no master key."""
    if (destination is None) == (to_verify is None):
        fail("give exactly one of --to PATH (make a backup) or --verify PATH (check one)")
    try:
        if to_verify is not None:
            manifest = verify_backup(to_verify)
            click.echo(
                f"backup {to_verify} intact: {len(manifest['files'])} files match the "
                f"manifest; made {manifest.get('created_at')} on {manifest.get('engine')}, "
                f"needs master key version(s) {manifest.get('master_key_versions')}"
            )
            return
        summary = create_backup(destination)
    except BackupError as error:
        fail(str(error))
    click.echo(
        f"backup written to {summary.path}: {summary.rows} rows, {summary.files} files, "
        f"{summary.bytes} bytes; it holds no master key, keep that apart"
    )


@emisa_cli.command("restore")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(path_type=Path),
    help="Backup directory made by 'backup --to'.",
)
def restore_command(source: Path) -> None:
    """Restore a backup into an empty database and data directory; refuses anything else."""
    try:
        summary = restore_backup(source)
    except BackupError as error:
        fail(str(error))
    click.echo(f"restored {summary.rows} rows and {summary.blobs} files; {summary.audit}")


@emisa_cli.group("master-key")
def master_key_group() -> None:
    """Custody of the master key: K-of-N shares for custodians, recovery from them."""


@master_key_group.command("split")
@click.option("--shares", type=int, required=True, help="How many custodians get a share.")
@click.option("--threshold", type=int, required=True, help="How many shares rebuild the key.")
def split_command(shares: int, threshold: int) -> None:
    """Print SHARES SLIP-39 shares of the current master key, one per line."""
    installed = keyring.installed_master_keys()
    if installed is None:
        fail("no master key exists yet: start the platform once, then split its key")
    stale = db.session.scalars(
        sa.select(GroupKey.master_version).where(
            GroupKey.wrapped_key.is_not(None),
            GroupKey.master_version != installed.current,
        )
    ).first()
    if stale is not None:
        fail(
            f"some group keys are still wrapped by master key version {stale}; run "
            "rotate-master-key so that the current version opens everything, then split"
        )
    try:
        mnemonics = split_key(installed.current_key, shares, threshold)
    except CustodyError as error:
        fail(str(error))
    audit.record(
        "crypto.master_key_split",
        details={"version": installed.current, "shares": shares, "threshold": threshold},
    )
    click.echo(
        f"master key version {installed.current}: {shares} shares, any {threshold} of them "
        "rebuild it; give each custodian one share, never two to the same person or agency",
        err=True,
    )
    for mnemonic in mnemonics:
        click.echo(mnemonic)


@master_key_group.command("recover")
@click.option(
    "--share-file",
    "share_files",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A file holding one share; repeat for each. Default: standard input, one per line.",
)
@click.option(
    "--backup",
    "backup",
    type=click.Path(path_type=Path),
    help="Check the key against this backup's group keys (rebuilding a lost platform) "
    "instead of the database's.",
)
@click.option(
    "--to",
    "destination",
    type=click.Path(path_type=Path),
    help="Where to write the key file; default: master-keys.json in the data directory.",
)
def recover_command(
    share_files: tuple[Path, ...], backup: Path | None, destination: Path | None
) -> None:
    """Rebuild the master key from K shares; installed only if it opens the group keys."""
    data_dir = Path(current_app.config["EMISA_DATA_DIR"])
    destination = destination or data_dir / KEY_FILE_NAME
    if share_files:
        lines = [path.read_text(encoding="utf-8") for path in share_files]
    else:
        lines = sys.stdin.read().splitlines()
    try:
        key = combine_shares(lines)
        if backup is not None:
            verify_backup(backup)
            rows = backup_group_keys(backup)
        else:
            rows = db.session.execute(sa.select(GroupKey.__table__)).all()
        version = version_opened_by(key, rows)
        install_key(destination, version, key)
    except (CustodyError, BackupError) as error:
        fail(str(error))
    details = {
        "version": version,
        "shares": sum(1 for line in lines if line.strip()),
        "checked_against": "backup" if backup is not None else "database",
    }
    if not tables_holding_rows(db.session.connection()):
        # The restore that follows records it: a row now would make the target non-empty.
        leave_pending_record(data_dir, details)
    else:
        audit.record("crypto.master_key_recovered", details=details)
    click.echo(f"master key version {version} rebuilt, checked and written to {destination}")
