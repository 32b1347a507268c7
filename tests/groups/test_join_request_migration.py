"""Migration ``sealed_texts`` seals the join-request texts already stored, and its downgrade
opens them back: nothing is lost either way, nothing stays in clear."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from emisa.database import MIGRATIONS_DIR
from emisa.extensions import db
from tests.test_migrations import empty_database_url, fresh_app  # noqa: F401  (fixtures)

MOTIVATION = "I lead the returnee desk in Porto"
REASON = "Prosecutors only for now"


def test_existing_texts_are_sealed_on_upgrade_and_opened_on_downgrade(fresh_app):  # noqa: F811
    from emisa.groups.models import JoinRequest

    upgrade(directory=MIGRATIONS_DIR, revision="features")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, organisation, country, kind, role, state, "
                "totp_last_step, time_zone, created_at) VALUES (1, 'asker@agency.example', "
                "'Asker', 'Police', 'PT', 'law-enforcement', 'user', 'active', 0, 'UTC', "
                "CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO working_groups (id, slug, name, mandate, allowed_countries, "
                "join_policy, created_at) VALUES (1, 'desk', 'Desk', '', '[]', 'request', "
                "CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO join_requests (id, group_id, user_id, motivation, status, reason, "
                "created_at) VALUES (1, 1, 1, :motivation, 'pending', '', CURRENT_TIMESTAMP), "
                "(2, 1, 1, 'An older request of mine', 'rejected', :reason, CURRENT_TIMESTAMP)"
            ),
            {"motivation": MOTIVATION, "reason": REASON},
        )
    upgrade(directory=MIGRATIONS_DIR)
    with db.engine.connect() as connection:
        stored = connection.execute(text("SELECT * FROM join_requests")).all()
    assert MOTIVATION.encode() not in repr(stored).encode() and REASON not in repr(stored)
    pending, rejected = db.session.get(JoinRequest, 1), db.session.get(JoinRequest, 2)
    assert (pending.motivation, pending.reason) == (MOTIVATION, "")
    assert (rejected.motivation, rejected.reason) == ("An older request of mine", REASON)
    db.session.remove()

    downgrade(directory=MIGRATIONS_DIR, revision="features")
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT motivation, reason FROM join_requests ORDER BY id")
        ).all()
    assert [tuple(row) for row in rows] == [
        (MOTIVATION, ""),
        ("An older request of mine", REASON),
    ]
