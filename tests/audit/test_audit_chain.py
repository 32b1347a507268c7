"""The audit log: a clean chain verifies; an altered or deleted row is found, in the CLI too."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from emisa.audit.models import AuditEntry
from emisa.extensions import db
from tests.audit.conftest import verify


def test_a_clean_log_verifies(app, busy_log, runner):
    result = verify(app)
    assert result.ok and result.checked == len(busy_log)
    cli = runner.invoke(args=["emisa", "audit-verify"])
    assert cli.exit_code == 0
    assert f"{len(busy_log)} entries verified" in cli.stdout


@pytest.mark.parametrize(
    "tamper",
    [
        {"action": "auth.logout"},
        {"actor_email": "someone-else@agency.example"},
        {"details": '{"email": "x"}'},
        {"outcome": "ok"},
        {"ip_address": "10.9.9.9"},
    ],
)
def test_one_altered_row_is_found(app, busy_log, runner, tamper):
    middle = busy_log[len(busy_log) // 2]
    with app.app_context():
        db.session.execute(update(AuditEntry).where(AuditEntry.seq == middle).values(**tamper))
        db.session.commit()
    result = verify(app)
    assert not result.ok
    assert f"entry {middle}" in result.message
    cli = runner.invoke(args=["emisa", "audit-verify"])
    assert cli.exit_code == 1
    assert f"entry {middle}" in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1


def test_a_recomputed_plain_hash_does_not_fool_verify(app, busy_log):
    """Editing a row and recomputing an unkeyed SHA-256 chain is not enough (HMAC)."""
    import hashlib

    middle = busy_log[len(busy_log) // 2]
    with app.app_context():
        row = db.session.scalar(select(AuditEntry).where(AuditEntry.seq == middle))
        row.action = "auth.logout"
        row.entry_hash = hashlib.sha256((row.prev_hash + row.action).encode()).hexdigest()
        db.session.commit()
    assert not verify(app).ok


def test_a_deleted_row_is_found(app, busy_log, runner):
    middle = busy_log[len(busy_log) // 2]
    with app.app_context():
        db.session.execute(delete(AuditEntry).where(AuditEntry.seq == middle))
        db.session.commit()
    result = verify(app)
    assert not result.ok and f"entry {middle} is missing" in result.message
    assert runner.invoke(args=["emisa", "audit-verify"]).exit_code == 1


def test_audit_page_is_for_admins_and_shows_verification(app, busy_log, make_user, login):
    admin = make_user(admin=True)
    client = app.test_client()
    login(client, admin)
    page = client.get("/admin/audit?action=auth.").get_data(as_text=True)
    assert "auth.login" in page
    assert "intact" in client.get("/admin/audit/verify").get_data(as_text=True)
