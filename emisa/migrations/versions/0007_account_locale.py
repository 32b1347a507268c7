"""account locale: the digits each member reads numbers and dates in

Revision ID: account_locale
Revises: account_language
Create Date: 2026-12-06 01:00:00

"latn" (0-9) for every existing account; "arab" when a member chooses Eastern Arabic digits.
"""

import sqlalchemy as sa
from alembic import op

revision = "account_locale"
down_revision = "account_language"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite and PostgreSQL both add a column with a constant default in place.
    op.add_column(
        "users", sa.Column("digits", sa.String(length=4), nullable=False, server_default="latn")
    )


def downgrade():
    # Not batch mode: on SQLite it rebuilds ``users``, and dropping the old table would
    # cascade to every row that references an account. SQLite 3.35+ drops a column in place.
    op.drop_column("users", "digits")
