"""account language: the interface language each member chose

Revision ID: account_language
Revises: list_indexes
Create Date: 2026-12-06 00:40:00

NULL until the member chooses; the browser's Accept-Language applies meanwhile.
"""

import sqlalchemy as sa
from alembic import op

revision = "account_language"
down_revision = "list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    # Not batch mode: on SQLite it rebuilds ``users``, and dropping the old table would
    # cascade to every row that references an account. SQLite 3.35+ drops a column in place.
    op.drop_column("users", "language")
