"""notifications: kind and parameters instead of frozen text, grouping, email per kind

Revision ID: notifications
Revises: account_locale
Create Date: 2026-12-06 01:00:00

A notice becomes a kind and parameters rendered in the reader's language; notices written
before keep their English text as the parameter of the "notice" kind. Unread notices about
one item group (``subject``, ``count``, ``updated_at``). The digest switch becomes a choice
per kind (``notification_email``, a row only where it differs from the default): who had
switched the digest on gets every kind in the digest, who had saved it off gets no email
for the kinds that existed then.

API tokens also record where they were issued (address and User-Agent), which the account
page shows by browser and system name, as it does for browser sessions.
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications"
down_revision = "people"
branch_labels = None
depends_on = None

# The kinds that existed before this revision (join decisions were "join_request").
OLD_KINDS = ("mention", "reply", "new_thread", "meeting", "join_decision", "notice")

notifications = sa.table(
    "notifications",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.String),
    sa.column("params", sa.JSON),
    sa.column("count", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)
settings = sa.table(
    "notification_settings",
    sa.column("user_id", sa.Integer),
    sa.column("daily_digest", sa.Boolean),
)
choices = sa.table(
    "notification_email",
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("mode", sa.String),
)


def upgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("ip_address", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("user_agent", sa.String(length=300), nullable=False, server_default=""))
    op.create_table(
        "notification_email",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "kind"),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(length=80), nullable=False, server_default=""))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(notifications.c.id, notifications.c.text)).all():
        bind.execute(
            notifications.update()
            .where(notifications.c.id == row.id)
            .values(kind="notice", params={"text": row.text})
        )
    bind.execute(notifications.update().values(updated_at=notifications.c.created_at))
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("params", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
        batch.drop_column("text")
        batch.create_index("ix_notifications_user_subject", ["user_id", "subject", "read_at"])
    for user_id, digest in bind.execute(
        sa.select(settings.c.user_id, settings.c.daily_digest)
    ).all():
        if digest:
            modes = {"mention": "digest", "meeting": "digest", "join_decision": "digest"}
        else:
            modes = dict.fromkeys(OLD_KINDS, "never")
        bind.execute(
            choices.insert(),
            [{"user_id": user_id, "kind": kind, "mode": mode} for kind, mode in modes.items()],
        )
    with op.batch_alter_table("notification_settings") as batch:
        batch.drop_column("daily_digest")


def downgrade():
    with op.batch_alter_table("notification_settings") as batch:
        batch.add_column(
            sa.Column("daily_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    # The digest was one switch: on for whoever gets any kind in the digest or immediately
    # (the defaults included: every kind has a default other than "never").
    silent = sa.select(choices.c.user_id).group_by(choices.c.user_id).having(
        sa.func.sum(sa.case((choices.c.mode == "never", 0), else_=1)) == 0
    )
    bind.execute(
        settings.update().where(settings.c.user_id.not_in(silent)).values(daily_digest=True)
    )
    op.drop_table("notification_email")
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("text", sa.String(length=300), nullable=False, server_default=""))
    for row in bind.execute(
        sa.select(
            notifications.c.id, notifications.c.kind, notifications.c.params, notifications.c.count
        )
    ).all():
        params = row.params or {}
        bind.execute(
            notifications.update()
            .where(notifications.c.id == row.id)
            .values(text=_english(row.kind, params, row.count)[:300])
        )
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_user_subject")
        batch.drop_column("updated_at")
        batch.drop_column("count")
        batch.drop_column("subject")
        batch.drop_column("params")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("user_agent")
        batch.drop_column("ip_address")


def _english(kind: str, params: dict, count: int) -> str:
    """Frozen English text for the older schema: who, which group, how many; no content."""
    if kind == "notice":
        return str(params.get("text", ""))
    actor, group = params.get("actor") or "Someone", params.get("group") or "a group"
    if count > 1:
        return f"{count} {kind.replace('_', ' ')} notifications in {group}"
    return f"{actor}: {kind.replace('_', ' ')} in {group}"
