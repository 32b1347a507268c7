"""participant muted: whether a stay's microphone is off is part of the room's state

Revision ID: growth_0013
Revises: growth_0012
Create Date: 2026-12-06 08:30:00

The ``presence`` event and the ``join``/``sync`` answers carry each participant's muted
state, so someone joining later sees who is muted. Every existing stay starts unmuted.
"""

import sqlalchemy as sa
from alembic import op

revision = "growth_0013"
down_revision = "growth_0012"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite and PostgreSQL both add a column with a constant default in place.
    op.add_column(
        "meeting_participants",
        sa.Column("muted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    # Not batch mode: on SQLite it rebuilds the table, and dropping the old one would cascade
    # to every row that references it. SQLite 3.35+ drops a column in place.
    op.drop_column("meeting_participants", "muted")
