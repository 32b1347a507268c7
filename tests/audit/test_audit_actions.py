"""The audit page's action filter comes from ``audit_actions`` (one row per action the log
holds), not from reading the whole log: it offers exactly the actions recorded, a new one
as soon as it is first recorded, and an append of a known action costs no extra statement."""

from __future__ import annotations

import re

from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, select

from emisa import audit
from emisa.audit.models import AuditAction, AuditEntry
from emisa.database import MIGRATIONS_DIR, commit
from emisa.extensions import db


def _offered(client) -> list[str]:
    page = client.get("/admin/audit").get_data(as_text=True)
    choices = page.split('name="action"', 1)[1].split("</select>", 1)[0]
    return [a for a in re.findall(r'<option value="([^"]*)"', choices) if a]


def _logged(app) -> list[str]:
    with app.app_context():
        return sorted(set(db.session.scalars(select(AuditEntry.action))))


def _statements(app, run) -> list[str]:
    seen = []

    def capture(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def test_the_filter_offers_exactly_the_logged_actions(app, busy_log, make_user, login):
    admin = make_user(admin=True)
    client = app.test_client()
    login(client, admin)
    assert _offered(client) == _logged(app)
    with app.test_request_context():
        audit.record_event("backup.drill_rehearsed")
        commit()
    assert "backup.drill_rehearsed" in _offered(client)
    assert _offered(client) == _logged(app)


def test_the_page_never_reads_the_log_for_its_actions(app, busy_log, make_user, login):
    admin = make_user(admin=True)
    client = app.test_client()
    login(client, admin)
    statements = _statements(app, lambda: client.get("/admin/audit"))
    assert any("FROM audit_actions" in s for s in statements)
    assert not [s for s in statements if "audit_entries" in s and "DISTINCT" in s.upper()]


def test_a_known_action_costs_no_extra_statement(app):
    def append(action: str):
        def run():
            with app.test_request_context():
                audit.record_event(action)
                commit()

        return run

    first = _statements(app, append("test.first_time"))
    again = _statements(app, append("test.first_time"))
    assert len(again) == len(first) - 1
    assert any("INSERT INTO audit_actions" in s for s in first)
    assert not any("audit_actions" in s for s in again)
    with app.app_context():
        assert db.session.scalars(
            select(AuditAction.action).where(AuditAction.action == "test.first_time")
        ).all() == ["test.first_time"]


def test_migration_fills_the_actions_from_the_log(app, busy_log):
    logged = _logged(app)
    with app.app_context():
        db.session.remove()
        downgrade(directory=MIGRATIONS_DIR, revision="account_language")
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
        assert sorted(db.session.scalars(select(AuditAction.action))) == logged
    assert _logged(app) == logged


def test_the_unfiltered_total_is_the_newest_entry_number(app, busy_log, make_user, login):
    admin = make_user(admin=True)
    client = app.test_client()
    login(client, admin)
    statements = _statements(app, lambda: client.get("/admin/audit"))
    assert not [s for s in statements if "audit_entries" in s and "count(" in s.lower()]
    with app.app_context():
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"{entries} entries" in page
    filtered = client.get("/admin/audit?action=auth.login").get_data(as_text=True)
    with app.app_context():
        logins = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "auth.login")
        )
    assert f"{logins} entries" in filtered
