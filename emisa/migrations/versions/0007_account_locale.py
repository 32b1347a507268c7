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
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("digits", sa.String(length=4), nullable=False, server_default="latn")
        )


def downgrade():
    # In place (SQLite 3.35+ drops columns itself): a batch copy of users would drop the
    # table, and with it, through ON DELETE CASCADE, every row that references an account.
    op.drop_column("users", "digits")
