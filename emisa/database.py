"""Database plumbing: SQLite pragmas and transactions, the commit boundary, schema upgrades."""

from __future__ import annotations

from pathlib import Path

import flask
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine

from emisa.extensions import db

MIGRATIONS_DIR = str(Path(__file__).with_name("migrations"))
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and writer-first transactions for SQLite.

    pysqlite's own transaction handling starts transactions lazily and as
    DEFERRED; a request that reads and then writes can then fail with
    SQLITE_BUSY when another writer committed in between. Writes (unsafe HTTP
    methods, CLI, background work) therefore begin IMMEDIATE and queue on the
    busy timeout instead of failing; reads stay DEFERRED so they never block.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        if immediate is None:
            immediate = not flask.has_request_context() or flask.request.method in _WRITE_METHODS
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def init_database(app: Flask) -> None:
    """Hook engine-specific behaviour onto the engine Flask-SQLAlchemy created."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)


def upgrade_schema() -> None:
    """Bring the schema to the newest migration; safe to run on every start."""
    upgrade(directory=MIGRATIONS_DIR)


def commit() -> None:
    """The one commit at a request or command boundary; audit entries follow the data."""
    from emisa.audit import flush_pending

    db.session.commit()
    flush_pending()
