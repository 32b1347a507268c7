"""SQLite writers of one process wait their turn on the writer queue instead of failing.

Each writer here turns SQLite's own busy wait off (``busy_timeout=0``): without the
queue, a second ``BEGIN IMMEDIATE`` fails at once with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy.exc import OperationalError

from emisa.database import writer_queue
from emisa.extensions import db


@pytest.fixture
def app_config(app_config, tmp_path):
    # The queue serves SQLite; these tests use it whatever database the suite runs on.
    return {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'writers.db'}"}


def _writer():
    connection = db.engine.connect().execution_options(sqlite_immediate=True)
    connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")
    return connection


def test_a_second_writer_waits_for_the_first_instead_of_failing(app):
    began, failures = threading.Event(), []

    def second_writer():
        with app.app_context():
            connection = _writer()
            try:
                with connection.begin():
                    began.set()
            except OperationalError as error:
                failures.append(error)
            finally:
                connection.close()

    with app.app_context():
        first = _writer()
        first.begin()
        worker = threading.Thread(target=second_writer)
        worker.start()
        assert not began.wait(0.3), "the second writer began while the first was writing"
        first.commit()
        first.close()
        worker.join(timeout=10)
        assert began.is_set() and not failures
        assert writer_queue(db.engine).idle()


def test_a_writer_that_cannot_begin_gives_its_turn_back(app, tmp_path):
    outsider = sqlite3.connect(tmp_path / "writers.db", isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")  # another process writing: it is not in our queue
    try:
        with app.app_context():
            connection = _writer()
            with pytest.raises(OperationalError, match="locked"):
                connection.begin()
            connection.close()
            assert writer_queue(db.engine).idle()
    finally:
        outsider.rollback()
        outsider.close()


def test_a_writer_closed_without_commit_gives_its_turn_back(app):
    with app.app_context():
        connection = _writer()
        connection.begin()
        assert not writer_queue(db.engine).idle()
        connection.close()
        assert writer_queue(db.engine).idle()
        with _writer() as again, again.begin():
            assert not writer_queue(db.engine).idle()
        assert writer_queue(db.engine).idle()
