"""Migration ``notifications`` turns frozen texts into notices of kind "notice" (the text as
their parameter) and the digest switch into per-kind email choices; its downgrade brings
texts and the switch back."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from emisa.database import MIGRATIONS_DIR
from emisa.extensions import db
from tests.test_migrations import empty_database_url, fresh_app  # noqa: F401  (fixtures)


def test_old_notices_and_digest_switches_are_converted_and_restored(fresh_app):  # noqa: F811
    from emisa.notifications.models import Notification
    from emisa.notifications.operations import email_modes, text_of

    upgrade(directory=MIGRATIONS_DIR, revision="account_locale")
    with db.engine.begin() as connection:
        for uid in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, organisation, country, kind, role, "
                    "state, totp_last_step, time_zone, created_at) VALUES (:id, :email, 'N', "
                    "'Police', 'PT', 'law-enforcement', 'user', 'active', 0, 'UTC', "
                    "CURRENT_TIMESTAMP)"
                ),
                {"id": uid, "email": f"u{uid}@agency.example"},
            )
        connection.execute(
            text(
                "INSERT INTO notifications (id, user_id, kind, text, link, created_at) VALUES "
                "(1, 1, 'reply', 'Ann replied to your thread in Desk', '/posts/4', "
                "CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO notification_settings (user_id, mentions, replies, new_threads, "
                "daily_digest) VALUES (1, true, true, true, true), (2, true, true, true, false)"
            )
        )
    upgrade(directory=MIGRATIONS_DIR)
    row = db.session.get(Notification, 1)
    assert (row.kind, row.params, row.count, row.link) == (
        "notice",
        {"text": "Ann replied to your thread in Desk"},
        1,
        "/posts/4",
    )
    with fresh_app.test_request_context():
        assert text_of(row) == "Ann replied to your thread in Desk"
    digest, silent, default = email_modes(1), email_modes(2), email_modes(3)
    assert digest["mention"] == "digest" and digest["reply"] == "digest"
    assert silent["mention"] == "never" and silent["reply"] == "never"
    assert silent["red_share"] == "immediately"  # a kind that did not exist: its default
    assert default["mention"] == "immediately" and default["reply"] == "digest"
    db.session.remove()

    downgrade(directory=MIGRATIONS_DIR, revision="account_locale")
    with db.engine.connect() as connection:
        notices = connection.execute(text("SELECT kind, text FROM notifications")).all()
        switches = connection.execute(
            text("SELECT user_id, daily_digest FROM notification_settings ORDER BY user_id")
        ).all()
    assert [tuple(n) for n in notices] == [("notice", "Ann replied to your thread in Desk")]
    assert [(uid, bool(on)) for uid, on in switches] == [(1, True), (2, False)]
