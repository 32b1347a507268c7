"""The database part of a backup: one consistent snapshot, always kept as a SQLite file.

- From SQLite, SQLite's online backup API copies the live database in one step, under a
  read transaction: writers of the running platform carry on (WAL) and the copy is the
  database as of one instant.
- From PostgreSQL, every table is read inside one ``REPEATABLE READ READ ONLY`` transaction
  (one snapshot for all tables) and written into a SQLite file built from the same models.

One portable file restores into either engine: the rows are copied table by table, parents
first, into the target's freshly migrated schema. That is also how an embedded pilot on
SQLite moves to PostgreSQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from emisa.extensions import db

BATCH = 1000
_ALEMBIC = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), primary_key=True),
)


def _tables() -> list[sa.Table]:
    """Every table of the platform, parents before children."""
    return db.metadata.sorted_tables


@contextlib.contextmanager
def open_snapshot(path: Path) -> Iterator[Connection]:
    """A read-only connection to a snapshot file."""
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def write_snapshot(target: Path) -> None:
    """Write the live database, as of one instant, to the new SQLite file ``target``."""
    if db.engine.dialect.name == "sqlite":
        _sqlite_online_backup(db.engine, target)
    else:
        _copy_in_one_snapshot(db.engine, target)


def _sqlite_online_backup(engine: Engine, target: Path) -> None:
    source = engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        try:
            # pages=-1: the whole database in one step, so no write can interleave.
            source.driver_connection.backup(destination, pages=-1)
            # A self-contained file: no -wal or -shm beside it, readable read-only.
            destination.execute("PRAGMA journal_mode=DELETE")
        finally:
            destination.close()
    finally:
        source.close()


def _copy_in_one_snapshot(engine: Engine, target: Path) -> None:
    destination = sa.create_engine(f"sqlite:///{target}")
    try:
        db.metadata.create_all(destination)
        _ALEMBIC.create(destination)
        with engine.connect() as source:
            source = source.execution_options(isolation_level="REPEATABLE READ")
            with source.begin(), destination.begin() as out:
                source.exec_driver_sql("SET TRANSACTION READ ONLY")
                copy_rows(source, out)
                out.execute(_ALEMBIC.insert(), list(source.execute(sa.select(_ALEMBIC)).mappings()))
    finally:
        destination.dispose()


def copy_rows(source: Connection, target: Connection) -> dict[str, int]:
    """Copy every platform table from ``source`` to ``target``, in batches; rows per table."""
    counts = {}
    for table in _tables():
        order = list(table.primary_key.columns) or list(table.columns)
        result = source.execution_options(yield_per=BATCH).execute(
            sa.select(table).order_by(*order)
        )
        counts[table.name] = 0
        for batch in result.mappings().partitions(BATCH):
            target.execute(table.insert(), [dict(row) for row in batch])
            counts[table.name] += len(batch)
    return counts


def schema_revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table(_ALEMBIC.name):
        return None
    return connection.scalar(sa.select(_ALEMBIC.c.version_num))


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
        for table in _tables()
    }


def tables_holding_rows(connection: Connection) -> list[str]:
    """The platform tables that exist and are not empty: a restore target must have none."""
    existing = set(sa.inspect(connection).get_table_names())
    return [
        table.name
        for table in _tables()
        if table.name in existing
        and connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
    ]


def reset_sequences(connection: Connection) -> None:
    """PostgreSQL: rows came with their ids, so each id sequence must continue after them."""
    if connection.dialect.name != "postgresql":
        return  # SQLite continues after the largest rowid by itself
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = connection.scalar(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence:
                connection.execute(
                    sa.text(
                        f'SELECT setval(:sequence, COALESCE(MAX("{column.name}"), 1), '  # noqa: S608
                        f'MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                    ),
                    {"sequence": sequence},
                )
