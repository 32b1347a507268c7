"""sealed_texts: join-request motivations and rejection reasons sealed under the group key

Existing texts are sealed in place (upgrade) or opened back (downgrade) through the
keyring, on the migration's own connection.

Revision ID: sealed_texts
Revises: markings
Create Date: 2026-11-29 16:20:00

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = "sealed_texts"
down_revision = "markings"
branch_labels = None
depends_on = None

_join_requests = sa.table(
    "join_requests",
    sa.column("id", sa.Integer),
    sa.column("group_id", sa.Integer),
    sa.column("motivation", sa.Text),
    sa.column("reason", sa.Text),
    sa.column("motivation_sealed", sa.LargeBinary),
    sa.column("reason_sealed", sa.LargeBinary),
)


@contextmanager
def _keyring():
    """The keyring works through ``db.session``; here that must be the migration's connection,
    since on SQLite a second connection would wait for the lock this one holds."""
    from emisa.crypto import keyring
    from emisa.extensions import db

    registry = db.session.registry
    previous = registry() if registry.has() else None
    session = Session(bind=op.get_bind())
    registry.set(session)
    try:
        yield keyring
        session.flush()
    finally:
        session.close()
        if previous is not None:
            registry.set(previous)
        else:
            registry.clear()


def _aad(row_id: int, field: str) -> str:
    return f"join_request:{row_id}:{field}"


def _rewrite(columns, convert) -> None:
    """Apply ``convert(keyring, row) -> values`` to every join request."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(*columns)).all()
    if not rows:
        return
    with _keyring() as keyring:
        for row in rows:
            connection.execute(
                _join_requests.update()
                .where(_join_requests.c.id == row.id)
                .values(**convert(keyring, row))
            )


def _sealed(keyring, row) -> dict:
    return {
        "motivation_sealed": keyring.seal_text(
            row.group_id, row.motivation, _aad(row.id, "motivation")
        ),
        "reason_sealed": (
            keyring.seal_text(row.group_id, row.reason, _aad(row.id, "reason"))
            if row.reason
            else None
        ),
    }


def _opened(keyring, row) -> dict:
    return {
        "motivation": keyring.open_text(
            row.group_id, row.motivation_sealed, _aad(row.id, "motivation")
        ),
        "reason": (
            keyring.open_text(row.group_id, row.reason_sealed, _aad(row.id, "reason"))
            if row.reason_sealed is not None
            else ""
        ),
    }


def upgrade():
    with op.batch_alter_table("join_requests") as batch:
        batch.add_column(sa.Column("motivation_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("reason_sealed", sa.LargeBinary(), nullable=True))
    c = _join_requests.c
    _rewrite([c.id, c.group_id, c.motivation, c.reason], _sealed)
    with op.batch_alter_table("join_requests") as batch:
        batch.alter_column("motivation_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("motivation")
        batch.drop_column("reason")


def downgrade():
    with op.batch_alter_table("join_requests") as batch:
        batch.add_column(sa.Column("motivation", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
    c = _join_requests.c
    _rewrite([c.id, c.group_id, c.motivation_sealed, c.reason_sealed], _opened)
    with op.batch_alter_table("join_requests") as batch:
        batch.alter_column("motivation", existing_type=sa.Text(), nullable=False)
        batch.alter_column("reason", existing_type=sa.Text(), nullable=False)
        batch.drop_column("motivation_sealed")
        batch.drop_column("reason_sealed")
