"""Database plumbing: SQLite pragmas and transactions, the commit boundary, schema upgrades.

One unit of work per request, Socket.IO event and CLI command, as Indico's request
handler does: it commits once at its end when it succeeded and rolls back otherwise; the
audit queue is written there. Nothing else commits.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import flask
from flask import Flask, Response
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.expression import Executable

from emisa.extensions import db

log = logging.getLogger(__name__)

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
    """Commit the session, then write the audit entries that follow its data and the small
    writes of a reading request (``write_after_commit``), in one short transaction.

    Called by the boundaries below only; views, API functions, events and operations never
    commit (operations flush).
    """
    from emisa.audit import flush_pending

    db.session.commit()
    flask.g.pop("emisa_undo", None)
    flush_pending(writes=flask.g.pop("emisa_writes", []))
    for effect in flask.g.pop("emisa_on_commit", []):
        try:
            effect()
        except Exception:
            # The data is stored: a lost broadcast or mail must not answer an error.
            log.exception("an effect after the commit failed")


def keep_before_refusal() -> None:
    """Commit what the request wrote so far although it is about to answer with a refusal
    (4xx, which rolls back): a second-factor code spent, a failed attempt counted, a session
    ended must stay so. What the request does afterwards is a unit of work of its own."""
    commit()


def roll_back() -> None:
    """Drop what the unit of work wrote and the audit entries that follow its data; the
    entries that stand on their own (denials, reads, failed sign-ins) are still written."""
    from emisa.audit import flush_pending

    flask.g.pop("emisa_on_commit", None)
    flask.g.pop("emisa_writes", None)
    db.session.rollback()
    for undo in flask.g.pop("emisa_undo", []):
        undo()
    flush_pending(committed=False)


def on_rollback(undo: Callable[[], None]) -> None:
    """Undo work done outside the database (a blob made durable) should this unit of work
    roll back, its commit included: nothing stays half-stored."""
    flask.g.setdefault("emisa_undo", []).append(undo)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did if it ends normally (or exits 0), roll it back otherwise."""
    try:
        yield
    except SystemExit as exit_:
        if exit_.code in (0, None):
            commit()
        else:
            roll_back()
        raise
    except BaseException:
        roll_back()
        raise
    commit()


def on_commit(effect: Callable[[], None]) -> None:
    """Run ``effect`` once this unit of work committed (a broadcast, a mail): whoever it
    reaches and asks the server sees the state that caused it; dropped on rollback."""
    flask.g.setdefault("emisa_on_commit", []).append(effect)


def write_after_commit(statement: Executable) -> None:
    """Queue a small idempotent write of a reading request (a "seen" marker).

    A GET's SQLite transaction is a reader: turning it into a writer half-way can fail when
    another writer committed in between. The statement runs once the request committed, in
    the short transaction that appends the request's audit entries, which begins IMMEDIATE
    on SQLite (it queues behind writers instead of failing): a read that writes costs one
    write transaction, as a read that does not. Dropped if the request rolls back; should
    it fail, it alone is lost (logged), not the audit entries.
    """
    flask.g.setdefault("emisa_writes", []).append(statement)


def _end_request(response: Response) -> Response:
    """The request's boundary: commit when the view answered below 400, roll back otherwise
    (a refusal answered by a redirect was rolled back by its handler). A failing commit
    answers as the error it raised."""
    if response.status_code >= 400:
        roll_back_request()
        return response
    try:
        commit()
    except Exception as error:
        log.warning("the commit at the end of %s failed: %r", flask.request.path, error)
        roll_back_request()
        return flask.current_app.make_response(flask.current_app.handle_user_exception(error))
    return response


def roll_back_request() -> None:
    """Roll the request back; with the database gone, only say the audit entries are lost."""
    try:
        roll_back()
    except OperationalError:
        # The database went away mid-request (answered 503): nowhere to write the entries.
        log.exception("audit entries of a request not written: database unavailable")


def init_boundary(app: Flask) -> None:
    """Install the request boundary; registered last so that it runs before the other
    ``after_request`` hooks (they see the committed state, e.g. mail sent after the commit)."""
    app.after_request(_end_request)
