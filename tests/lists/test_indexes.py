"""Every statement a list request sends reads threads, posts and documents through an index.

The statements are captured as the requests run, then explained by the database under
test with their own parameters: SQLite's ``EXPLAIN QUERY PLAN`` must never ``SCAN`` one of
these tables (a whole table or a whole index), PostgreSQL's ``EXPLAIN`` with sequential
scans priced out must never fall back to a ``Seq Scan`` of one (on a small test table the
planner would otherwise prefer one even where an index serves).
"""

from __future__ import annotations

import re

from sqlalchemy import event

from emisa.extensions import db
from tests.lists.test_flat_cost import API, PAGES

WATCHED = ("threads", "posts", "documents", "meetings")
# The library's partial index holds the GREEN and CLEAR documents only, newest first: its
# scan reads the library page by page, never the other documents.
PARTIAL = "ix_documents_library"


def _captured(app, readers, crowd) -> list[tuple[str, object]]:
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and re.search(
            r"\b(" + "|".join(WATCHED) + r")\b", statement
        ):
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for name, (path, _rows) in {**API, **PAGES}.items():
            who = "admin" if name.startswith("admin") else "api" if "API" in name else "page"
            client, headers = readers[who]
            assert client.get(path.format(g=crowd.group), headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return statements


def _full_scans_sqlite(connection, statement, parameters) -> list[str]:
    """Scans of a watched table, and sorts of one (a union of pages sorts two pages: fine).
    A statement the rules' twin made false (``WHERE 0 = 1``: nothing this reader may know of)
    is planned as a scan, but SQLite tests the constant once and reads no row."""
    if re.search(r"\bWHERE 0 = 1\s+(ORDER|LIMIT|$)", statement):
        return []
    plan = [
        row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    ]
    scans = [
        step
        for step in plan
        if re.match(r"SCAN (" + "|".join(WATCHED) + r")\b", step) and PARTIAL not in step
    ]
    if "COMPOUND QUERY" not in plan and "USE TEMP B-TREE FOR ORDER BY" in plan:
        scans.append("USE TEMP B-TREE FOR ORDER BY")
    return scans


def _full_scans_postgresql(connection, statement, parameters) -> list[str]:
    connection.exec_driver_sql("SET enable_seqscan = off")
    plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
    return [
        row[0].strip()
        for row in plan
        if re.search(r"Seq Scan on (" + "|".join(WATCHED) + r")\b", row[0])
    ]


def test_no_list_request_scans_posts_threads_or_documents(app, crowd, readers):
    crowd.fill(30)
    statements = _captured(app, readers, crowd)
    assert len(statements) > 20
    with app.app_context(), db.engine.connect() as connection:
        explain = (
            _full_scans_postgresql
            if connection.dialect.name == "postgresql"
            else _full_scans_sqlite
        )
        for statement, parameters in statements:
            scans = explain(connection, statement, parameters)
            assert not scans, f"{scans} in:\n{statement}"
