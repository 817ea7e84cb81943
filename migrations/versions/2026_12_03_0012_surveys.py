"""Surveys: policies per brand and channel, one invitation (or skip) per resolved conversation, customers'
coaching feedback for the agent who served them.

Revision ID: 0012_surveys
Revises: 0011_measurement
Create Date: 2026-12-03 14:38:12.976099
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_surveys"
down_revision: str | None = "0011_measurement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_policies",
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("delay_seconds", sa.Integer(), nullable=False),
        sa.Column("sampling_rate", sa.Float(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("link_valid_days", sa.Integer(), nullable=False),
        sa.Column("once_per_customer_days", sa.Integer(), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_survey_policies_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("brand_id", "channel", name=op.f("pk_survey_policies")),
    )
    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("skip_reason", sa.String(length=20), nullable=True),
        sa.Column("agent_id", sa.String(length=26), nullable=True),
        sa.Column("organisation_id", sa.String(length=26), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_status", sa.String(length=20), nullable=True),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interaction_id", sa.String(length=26), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_survey_invitations_agent_id_agents")),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_survey_invitations_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_survey_invitations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_invitations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"], ["interactions.id"], name=op.f("fk_survey_invitations_interaction_id_interactions")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_survey_invitations_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_survey_invitations_conversation_id")),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_invitations_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index("ix_survey_invitations_customer_created", ["customer_id", "created_at"], unique=False)

    op.create_table(
        "coaching_feedback",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("invitation_id", sa.String(length=26), nullable=False),
        sa.Column("agent_id", sa.String(length=26), nullable=False),
        sa.Column("organisation_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_user_id", sa.String(length=26), nullable=True),
        sa.Column("action_note", sa.Text(), nullable=True),
        sa.Column("action_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"], ["users.id"], name=op.f("fk_coaching_feedback_acknowledged_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_coaching_feedback_agent_id_agents")),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_coaching_feedback_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_coaching_feedback_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_coaching_feedback_invitation_id_survey_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_coaching_feedback_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_feedback")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_coaching_feedback_invitation_id")),
    )
    with op.batch_alter_table("coaching_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_coaching_feedback_agent_created", ["agent_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_coaching_feedback_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coaching_feedback_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coaching_feedback_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coaching_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coaching_feedback_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_coaching_feedback_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_coaching_feedback_brand_id"))
        batch_op.drop_index("ix_coaching_feedback_agent_created")

    op.drop_table("coaching_feedback")
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_invitations_customer_created")
        batch_op.drop_index(batch_op.f("ix_survey_invitations_brand_id"))

    op.drop_table("survey_invitations")
    op.drop_table("survey_policies")
