"""QA: scorecards and their versions, evaluations with their answers and history, samples and queues, calibration.

Revision ID: 0013_scorecards
Revises: 0012_surveys
Create Date: 2026-12-03 14:41:05.420585
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_scorecards"
down_revision: str | None = "0012_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_samples",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("analyst_user_id", sa.String(length=26), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=26), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("allocation", sa.String(length=12), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("frame_size", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["analyst_user_id"], ["users.id"], name=op.f("fk_evaluation_samples_analyst_user_id_users")
        ),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_evaluation_samples_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_evaluation_samples_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_samples")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_evaluation_samples_idempotency_key")),
    )
    with op.batch_alter_table("evaluation_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_samples_analyst_user_id"), ["analyst_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_samples_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "scorecards",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("lineage_id", sa.String(length=26), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=26), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_scorecards_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_scorecards_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
        sa.UniqueConstraint("lineage_id", "version", name="uq_scorecards_lineage_version"),
    )
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecards_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scorecards_lineage_id"), ["lineage_id"], unique=False)

    op.create_table(
        "calibration_sessions",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("scorecard_id", sa.String(length=26), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=26), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_calibration_sessions_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_calibration_sessions_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"], ["scorecards.id"], name=op.f("fk_calibration_sessions_scorecard_id_scorecards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_sessions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_calibration_sessions_idempotency_key")),
    )
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_sessions_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "scorecard_sections",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("scorecard_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["scorecards.id"],
            name=op.f("fk_scorecard_sections_scorecard_id_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_sections")),
    )
    with op.batch_alter_table("scorecard_sections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecard_sections_scorecard_id"), ["scorecard_id"], unique=False)

    op.create_table(
        "calibration_evaluators",
        sa.Column("session_id", sa.String(length=26), nullable=False),
        sa.Column("user_id", sa.String(length=26), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_sessions.id"],
            name=op.f("fk_calibration_evaluators_session_id_calibration_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_calibration_evaluators_user_id_users")),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_calibration_evaluators")),
    )
    with op.batch_alter_table("calibration_evaluators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_evaluators_user_id"), ["user_id"], unique=False)

    op.create_table(
        "scorecard_criteria",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("scorecard_id", sa.String(length=26), nullable=False),
        sa.Column("section_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("scale", sa.String(length=10), nullable=False),
        sa.Column("max_points", sa.Integer(), nullable=False),
        sa.Column("pass_points", sa.Integer(), nullable=False),
        sa.Column("error_class", sa.String(length=12), nullable=True),
        sa.Column("auto_fail", sa.Boolean(), nullable=False),
        sa.Column("allow_not_applicable", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["scorecards.id"],
            name=op.f("fk_scorecard_criteria_scorecard_id_scorecards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["scorecard_sections.id"],
            name=op.f("fk_scorecard_criteria_section_id_scorecard_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_criteria")),
    )
    with op.batch_alter_table("scorecard_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecard_criteria_scorecard_id"), ["scorecard_id"], unique=False)

    op.create_table(
        "calibration_conversations",
        sa.Column("session_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_calibration_conversations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_sessions.id"],
            name=op.f("fk_calibration_conversations_session_id_calibration_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "conversation_id", name=op.f("pk_calibration_conversations")),
    )
    with op.batch_alter_table("calibration_conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calibration_conversations_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "evaluation_queue",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("sample_id", sa.String(length=26), nullable=False),
        sa.Column("analyst_user_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["analyst_user_id"], ["users.id"], name=op.f("fk_evaluation_queue_analyst_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_evaluation_queue_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["evaluation_samples.id"],
            name=op.f("fk_evaluation_queue_sample_id_evaluation_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_queue")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_evaluation_queue_conversation_id")),
    )
    with op.batch_alter_table("evaluation_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_queue_analyst_user_id"), ["analyst_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_queue_sample_id"), ["sample_id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("scorecard_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("agent_id", sa.String(length=26), nullable=True),
        sa.Column("organisation_id", sa.String(length=26), nullable=True),
        sa.Column("evaluator_user_id", sa.String(length=26), nullable=False),
        sa.Column("calibration_session_id", sa.String(length=26), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("customer_error", sa.Boolean(), nullable=True),
        sa.Column("business_error", sa.Boolean(), nullable=True),
        sa.Column("compliance_error", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_evaluations_agent_id_agents")),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_evaluations_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["calibration_session_id"],
            ["calibration_sessions.id"],
            name=op.f("fk_evaluations_calibration_session_id_calibration_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_evaluations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_user_id"], ["users.id"], name=op.f("fk_evaluations_evaluator_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_evaluations_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"], ["scorecards.id"], name=op.f("fk_evaluations_scorecard_id_scorecards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint(
            "calibration_session_id",
            "conversation_id",
            "evaluator_user_id",
            name="uq_evaluations_calibration_session_id",
        ),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_agent_status", ["agent_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evaluations_calibration_session_id"), ["calibration_session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evaluations_evaluator_user_id"), ["evaluator_user_id"], unique=False)
        batch_op.create_index(
            "ix_evaluations_one_per_conversation",
            ["conversation_id"],
            unique=True,
            sqlite_where=sa.text("calibration_session_id IS NULL"),
            postgresql_where=sa.text("calibration_session_id IS NULL"),
        )
        batch_op.create_index("ix_evaluations_organisation_status", ["organisation_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_scorecard_id"), ["scorecard_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "evaluation_answers",
        sa.Column("evaluation_id", sa.String(length=26), nullable=False),
        sa.Column("criterion_id", sa.String(length=26), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["scorecard_criteria.id"],
            name=op.f("fk_evaluation_answers_criterion_id_scorecard_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_answers_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "criterion_id", name=op.f("pk_evaluation_answers")),
    )
    op.create_table(
        "evaluation_changes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("evaluation_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.String(length=26), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_changes_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_evaluation_changes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_changes")),
    )
    with op.batch_alter_table("evaluation_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_changes_evaluation_id"), ["evaluation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_changes_evaluation_id"))

    op.drop_table("evaluation_changes")
    op.drop_table("evaluation_answers")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_evaluations_scorecard_id"))
        batch_op.drop_index("ix_evaluations_organisation_status")
        batch_op.drop_index(
            "ix_evaluations_one_per_conversation",
            sqlite_where=sa.text("calibration_session_id IS NULL"),
            postgresql_where=sa.text("calibration_session_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_evaluations_evaluator_user_id"))
        batch_op.drop_index(batch_op.f("ix_evaluations_calibration_session_id"))
        batch_op.drop_index(batch_op.f("ix_evaluations_brand_id"))
        batch_op.drop_index("ix_evaluations_agent_status")

    op.drop_table("evaluations")
    with op.batch_alter_table("evaluation_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_queue_sample_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_queue_analyst_user_id"))

    op.drop_table("evaluation_queue")
    with op.batch_alter_table("calibration_conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_conversations_conversation_id"))

    op.drop_table("calibration_conversations")
    with op.batch_alter_table("scorecard_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecard_criteria_scorecard_id"))

    op.drop_table("scorecard_criteria")
    with op.batch_alter_table("calibration_evaluators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_evaluators_user_id"))

    op.drop_table("calibration_evaluators")
    with op.batch_alter_table("scorecard_sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecard_sections_scorecard_id"))

    op.drop_table("scorecard_sections")
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_sessions_brand_id"))

    op.drop_table("calibration_sessions")
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecards_lineage_id"))
        batch_op.drop_index(batch_op.f("ix_scorecards_brand_id"))

    op.drop_table("scorecards")
    with op.batch_alter_table("evaluation_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_samples_brand_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_samples_analyst_user_id"))

    op.drop_table("evaluation_samples")
