"""Every start: schema up to date, seed groups present, the operator told what to do next."""

from __future__ import annotations

import click
from flask import Flask

from emisa.accounts.operations import count_admins
from emisa.database import unit_of_work, upgrade_schema
from emisa.groups.operations import seed_groups


def prepare_platform(app: Flask) -> None:
    """Upgrade the schema in place (data is kept), add missing seed groups, guide the operator."""
    with app.app_context():
        upgrade_schema()
        with unit_of_work():
            made = seed_groups()
        if made:
            click.echo(f"Created {made} EMISA working groups.")
        _warn_if_key_beside_data(app)
        if count_admins() == 0:
            click.echo(
                "No administrator yet. Create the first one with:\n"
                "  echo 'a long passphrase' | flask --app app emisa create-user --admin "
                "--email you@agency.example --name 'Your Name' --country BE "
                "--organisation 'Your agency'\n"
                "and load the printed otpauth:// URI into your authenticator app."
            )


def _warn_if_key_beside_data(app: Flask) -> None:
    """The embedded default keeps the master key in the data directory: say what that means."""
    from emisa.crypto import keyring
    from emisa.crypto.master import KEY_FILE_NAME, SOURCE_FILE

    installed = keyring.installed_master_keys()
    if installed is not None and installed.source != SOURCE_FILE:
        return
    click.echo(
        f"Warning: the master key is kept in {app.config['EMISA_DATA_DIR'] / KEY_FILE_NAME}, "
        "next to the data it protects: whoever copies the data directory can read everything. "
        "In production set EMISA_MASTER_KEY from a secret store, and give custodians shares "
        "of it (flask --app app emisa master-key split --shares 5 --threshold 3).",
        err=True,
    )
