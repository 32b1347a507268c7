"""Every start: schema up to date, seed groups present, the operator told what to do next."""

from __future__ import annotations

import click
from flask import Flask

from emisa.accounts.operations import count_admins
from emisa.database import commit, upgrade_schema
from emisa.groups.operations import seed_groups


def prepare_platform(app: Flask) -> None:
    """Upgrade the schema in place (data is kept), add missing seed groups, guide the operator."""
    with app.app_context():
        upgrade_schema()
        made = seed_groups()
        commit()
        if made:
            click.echo(f"Created {made} EMISA working groups.")
        if count_admins() == 0:
            click.echo(
                "No administrator yet. Create the first one with:\n"
                "  echo 'a long passphrase' | flask --app app emisa create-user --admin "
                "--email you@agency.example --name 'Your Name' --country BE "
                "--organisation 'Your agency'\n"
                "and load the printed otpauth:// URI into your authenticator app."
            )
