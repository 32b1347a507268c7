"""Database plumbing: SQLite pragmas and transactions, the commit boundary, schema upgrades."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

import flask
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine

from emisa.extensions import db

MIGRATIONS_DIR = str(Path(__file__).with_name("migrations"))
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# How long a writer waits in this process's line before leaving it to SQLite's busy handler.
WRITER_QUEUE_WAIT = 5.0


class WriterQueue:
    """This process's SQLite writers take turns on a lock instead of polling the database.

    SQLite admits one writing transaction at a time. A ``BEGIN IMMEDIATE`` that finds the
    database locked sleeps in SQLite's busy handler (1 ms, growing to 100 ms a try), so
    under load a writer can lose every race for seconds. Writers of this process wait on
    this lock instead, and the busy handler only arbitrates with other processes (CLI
    commands, a second server).

    The turn is given back as the transaction commits or rolls back (SQLAlchemy's events
    fire just before, so the next writer may still wait a millisecond on SQLite), and when
    the connection returns to the pool; a writer that cannot get it within
    ``WRITER_QUEUE_WAIT`` seconds (say, a second write connection opened by a thread that
    already writes) goes on without it, so the queue can delay a writer but never strand one.
    """

    _HELD = "emisa_writer_turn"

    def __init__(self):
        self._turn = threading.Semaphore(1)

    def enter(self, info: dict) -> None:
        if not info.get(self._HELD) and self._turn.acquire(timeout=WRITER_QUEUE_WAIT):
            info[self._HELD] = True

    def leave(self, info: dict) -> None:
        if info.pop(self._HELD, False):
            self._turn.release()

    def idle(self) -> bool:
        """No writer of this process holds the turn."""
        if not self._turn.acquire(blocking=False):
            return False
        self._turn.release()
        return True


_writer_queues: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The writer queue of a SQLite engine (None for other databases)."""
    return _writer_queues.get(engine)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and writer-first transactions for SQLite.

    pysqlite's own transaction handling starts transactions lazily and as
    DEFERRED; a request that reads and then writes can then fail with
    SQLITE_BUSY when another writer committed in between. Writes (unsafe HTTP
    methods, CLI, background work) therefore begin IMMEDIATE and wait their turn
    (``WriterQueue``, then the busy timeout) instead of failing; reads stay DEFERRED
    so they never block.
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

    writers = _writer_queues[engine] = WriterQueue()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        if immediate is None:
            immediate = not flask.has_request_context() or flask.request.method in _WRITE_METHODS
        if not immediate:
            connection.exec_driver_sql("BEGIN")
            return
        writers.enter(connection.info)
        # Should BEGIN fail, SQLAlchemy rolls the connection back: that gives the turn back.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        writers.leave(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        writers.leave(record.info)


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
