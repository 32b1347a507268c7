"""growth: search pages read off the index in the order they are shown

Revision ID: growth_0011
Revises: steady
Create Date: 2026-12-06 04:10:00

ix_search_tokens_order: a word's entries in one group, newest written first (search_tokens.id
grows as items are indexed and re-indexed), with the kind and item alongside. A search page
reads its page's worth of entries off it and stops, however many items hold a common word;
ix_search_tokens_group_token still answers "does this item hold that word too".
"""

from alembic import op

revision = "growth_0011"
down_revision = "steady"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_search_tokens_order", "search_tokens", ["group_id", "token", "id", "kind", "item_id"]
    )


def downgrade():
    op.drop_index("ix_search_tokens_order", table_name="search_tokens")
