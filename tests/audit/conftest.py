"""A log written by real requests, shared by the chain and the anchor tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emisa.audit.models import AuditEntry
from emisa.extensions import db
from tests.support.web import post_form


@pytest.fixture
def busy_log(app, client, make_user, make_group, login):
    """A log written by real requests: sign-ins, a failed sign-in, group changes, a denial."""
    admin, person = make_user(admin=True), make_user()
    make_group("Audited group", members={person: "coordinator"})
    login(client, admin)
    post_form(app.test_client(), "/login", {"email": person.email, "password": "wrong guess!!"})
    outsider = app.test_client()
    login(outsider, person)
    assert outsider.get("/admin/accounts").status_code == 403
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert len(entries) >= 6
        actions = {e.action for e in entries}
        assert {"auth.login", "auth.password_failed", "access.denied", "group.created"} <= actions
        return [e.seq for e in entries]


def verify(app):
    from emisa.audit import verify as run

    with app.app_context():
        return run()
