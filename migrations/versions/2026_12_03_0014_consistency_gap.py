"""The consistency gap: margins per metric, alerts when a partner falls behind, QA score squares and the customer group in rollups.

Revision ID: 0014_consistency_gap
Revises: 0013_scorecards
Create Date: 2026-12-03 14:33:04.357401
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_consistency_gap"
down_revision: str | None = "0013_scorecards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consistency_gap_alerts",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("organisation_id", sa.String(length=26), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("difference", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_consistency_gap_alerts_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_consistency_gap_alerts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consistency_gap_alerts")),
    )
    with op.batch_alter_table("consistency_gap_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consistency_gap_alerts_open", ["brand_id", "organisation_id", "metric", "closed_at"], unique=False
        )

    op.create_table(
        "consistency_gap_margins",
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_consistency_gap_margins_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("brand_id", "metric", name=op.f("pk_consistency_gap_margins")),
    )
    with op.batch_alter_table("metric_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qa_score_sq", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("customer_group_id", sa.String(length=26), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("metric_rollups", schema=None) as batch_op:
        batch_op.drop_column("customer_group_id")
        batch_op.drop_column("qa_score_sq")

    op.drop_table("consistency_gap_margins")
    with op.batch_alter_table("consistency_gap_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_consistency_gap_alerts_open")

    op.drop_table("consistency_gap_alerts")
