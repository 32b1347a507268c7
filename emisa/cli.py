"""The ``flask emisa`` command group. Features add their own commands to it."""

from __future__ import annotations

import sys
from functools import wraps

import click
from flask.cli import AppGroup

from emisa import audit
from emisa.database import unit_of_work, upgrade_schema
from emisa.operations import OperationError


class BoundaryGroup(AppGroup):
    """Every command of the group is one unit of work: committed when it ends normally, exits
    0 or reports findings by its exit status (``ctx.exit(1)``, e.g. fsck), rolled back when
    it fails (``fail``, an exception); commands themselves never commit. An operation's
    refusal (``OperationError``) ends the command as ``fail`` does, with its message: commands
    do not catch it."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(fn):
            @wraps(fn)
            def in_unit_of_work(*fn_args, **fn_kwargs):
                try:
                    with unit_of_work():
                        try:
                            return fn(*fn_args, **fn_kwargs)
                        except click.exceptions.Exit as report:
                            findings = report
                except OperationError as refusal:
                    fail(str(refusal))  # rolled back by the unit of work it left
                raise findings

            return register(in_unit_of_work)

        return decorator

    def group(self, *args, **kwargs):
        kwargs.setdefault("cls", BoundaryGroup)
        return super().group(*args, **kwargs)


emisa_cli = BoundaryGroup("emisa", help="Operate the EMISA platform.")


def fail(message: str) -> None:
    """One line on standard error and a non-zero exit: what operators' scripts rely on."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@emisa_cli.command("init-db")
def init_db_command() -> None:
    """Create or upgrade the schema and the EMISA working groups."""
    from emisa.groups.operations import seed_groups

    upgrade_schema()
    made = seed_groups()
    click.echo(f"schema up to date; {made} working groups created")


@emisa_cli.command("audit-verify")
@click.option(
    "--reanchor",
    is_flag=True,
    help="If the chain is intact, anchor its newest entry: once after upgrading to anchoring, "
    "or after a reported anchor problem has been explained (e.g. a restored database).",
)
def audit_verify_command(reanchor: bool) -> None:
    """Check the audit log's hash chain and its anchor; non-zero exit naming the first bad entry."""
    result = audit.reanchor() if reanchor else audit.verify()
    if not result.ok:
        fail(f"audit log broken: {result.message}")
    click.echo(result.message)
