"""``flask emisa backup``, ``backup --verify`` and ``restore``."""

from __future__ import annotations

from pathlib import Path

import click

from emisa.backup.archive import BackupError
from emisa.backup.operations import create_backup, restore_backup, verify_backup
from emisa.cli import fail
from emisa.database import commit


def register(cli: click.Group) -> None:
    @cli.command("backup")
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
        commit()
        click.echo(
            f"backup written to {summary.path}: {summary.rows} rows, {summary.files} files, "
            f"{summary.bytes} bytes; it holds no master key, keep that apart"
        )

    @cli.command("restore")
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
        commit()
        click.echo(f"restored {summary.rows} rows and {summary.blobs} files; {summary.audit}")
