"""``flask emisa create-group`` and ``add-member``."""

from __future__ import annotations

import click

from emisa.access.roles import GroupRole, JoinPolicy
from emisa.accounts.operations import find_user
from emisa.cli import emisa_cli, fail
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.groups.operations import add_member, create_group


@emisa_cli.command("create-group")
@click.option("--name", required=True)
@click.option("--mandate", default="")
@click.option("--countries", default="", help="Comma-separated ISO codes; empty: all countries")
@click.option(
    "--join-policy",
    type=click.Choice([policy.value for policy in JoinPolicy]),
    default=JoinPolicy.REQUEST.value,
)
def create_group_command(name, mandate, countries, join_policy) -> None:
    """Create a working group; prints its id as the last line."""
    group = create_group(name, mandate, countries, join_policy)
    click.echo(group.id)


@emisa_cli.command("add-member")
@click.option("--group", "group_id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([role.value for role in GroupRole]), required=True)
def add_member_command(group_id, email, role) -> None:
    """Add an account to a group with a role."""
    group = db.session.get(WorkingGroup, group_id)
    if group is None:
        fail(f"no group with id {group_id}")
    user = find_user(email)
    if user is None:
        fail(f"no account with the email {email}")
    add_member(group, user, role, by=None)
    click.echo(f"{user.email} is now {role} of {group.name}")
