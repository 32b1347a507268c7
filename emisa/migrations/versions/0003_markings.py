"""markings: one marked-content shape (recipients table, carried countries, sealed marking)

Named recipients of documents, threads and meetings move into one table,
``marked_recipients``; every marked row gains ``origin_countries`` (its group's
country restriction, which travels with it) and ``marking_seal`` (the marking
authenticated under the group key). Existing rows are sealed here, with the
master key the running platform holds: after this migration an empty or
mismatching seal means the marking was changed outside the platform, so no
later step ever seals a row it did not mark itself (see docs/crypto.md).

Revision ID: markings
Revises: features
Create Date: 2026-11-29 16:00:00
"""

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision = "markings"
down_revision = "features"
branch_labels = None
depends_on = None

MARKED = ("documents", "threads", "meetings")
KIND = {"documents": "document", "threads": "thread", "meetings": "meeting"}
RED = "TLP:RED"

groups = sa.table("working_groups", sa.column("id"), sa.column("allowed_countries", sa.JSON))
recipients = sa.table(
    "marked_recipients",
    sa.column("item_kind"),
    sa.column("item_id"),
    sa.column("user_id"),
    sa.column("group_id"),
)


def _marked(name: str) -> sa.TableClause:
    return sa.table(
        name,
        sa.column("id"),
        sa.column("group_id"),
        sa.column("tlp"),
        sa.column("releasable_to", sa.JSON),
        sa.column("origin_countries", sa.JSON),
        sa.column("marking_seal", sa.LargeBinary),
    )


def _copy_recipients(connection) -> None:
    """document_recipients, meeting_invitees and threads.recipient_ids, for TLP:RED items."""
    for table, item, kind in (
        ("document_recipients", "document_id", "documents"),
        ("meeting_invitees", "meeting_id", "meetings"),
    ):
        rows = connection.execute(
            sa.text(
                f"SELECT r.{item}, r.user_id, i.group_id FROM {table} r "
                f"JOIN {kind} i ON i.id = r.{item} WHERE i.tlp = :red"
            ),
            {"red": RED},
        ).all()
        if rows:
            connection.execute(
                recipients.insert(),
                [
                    {"item_kind": KIND[kind], "item_id": i, "user_id": u, "group_id": g}
                    for i, u, g in rows
                ],
            )
    threads = sa.table(
        "threads",
        sa.column("id"),
        sa.column("group_id"),
        sa.column("tlp"),
        sa.column("recipient_ids", sa.JSON),
    )
    users = {row[0] for row in connection.execute(sa.text("SELECT id FROM users"))}
    rows = connection.execute(
        sa.select(threads.c.id, threads.c.group_id, threads.c.recipient_ids).where(
            threads.c.tlp == RED
        )
    ).all()
    values = [
        {"item_kind": "thread", "item_id": tid, "user_id": uid, "group_id": gid}
        for tid, gid, ids in rows
        for uid in sorted(set(ids or ()))
        if uid in users
    ]
    if values:
        connection.execute(recipients.insert(), values)


