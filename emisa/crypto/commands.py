"""``flask emisa rotate-group-key`` and ``rotate-master-key``.

Each command is one transaction: the rotation, its hooks and the audit entry
are committed together or not at all. Bad input gives one line on standard
error and exit status 1, which is what operators' scripts rely on.
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from emisa import audit
from emisa.cli import emisa_cli, fail
from emisa.crypto import keyring
from emisa.crypto.errors import CryptoError, UnknownGroup
from emisa.crypto.models import GroupKey
from emisa.extensions import db


def _group_id(value: str | None) -> int:
    if value is None:
        fail("--group ID is required")
    if not value.isdigit() or int(value) < 1:
        fail(f"--group must be a working group id (a positive integer), not {value!r}")
    return int(value)


@emisa_cli.command("rotate-group-key")
@click.option("--group", "group", metavar="ID", help="Id of the working group.")
def rotate_group_key_command(group: str | None) -> None:
    """New key version for a group; data keys are re-wrapped, files stay as they are."""
    group_id = _group_id(group)
    try:
        version = keyring.rotate_group_key(group_id)
    except UnknownGroup:
        fail(f"no working group with id {group_id}")
    except CryptoError as exc:
        fail(str(exc))
    audit.record(
        "crypto.group_key_rotated",
        target_type="group",
        target_id=group_id,
        group_id=group_id,
        details={"version": version},
    )
    click.echo(f"group {group_id}: key version {version} is current")


@emisa_cli.command("rotate-master-key")
def rotate_master_key_command() -> None:
    """New master key version; every group key is re-wrapped under it."""
    try:
        version = keyring.rotate_master_key()
    except CryptoError as exc:
        fail(str(exc))
    wrapped = db.session.scalar(
        sa.select(sa.func.count(GroupKey.id)).where(
            GroupKey.master_version == version, GroupKey.wrapped_key.is_not(None)
        )
    )
    audit.record("crypto.master_key_rotated", details={"version": version})
    click.echo(f"master key version {version} is current; {wrapped} group key(s) wrapped by it")
