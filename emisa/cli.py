"""The ``flask emisa`` command group. Features add their own commands to it."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from emisa import audit
from emisa.database import commit, upgrade_schema

emisa_cli = AppGroup("emisa", help="Operate the EMISA platform.")


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
    commit()
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
