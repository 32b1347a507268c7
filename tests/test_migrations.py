"""The migrations build exactly the schema the models describe, and upgrade data in place."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from emisa import create_app
from emisa.database import MIGRATIONS_DIR
from emisa.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new database of the engine under test (a scratch PostgreSQL database, or SQLite)."""
    configured = os.environ.get("EMISA_TEST_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"emisa_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(configured).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(configured).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_app(tmp_path, empty_database_url):
    app = create_app(
        {"EMISA_DATA_DIR": tmp_path / "data", "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_migrations_match_the_models(fresh_app):
    upgrade(directory=MIGRATIONS_DIR)
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_downgrade_to_base_removes_every_table(fresh_app):
    upgrade(directory=MIGRATIONS_DIR)
    downgrade(directory=MIGRATIONS_DIR, revision="base")
    remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()


def test_start_upgrades_an_older_schema_without_losing_data(fresh_app, capsys):
    from emisa.platform import prepare_platform

    upgrade(directory=MIGRATIONS_DIR, revision="foundation")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, name, organisation, country, kind, role, state, "
                "totp_last_step, time_zone, created_at) VALUES ('kept@agency.example', 'Kept', "
                "'Agency', 'TN', 'law-enforcement', 'user', 'invited', 0, 'UTC', "
                "CURRENT_TIMESTAMP)"
            )
        )
    db.engine.dispose()
    prepare_platform(fresh_app)
    with db.engine.connect() as connection:
        kept = connection.execute(text("SELECT name FROM users")).scalars().all()
        groups = connection.execute(text("SELECT count(*) FROM working_groups")).scalar()
    assert kept == ["Kept"]
    assert groups == 8
    assert "create-user --admin" in capsys.readouterr().out
