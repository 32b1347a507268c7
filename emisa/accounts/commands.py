"""``flask emisa create-user``."""

from __future__ import annotations

import sys

import click

from emisa.access.roles import AccountKind, PlatformRole
from emisa.accounts.operations import AccountDetails, create_active_user
from emisa.cli import emisa_cli


@emisa_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code")
@click.option("--organisation", required=True)
@click.option(
    "--kind",
    type=click.Choice([kind.value for kind in AccountKind]),
    default=AccountKind.LAW_ENFORCEMENT.value,
)
@click.option("--admin", is_flag=True, help="Make the account a platform administrator.")
def create_user_command(email, name, country, organisation, kind, admin) -> None:
    """Create an active account with TOTP enrolled; the password is read from standard input.

    The last line printed is the otpauth:// URI to load into an authenticator app.
    """
    password = sys.stdin.readline().rstrip("\r\n")
    details = AccountDetails(
        email=email,
        name=name,
        country=country,
        organisation=organisation,
        kind=kind,
        role=PlatformRole.ADMIN if admin else PlatformRole.USER,
    )
    user, uri = create_active_user(details, password)
    click.echo(f"created {user.role} account {user.email} (id {user.id})")
    click.echo(uri)
