"""``flask emisa create-network``: a network of national contact points."""

from __future__ import annotations

import click

from emisa.accounts.operations import find_user
from emisa.cli import emisa_cli, fail
from emisa.people.operations import add_network_coordinator, create_network


@emisa_cli.command("create-network")
@click.option("--name", required=True)
@click.option("--description", default="")
@click.option("--countries", default="", help="Comma-separated ISO codes the network spans")
@click.option("--coordinator", "coordinators", multiple=True, help="Email of a coordinator")
def create_network_command(name, description, countries, coordinators) -> None:
    """Create a network of contact points; prints its id as the last line."""
    network = create_network(name, description, countries)
    for email in coordinators:
        user = find_user(email)
        if user is None:
            fail(f"no account with the email {email}")
        add_network_coordinator(network, user)
    click.echo(network.id)
