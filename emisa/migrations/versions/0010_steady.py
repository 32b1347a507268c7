"""steady: each group's stored bytes kept as a counter

Revision ID: steady
Revises: account_language
Create Date: 2026-12-06 01:00:00

The quota and the documents page read one counter per group instead of summing every
document version of the group; it is filled here from the versions already stored.
audit_actions: each action the audit log holds, once, for the audit page's action filter;
filled here from the log.
"""

import sqlalchemy as sa
from alembic import op

revision = "steady"
down_revision = "account_language"
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


def downgrade():
    op.drop_table("audit_actions")
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite 3.35+): a batch copy of the table
    # would drop the old one, and with foreign keys on that cascades into every document.
    op.drop_column("working_groups", "stored_bytes")