def _seal_existing(connection) -> None:
    """Carry each group's countries onto its items and seal every marking under its group key."""
    from emisa.access.marked import marking_aad
    from emisa.access.markings import Marking, Tlp
    from emisa.crypto import keyring

    allowed = dict(connection.execute(sa.select(groups.c.id, groups.c.allowed_countries)).all())
    shared: dict[int, list[int]] = {}
    for document_id, group_id in connection.execute(
        sa.text("SELECT document_id, group_id FROM document_shares")
    ):
        shared.setdefault(document_id, []).append(group_id)
    published = dict(connection.execute(sa.text("SELECT id, public FROM documents")).all())
    named: dict[tuple[str, int], list[int]] = {}
    for kind, item_id, user_id in connection.execute(
        sa.select(recipients.c.item_kind, recipients.c.item_id, recipients.c.user_id)
    ):
        named.setdefault((kind, item_id), []).append(user_id)
    for name in MARKED:
        table, kind = _marked(name), KIND[name]
        rows = connection.execute(
            sa.select(table.c.id, table.c.group_id, table.c.tlp, table.c.releasable_to)
        ).all()
        if rows and context.is_offline_mode():
            raise RuntimeError("existing markings are sealed with the master key: run online")
        for item_id, group_id, tlp, releasable in rows:
            origin = sorted(allowed.get(group_id) or ())
            marking = Marking(
                tlp=Tlp(tlp),
                group_id=group_id,
                releasable_to=tuple(sorted(releasable or ())),
                recipient_ids=tuple(sorted(named.get((kind, item_id), ())) if tlp == RED else ()),
                shared_group_ids=tuple(
                    sorted(shared.get(item_id, ()) if kind == "document" else ())
                ),
                origin_countries=tuple(origin),
                public=bool(published.get(item_id)) if kind == "document" else False,
            )
            seal = keyring.seal_bytes_through(
                connection, group_id, b"", marking_aad(kind, item_id, marking)
            )
            connection.execute(
                table.update()
                .where(table.c.id == item_id)
                .values(origin_countries=origin, marking_seal=seal)
            )


def upgrade():
    op.create_table(
        "marked_recipients",
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["working_groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_kind", "item_id", "user_id"),
    )
    with op.batch_alter_table("marked_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marked_recipients_group_id"), ["group_id"])
        batch_op.create_index(batch_op.f("ix_marked_recipients_user_id"), ["user_id"])
    # Plain ALTER TABLE, never a batch copy: on SQLite a copy drops the old table, and with
    # foreign keys on that deletes every row referring to it (versions, posts, invitees).
    for name in MARKED:
        op.add_column(
            name,
            sa.Column("origin_countries", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        )
        op.add_column(
            name,
            sa.Column("marking_seal", sa.LargeBinary(), nullable=False, server_default=sa.text("''")),
        )
    connection = op.get_bind()
    _copy_recipients(connection)
    _seal_existing(connection)
    op.drop_column("threads", "recipient_ids")
    op.drop_index(op.f("ix_document_recipients_user_id"), table_name="document_recipients")
    op.drop_table("document_recipients")
    op.drop_index(op.f("ix_meeting_invitees_user_id"), table_name="meeting_invitees")
    op.drop_table("meeting_invitees")


def downgrade():
    op.create_table(
        "document_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "user_id"),
    )
    with op.batch_alter_table("document_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_recipients_user_id"), ["user_id"])
    op.create_table(
        "meeting_invitees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "user_id"),
    )
    with op.batch_alter_table("meeting_invitees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_invitees_user_id"), ["user_id"])
    op.add_column(
        "threads",
        sa.Column("recipient_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    connection = op.get_bind()
    for table, item, kind in (
        ("document_recipients", "document_id", "document"),
        ("meeting_invitees", "meeting_id", "meeting"),
    ):
        connection.execute(
            sa.text(
                f"INSERT INTO {table} ({item}, user_id) SELECT item_id, user_id "
                "FROM marked_recipients WHERE item_kind = :kind"
            ),
            {"kind": kind},
        )
    threads = sa.table("threads", sa.column("id"), sa.column("recipient_ids", sa.JSON))
    named: dict[int, list[int]] = {}
    for item_id, user_id in connection.execute(
        sa.select(recipients.c.item_id, recipients.c.user_id).where(
            recipients.c.item_kind == "thread"
        )
    ):
        named.setdefault(item_id, []).append(user_id)
    for (thread_id,) in connection.execute(sa.select(threads.c.id)).all():
        connection.execute(
            threads.update()
            .where(threads.c.id == thread_id)
            .values(recipient_ids=sorted(named.get(thread_id, ())))
        )
    for name in MARKED:
        op.drop_column(name, "marking_seal")
        op.drop_column(name, "origin_countries")
    with op.batch_alter_table("marked_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marked_recipients_user_id"))
        batch_op.drop_index(batch_op.f("ix_marked_recipients_group_id"))
    op.drop_table("marked_recipients")
