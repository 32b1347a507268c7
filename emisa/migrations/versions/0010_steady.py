"""steady: each group's stored bytes kept as a counter

Revision ID: steady
Revises: account_language
Create Date: 2026-12-06 01:00:00

The quota and the documents page read one counter per group instead of summing every
document version of the group; it is filled here from the versions already stored.
audit_actions: each action the audit log holds, once, for the audit page's action filter;
filled here from the log.
meeting_participants.process_id / heartbeat_at: which server process holds a connection and
when it last said so, so stays of a crashed process can be ended; connections of before the
upgrade count as last heard from when they connected.
"""

import sqlalchemy as sa
from alembic import op

revision = "steady"
down_revision = "notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("working_groups") as batch:
        batch.add_column(
            sa.Column("stored_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE working_groups SET stored_bytes = ("
        " SELECT COALESCE(SUM(v.size), 0) FROM document_versions v"
        " JOIN documents d ON d.id = v.document_id WHERE d.group_id = working_groups.id)"
    )
    op.create_table(
        "audit_actions",
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("action"),
    )
    op.execute("INSERT INTO audit_actions (action) SELECT DISTINCT action FROM audit_entries")
    with op.batch_alter_table("meeting_participants") as batch:
        batch.add_column(sa.Column("process_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE meeting_participants SET heartbeat_at = connected_at")
    op.create_index(
        "ix_meeting_participants_process", "meeting_participants", ["process_id", "state"]
    )
    op.create_index(
        "ix_meeting_participants_state_heartbeat",
        "meeting_participants",
        ["state", "heartbeat_at"],
    )


def downgrade():
    op.drop_index("ix_meeting_participants_state_heartbeat", table_name="meeting_participants")
    op.drop_index("ix_meeting_participants_process", table_name="meeting_participants")
    # In place, as below: a batch copy would drop a table other rows point to.
    op.drop_column("meeting_participants", "heartbeat_at")
    op.drop_column("meeting_participants", "process_id")
    op.drop_table("audit_actions")
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite 3.35+): a batch copy of the table
    # would drop the old one, and with foreign keys on that cascades into every document.
    op.drop_column("working_groups", "stored_bytes")
