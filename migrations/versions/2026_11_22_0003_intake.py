"""Intake: customers and their identities, conversations, interactions, handlers, dead letters.

Revision ID: 0003_intake
Revises: 0002_jobs
Create Date: 2026-11-22 14:07:46.719142
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_intake"
down_revision: str | None = "0002_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_dead_letters",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_dead_letters")),
    )
    with op.batch_alter_table("inbound_dead_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_dead_letters_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_dead_letters_source"), ["source"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_customers_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "customer_identities",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_customer_identities_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_identities_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("brand_id", "kind", "value", name="uq_customer_identities_brand_kind_value"),
    )
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_identities_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("thread_ref", sa.String(length=500), nullable=True),
        sa.Column("needs_answer", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("organisation_id", sa.String(length=26), nullable=True),
        sa.Column("team_id", sa.String(length=26), nullable=True),
        sa.Column("agent_id", sa.String(length=26), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_conversations_agent_id_agents")),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_conversations_brand_id_brands")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_conversations_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_conversations_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_conversations_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index("ix_conversations_brand_thread", ["brand_id", "channel", "thread_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "conversation_handlers",
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("organisation_id", sa.String(length=26), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_handlers_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_conversation_handlers_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("conversation_id", "organisation_id", name=op.f("pk_conversation_handlers")),
    )
    with op.batch_alter_table("conversation_handlers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_handlers_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "interactions",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("seller", sa.String(length=200), nullable=True),
        sa.Column("order_ref", sa.String(length=200), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("voice", sa.JSON(), nullable=True),
        sa.Column("handled_by_agent_id", sa.String(length=26), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_interactions_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_interactions_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_interactions_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["handled_by_agent_id"], ["agents.id"], name=op.f("fk_interactions_handled_by_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.UniqueConstraint("brand_id", "channel", "external_id", name="uq_interactions_brand_channel_external_id"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_interactions_idempotency_key")),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interactions_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interactions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interactions_occurred_at"), ["occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_interactions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_interactions_conversation_id"))

    op.drop_table("interactions")
    with op.batch_alter_table("conversation_handlers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_handlers_organisation_id"))

    op.drop_table("conversation_handlers")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_conversations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_customer_id"))
        batch_op.drop_index("ix_conversations_brand_thread")
        batch_op.drop_index(batch_op.f("ix_conversations_brand_id"))

    op.drop_table("conversations")
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_identities_customer_id"))

    op.drop_table("customer_identities")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_brand_id"))

    op.drop_table("customers")
    with op.batch_alter_table("inbound_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_dead_letters_source"))
        batch_op.drop_index(batch_op.f("ix_inbound_dead_letters_received_at"))

    op.drop_table("inbound_dead_letters")
