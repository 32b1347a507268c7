"""Migration 0003 moves named recipients into one table and seals existing markings."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from emisa.database import MIGRATIONS_DIR
from emisa.extensions import db
from tests import test_migrations

# The scratch database of the engine under test, and an app on it, as in test_migrations.
empty_database_url = test_migrations.empty_database_url
fresh_app = test_migrations.fresh_app

USERS = (
    "INSERT INTO users (id, email, name, organisation, country, kind, role, state, "
    "totp_last_step, time_zone, created_at) VALUES (:id, :email, :name, 'Agency', :country, "
    "'law-enforcement', 'user', 'active', 0, 'UTC', CURRENT_TIMESTAMP)"
)


def _legacy_content(connection) -> None:
    """A group open to BE and FR with a RED thread and a RED document, as 0002 stored them."""
    for uid, country in ((1, "BE"), (2, "FR"), (3, "BE")):
        connection.execute(
            text(USERS),
            {"id": uid, "email": f"p{uid}@a.example", "name": f"P{uid}", "country": country},
        )
    groups = sa.table(
        "working_groups",
        sa.column("id"),
        sa.column("slug"),
        sa.column("name"),
        sa.column("mandate"),
        sa.column("allowed_countries", sa.JSON),
        sa.column("join_policy"),
        sa.column("created_at"),
    )
    connection.execute(
        groups.insert().values(
            id=1,
            slug="legacy",
            name="Legacy",
            mandate="",
            allowed_countries=["BE", "FR"],
            join_policy="request",
            created_at=sa.func.current_timestamp(),
        )
    )
    for uid in (1, 2, 3):
        connection.execute(
            text(
                "INSERT INTO memberships (group_id, user_id, role, created_at) "
                "VALUES (1, :uid, 'member', CURRENT_TIMESTAMP)"
            ),
            {"uid": uid},
        )
    threads = sa.table(
        "threads",
        *(sa.column(c) for c in ("id", "group_id", "author_id", "title_sealed", "tlp")),
        sa.column("releasable_to", sa.JSON),
        sa.column("recipient_ids", sa.JSON),
        *(sa.column(c) for c in ("pinned", "locked", "post_count")),
        sa.column("created_at"),
        sa.column("last_activity_at"),
    )
    now = sa.func.current_timestamp()
    connection.execute(
        threads.insert().values(
            id=1,
            group_id=1,
            author_id=1,
            title_sealed=b"",
            tlp="TLP:RED",
            releasable_to=[],
            recipient_ids=[1, 2],
            pinned=False,
            locked=False,
            post_count=0,
            created_at=now,
            last_activity_at=now,
        )
    )
    # A post refers to the thread: altering the thread's table must not take it away.
    connection.execute(
        text(
            "INSERT INTO posts (id, thread_id, group_id, author_id, sanitiser_version, "
            "created_at) VALUES (1, 1, 1, 1, '', CURRENT_TIMESTAMP)"
        )
    )
    connection.execute(
        text(
            "INSERT INTO documents (id, group_id, tlp, releasable_to, title_sealed, "
            "description_sealed, tags_sealed, handling_conditions_sealed, uploader_id, "
            "origin_country, current_version, public, created_at, updated_at) VALUES "
            "(1, 1, 'TLP:RED', '[\"BE\"]', :b, :b, :b, :b, 1, 'BE', 1, false, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"b": b""},
    )
    for uid in (1, 3):
        connection.execute(
            text("INSERT INTO document_recipients (document_id, user_id) VALUES (1, :uid)"),
            {"uid": uid},
        )


def test_recipients_move_to_one_table_and_markings_are_sealed(fresh_app):
    from emisa.access.marked import verify_marking
    from emisa.crypto import keyring
    from emisa.database import commit
    from emisa.discussions.models import Thread
    from emisa.documents.models import Document

    upgrade(directory=MIGRATIONS_DIR, revision="features")
    with db.engine.begin() as connection:
        _legacy_content(connection)
    keyring.seal_text(1, "a field, so the group has its key", "test:1:field")
    commit()
    db.engine.dispose()

    upgrade(directory=MIGRATIONS_DIR)
    thread, document = db.session.get(Thread, 1), db.session.get(Document, 1)
    assert thread.recipient_ids == (1, 2) and document.recipient_ids == (1, 3)
    assert thread.origin_countries == ["BE", "FR"] == document.origin_countries
    assert verify_marking(thread) and verify_marking(document)
    rows = db.session.execute(
        text("SELECT item_kind, item_id, user_id, group_id FROM marked_recipients ORDER BY 1, 3")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("document", 1, 1, 1),
        ("document", 1, 3, 1),
        ("thread", 1, 1, 1),
        ("thread", 1, 2, 1),
    ]
    assert db.session.execute(text("SELECT count(*) FROM posts")).scalar() == 1
    # A legacy row the migration sealed is as tamper-evident as a new one.
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE threads SET tlp = 'TLP:GREEN' WHERE id = 1"))
    db.session.expire_all()
    assert not verify_marking(db.session.get(Thread, 1))
    db.session.rollback()
    db.session.remove()
    db.engine.dispose()

    downgrade(directory=MIGRATIONS_DIR, revision="features")
    with db.engine.connect() as connection:
        recipients = connection.execute(
            text("SELECT user_id FROM document_recipients ORDER BY user_id")
        ).scalars()
        assert list(recipients) == [1, 3]
        stored = connection.execute(
            sa.select(sa.column("recipient_ids", sa.JSON)).select_from(sa.table("threads"))
        ).scalar()
        assert stored == [1, 2]
        assert connection.execute(text("SELECT count(*) FROM posts")).scalar() == 1
