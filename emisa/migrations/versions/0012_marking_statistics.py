"""marking statistics: PostgreSQL estimates how many marked items have no country restriction

Revision ID: growth_0012
Revises: growth_0011
Create Date: 2026-12-06 07:55:00

The read rule's SQL twin asks of every marked item whether its releasable-to and origin
countries are empty (``coalesce(CAST(column AS TEXT), 'null') IN ('null', '[]')``, see
``emisa.access.sql.json_list_empty``). PostgreSQL has no statistics on that expression and
guesses that it keeps almost nothing, when it keeps nearly every item: with 10,000 documents
in a group it then read the whole group and sorted it for a page of six (the dashboard), and
built the set of every readable document of the group to count a search's first 501 hits.
An expression statistic per column gives it the real share. SQLite: nothing to do.
"""

from alembic import op

revision = "growth_0012"
down_revision = "growth_0011"
branch_labels = None
depends_on = None

MARKED_TABLES = ("documents", "threads", "meetings")
COUNTRY_COLUMNS = ("releasable_to", "origin_countries")


def _statistics():
    for table in MARKED_TABLES:
        for column in COUNTRY_COLUMNS:
            yield f"{table}_{column}_empty", table, column


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column in _statistics():
        op.execute(
            f"CREATE STATISTICS {name} ON (coalesce(CAST({column} AS TEXT), 'null')) FROM {table}"
        )
    for table in MARKED_TABLES:
        op.execute(f"ANALYZE {table}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _table, _column in _statistics():
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
