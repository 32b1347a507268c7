"""list indexes: every list's filter and order read off an index, a page at a time

Revision ID: list_indexes
Revises: sealed_texts
Create Date: 2026-11-29 16:10:00

Threads gain their id in the activity index (the list's tie-break); documents get
their group's two list orders and a partial index of the library's GREEN and CLEAR
documents; the search index covers (group, token, kind, item) so a query never reads
the token rows; notifications and meetings get their lists' orders.
"""

import sqlalchemy as sa
from alembic import op

revision = "list_indexes"
down_revision = "sealed_texts"
branch_labels = None
depends_on = None

LIBRARY_WHERE = "tlp IN ('TLP:GREEN', 'TLP:CLEAR')"


def upgrade():
    op.drop_index("ix_threads_group_activity", table_name="threads")
    op.create_index(
        "ix_threads_group_activity",
        "threads",
        ["group_id", "pinned", "last_activity_at", "id"],
    )
    op.create_index("ix_documents_group_updated", "documents", ["group_id", "updated_at", "id"])
    op.create_index("ix_documents_group_created", "documents", ["group_id", "created_at", "id"])
    op.create_index(
        "ix_documents_library",
        "documents",
        ["updated_at", "id"],
        sqlite_where=sa.text(LIBRARY_WHERE),
        postgresql_where=sa.text(LIBRARY_WHERE),
    )
    op.drop_index("ix_search_tokens_group_token", table_name="search_tokens")
    op.create_index(
        "ix_search_tokens_group_token",
        "search_tokens",
        ["group_id", "token", "kind", "item_id"],
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id", "id"])
    op.create_index("ix_meetings_group_starts", "meetings", ["group_id", "starts_at", "id"])


def downgrade():
    op.drop_index("ix_meetings_group_starts", table_name="meetings")
    op.drop_index("ix_notifications_user_id", table_name="notifications")
    op.drop_index("ix_search_tokens_group_token", table_name="search_tokens")
    op.create_index("ix_search_tokens_group_token", "search_tokens", ["group_id", "token"])
    op.drop_index("ix_documents_library", table_name="documents")
    op.drop_index("ix_documents_group_created", table_name="documents")
    op.drop_index("ix_documents_group_updated", table_name="documents")
    op.drop_index("ix_threads_group_activity", table_name="threads")
    op.create_index(
        "ix_threads_group_activity", "threads", ["group_id", "pinned", "last_activity_at"]
    )
