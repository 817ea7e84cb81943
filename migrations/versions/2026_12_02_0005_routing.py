"""Routing: touchpoints and classification rules, queues, presence, waiting items, assignments, customer groups.

Revision ID: 0005_routing
Revises: 0004_channels
Create Date: 2026-12-02 04:21:28.878594
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_routing"
down_revision: str | None = "0004_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "lifecycle_stages",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_lifecycle_stages_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_stages")),
        sa.UniqueConstraint("brand_id", "name", name="uq_lifecycle_stages_brand_name"),
    )
    with op.batch_alter_table("lifecycle_stages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lifecycle_stages_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "touchpoints",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("stage_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("touch", sa.String(length=10), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_touchpoints_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["lifecycle_stages.id"], name=op.f("fk_touchpoints_stage_id_lifecycle_stages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoints")),
        sa.UniqueConstraint("brand_id", "name", name="uq_touchpoints_brand_name"),
    )
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_touchpoints_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_touchpoints_stage_id"), ["stage_id"], unique=False)

    op.create_table(
        "classification_rules",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("touchpoint_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("pattern", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("field_value", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_classification_rules_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoints.id"],
            name=op.f("fk_classification_rules_touchpoint_id_touchpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_rules")),
    )
    with op.batch_alter_table("classification_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classification_rules_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_classification_rules_touchpoint_id"), ["touchpoint_id"], unique=False)

    op.create_table(
        "queues",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("touchpoint_id", sa.String(length=26), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("language_required", sa.Boolean(), nullable=False),
        sa.Column("drop_language_after_seconds", sa.Integer(), nullable=True),
        sa.Column("required_skills", sa.JSON(), nullable=False),
        sa.Column("drop_local_after_seconds", sa.Integer(), nullable=True),
        sa.Column("owner_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("sticky_seconds", sa.Integer(), nullable=False),
        sa.Column("overflow_after_seconds", sa.JSON(), nullable=False),
        sa.Column("overflow_when_unavailable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_queues_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["touchpoints.id"], name=op.f("fk_queues_touchpoint_id_touchpoints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queues")),
        sa.UniqueConstraint("brand_id", "name", name="uq_queues_brand_name"),
    )
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queues_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "touchpoint_sourcing",
        sa.Column("touchpoint_id", sa.String(length=26), nullable=False),
        sa.Column("organisation_id", sa.String(length=26), nullable=False),
        sa.Column("location_band", sa.String(length=20), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_touchpoint_sourcing_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoints.id"],
            name=op.f("fk_touchpoint_sourcing_touchpoint_id_touchpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("touchpoint_id", "organisation_id", name=op.f("pk_touchpoint_sourcing")),
    )
    op.create_table(
        "agent_presence",
        sa.Column("agent_id", sa.String(length=26), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("free_since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_presence_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_presence")),
    )
    op.create_table(
        "customer_groups",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("sellers", sa.JSON(), nullable=False),
        sa.Column("min_lifetime_orders", sa.Integer(), nullable=True),
        sa.Column("owner_agent_id", sa.String(length=26), nullable=True),
        sa.Column("owner_team_id", sa.String(length=26), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_customer_groups_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["owner_agent_id"], ["agents.id"], name=op.f("fk_customer_groups_owner_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(["owner_team_id"], ["teams.id"], name=op.f("fk_customer_groups_owner_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_groups")),
        sa.UniqueConstraint("brand_id", "name", name="uq_customer_groups_brand_name"),
    )
    with op.batch_alter_table("customer_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_groups_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "presence_intervals",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("agent_id", sa.String(length=26), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_presence_intervals_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_intervals")),
    )
    with op.batch_alter_table("presence_intervals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_presence_intervals_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "queue_teams",
        sa.Column("queue_id", sa.String(length=26), nullable=False),
        sa.Column("team_id", sa.String(length=26), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_queue_teams_queue_id_queues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_queue_teams_team_id_teams")),
        sa.PrimaryKeyConstraint("queue_id", "team_id", name=op.f("pk_queue_teams")),
    )
    with op.batch_alter_table("queue_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_teams_team_id"), ["team_id"], unique=False)

    op.create_table(
        "conversation_assignments",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("queue_id", sa.String(length=26), nullable=True),
        sa.Column("organisation_id", sa.String(length=26), nullable=False),
        sa.Column("team_id", sa.String(length=26), nullable=True),
        sa.Column("agent_id", sa.String(length=26), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("by_user_id", sa.String(length=26), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_conversation_assignments_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name=op.f("fk_conversation_assignments_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_assignments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_conversation_assignments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_conversation_assignments_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_assignments")),
    )
    with op.batch_alter_table("conversation_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_assignments_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conversation_assignments_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversation_assignments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_conversation_assignments_queue_at", ["queue_id", "assigned_at"], unique=False)

    op.create_table(
        "customer_group_members",
        sa.Column("group_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_group_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_customer_group_members_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "customer_id", name=op.f("pk_customer_group_members")),
    )
    with op.batch_alter_table("customer_group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_group_members_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "routing_waiting",
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("queue_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("customer_country", sa.String(length=2), nullable=True),
        sa.Column("wants_local", sa.Boolean(), nullable=False),
        sa.Column("owner_agent_id", sa.String(length=26), nullable=True),
        sa.Column("owner_team_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_routing_waiting_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_routing_waiting_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], name=op.f("fk_routing_waiting_queue_id_queues")),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_routing_waiting")),
    )
    with op.batch_alter_table("routing_waiting", schema=None) as batch_op:
        batch_op.create_index("ix_routing_waiting_order", ["brand_id", "priority", "waiting_since"], unique=False)
        batch_op.create_index(batch_op.f("ix_routing_waiting_queue_id"), ["queue_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_id", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("routing_status", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_conversations_agent_status", ["agent_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_routing_status"), ["routing_status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_routing_status"))
        batch_op.drop_index("ix_conversations_agent_status")
        batch_op.drop_column("routing_status")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("queue_id")

    with op.batch_alter_table("routing_waiting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_waiting_queue_id"))
        batch_op.drop_index("ix_routing_waiting_order")

    op.drop_table("routing_waiting")
    with op.batch_alter_table("customer_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_group_members_customer_id"))

    op.drop_table("customer_group_members")
    with op.batch_alter_table("conversation_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_assignments_queue_at")
        batch_op.drop_index(batch_op.f("ix_conversation_assignments_customer_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_assignments_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_assignments_agent_id"))

    op.drop_table("conversation_assignments")
    with op.batch_alter_table("queue_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_teams_team_id"))

    op.drop_table("queue_teams")
    with op.batch_alter_table("presence_intervals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presence_intervals_agent_id"))

    op.drop_table("presence_intervals")
    with op.batch_alter_table("customer_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_groups_brand_id"))

    op.drop_table("customer_groups")
    op.drop_table("agent_presence")
    op.drop_table("touchpoint_sourcing")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queues_brand_id"))

    op.drop_table("queues")
    with op.batch_alter_table("classification_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classification_rules_touchpoint_id"))
        batch_op.drop_index(batch_op.f("ix_classification_rules_brand_id"))

    op.drop_table("classification_rules")
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_touchpoints_stage_id"))
        batch_op.drop_index(batch_op.f("ix_touchpoints_brand_id"))

    op.drop_table("touchpoints")
    with op.batch_alter_table("lifecycle_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_stages_brand_id"))

    op.drop_table("lifecycle_stages")
