"""Channels: webhook sources and receipts, notes, attachments, delivery and metric timestamps.

Revision ID: 0004_channels
Revises: 0003_intake
Create Date: 2026-11-23 08:21:32.019783
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_channels"
down_revision: str | None = "0003_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_sources",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("adapter", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_channel_sources_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_channel_sources_name")),
    )
    with op.batch_alter_table("channel_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_sources_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("source_id", sa.String(length=26), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["channel_sources.id"],
            name=op.f("fk_webhook_receipts_source_id_channel_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("source_id", "signature", name="uq_webhook_receipts_source_signature"),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_receipts_received_at"), ["received_at"], unique=False)

    op.create_table(
        "conversation_events",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("before", sa.String(length=40), nullable=True),
        sa.Column("after", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=26), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_events_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_conversation_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_events")),
    )
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversation_events_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("author_user_id", sa.String(length=26), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_conversation_notes_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_notes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_notes")),
    )
    with op.batch_alter_table("conversation_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_notes_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("interaction_id", sa.String(length=26), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_attachments_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_attachments_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"], ["interactions.id"], name=op.f("fk_attachments_interaction_id_interactions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_interaction_id"), ["interaction_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_public_answer", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("touchpoint_id", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("last_outbound_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_conversations_touchpoint_id"), ["touchpoint_id"], unique=False)

    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undeliverable_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("undeliverable_reason", sa.String(length=500), nullable=True))

    with op.batch_alter_table("inbound_dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replay_result", sa.Text(), nullable=True))

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="message"))
        batch_op.add_column(sa.Column("author_user_id", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("handle_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("platform", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("delivery_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_interactions_author_user_id_users"), "users", ["author_user_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_interactions_author_user_id_users"), type_="foreignkey")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivery_status")
        batch_op.drop_column("public")
        batch_op.drop_column("url")
        batch_op.drop_column("platform")
        batch_op.drop_column("handle_seconds")
        batch_op.drop_column("author_user_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("inbound_dead_letters", schema=None) as batch_op:
        batch_op.drop_column("replay_result")

    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_reason")
        batch_op.drop_column("undeliverable_at")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_touchpoint_id"))
        batch_op.drop_column("closed_at")
        batch_op.drop_column("last_outbound_at")
        batch_op.drop_column("touchpoint_id")
        batch_op.drop_column("needs_public_answer")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_interaction_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_conversation_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("conversation_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_notes_conversation_id"))

    op.drop_table("conversation_notes")
    op.drop_table("conversation_events")
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_receipts_received_at"))

    op.drop_table("webhook_receipts")
    with op.batch_alter_table("channel_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_sources_brand_id"))

    op.drop_table("channel_sources")
