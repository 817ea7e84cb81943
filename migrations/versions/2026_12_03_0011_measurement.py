"""Measurement: survey answers, daily metric rollups, service-level thresholds, a contact's first inbound time.

Revision ID: 0011_measurement
Revises: 0010_review
Create Date: 2026-12-03 14:17:00.084176
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_measurement"
down_revision: str | None = "0010_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_rollup_refresh",
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_metric_rollup_refresh_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("brand_id", name=op.f("pk_metric_rollup_refresh")),
    )
    op.create_table(
        "metric_rollups",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("touchpoint_id", sa.String(length=26), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("organisation_id", sa.String(length=26), nullable=True),
        sa.Column("site_id", sa.String(length=26), nullable=True),
        sa.Column("team_id", sa.String(length=26), nullable=True),
        sa.Column("agent_id", sa.String(length=26), nullable=True),
        sa.Column("seller", sa.String(length=200), nullable=True),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("answered_within", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("abandoned_short", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("wait_seconds_sq", sa.Float(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("handle_seconds", sa.Float(), nullable=False),
        sa.Column("handle_seconds_sq", sa.Float(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("csat_1", sa.Integer(), nullable=False),
        sa.Column("csat_2", sa.Integer(), nullable=False),
        sa.Column("csat_3", sa.Integer(), nullable=False),
        sa.Column("csat_4", sa.Integer(), nullable=False),
        sa.Column("csat_5", sa.Integer(), nullable=False),
        sa.Column("nps_0", sa.Integer(), nullable=False),
        sa.Column("nps_1", sa.Integer(), nullable=False),
        sa.Column("nps_2", sa.Integer(), nullable=False),
        sa.Column("nps_3", sa.Integer(), nullable=False),
        sa.Column("nps_4", sa.Integer(), nullable=False),
        sa.Column("nps_5", sa.Integer(), nullable=False),
        sa.Column("nps_6", sa.Integer(), nullable=False),
        sa.Column("nps_7", sa.Integer(), nullable=False),
        sa.Column("nps_8", sa.Integer(), nullable=False),
        sa.Column("nps_9", sa.Integer(), nullable=False),
        sa.Column("nps_10", sa.Integer(), nullable=False),
        sa.Column("ces_1", sa.Integer(), nullable=False),
        sa.Column("ces_2", sa.Integer(), nullable=False),
        sa.Column("ces_3", sa.Integer(), nullable=False),
        sa.Column("ces_4", sa.Integer(), nullable=False),
        sa.Column("ces_5", sa.Integer(), nullable=False),
        sa.Column("ces_6", sa.Integer(), nullable=False),
        sa.Column("ces_7", sa.Integer(), nullable=False),
        sa.Column("fcr_yes", sa.Integer(), nullable=False),
        sa.Column("fcr_no", sa.Integer(), nullable=False),
        sa.Column("qa_evaluations", sa.Integer(), nullable=False),
        sa.Column("qa_score_sum", sa.Float(), nullable=False),
        sa.Column("qa_customer_checked", sa.Integer(), nullable=False),
        sa.Column("qa_business_checked", sa.Integer(), nullable=False),
        sa.Column("qa_compliance_checked", sa.Integer(), nullable=False),
        sa.Column("qa_customer_error_free", sa.Integer(), nullable=False),
        sa.Column("qa_business_error_free", sa.Integer(), nullable=False),
        sa.Column("qa_compliance_error_free", sa.Integer(), nullable=False),
        sa.Column("staffed_seconds", sa.Float(), nullable=False),
        sa.Column("worked_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_metric_rollups_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_rollups")),
    )
    with op.batch_alter_table("metric_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_metric_rollups_brand_day", ["brand_id", "day"], unique=False)

    op.create_table(
        "service_level_thresholds",
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("opening_hours", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_service_level_thresholds_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("brand_id", "channel", name=op.f("pk_service_level_thresholds")),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("conversation_id", sa.String(length=26), nullable=False),
        sa.Column("question", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_survey_answers_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_survey_answers_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "conversation_id", "question", "source_ref", name="uq_survey_answers_conversation_question_ref"
        ),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_answers_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_answers_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_survey_answers_created_at", ["created_at"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_inbound_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_conversations_brand_first_inbound", ["brand_id", "first_inbound_at"], unique=False)

    op.execute(
        "UPDATE conversations SET first_inbound_at = (SELECT min(i.occurred_at) FROM interactions i"
        " WHERE i.conversation_id = conversations.id AND i.direction = 'inbound')"
    )


def downgrade() -> None:
    # not in batch mode: on SQLite that recreates the table and drops the search triggers of 0008
    op.drop_index("ix_conversations_brand_first_inbound", table_name="conversations")
    op.drop_column("conversations", "first_inbound_at")

    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers_created_at")
        batch_op.drop_index(batch_op.f("ix_survey_answers_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_survey_answers_brand_id"))

    op.drop_table("survey_answers")
    op.drop_table("service_level_thresholds")
    with op.batch_alter_table("metric_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_rollups_brand_day")

    op.drop_table("metric_rollups")
    op.drop_table("metric_rollup_refresh")
