"""Identity resolution: merges, the review queue, trained models, thresholds, consents and retention.

Revision ID: 0009_identity
Revises: 0008_search
Create Date: 2026-12-02 12:41:58.177561
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_identity"
down_revision: str | None = "0008_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "match_thresholds",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("source_l", sa.String(length=40), nullable=False),
        sa.Column("source_r", sa.String(length=40), nullable=False),
        sa.Column("auto_merge", sa.Float(), nullable=False),
        sa.Column("review", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_match_thresholds_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_thresholds")),
        sa.UniqueConstraint("brand_id", "source_l", "source_r", name="uq_match_thresholds_brand_sources"),
    )
    with op.batch_alter_table("match_thresholds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_thresholds_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "resolution_models",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_resolution_models_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_models")),
        sa.UniqueConstraint("brand_id", "version", name="uq_resolution_models_brand_version"),
    )
    with op.batch_alter_table("resolution_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolution_models_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "retention_rules",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_retention_rules_brand_id_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rules")),
        sa.UniqueConstraint("brand_id", "record_type", name="uq_retention_rules_brand_type"),
    )
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_rules_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "customer_consents",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_customer_consents_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_consents_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_consents")),
    )
    with op.batch_alter_table("customer_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_consents_customer_purpose_at", ["customer_id", "purpose", "at"], unique=False
        )

    op.create_table(
        "customer_merges",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("survivor_id", sa.String(length=26), nullable=False),
        sa.Column("merged_id", sa.String(length=26), nullable=False),
        sa.Column("decided_by", sa.String(length=20), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_user_id", sa.String(length=26), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("survivor_before", sa.JSON(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_user_id", sa.String(length=26), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_customer_merges_brand_id_brands")),
        sa.ForeignKeyConstraint(["merged_id"], ["customers.id"], name=op.f("fk_customer_merges_merged_id_customers")),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["customers.id"], name=op.f("fk_customer_merges_survivor_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    with op.batch_alter_table("customer_merges", schema=None) as batch_op:
        batch_op.create_index("ix_customer_merges_brand_at", ["brand_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_merges_merged_id"), ["merged_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_merges_survivor_id"), ["survivor_id"], unique=False)

    op.create_table(
        "match_candidates",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("brand_id", sa.String(length=26), nullable=False),
        sa.Column("customer_id_l", sa.String(length=26), nullable=False),
        sa.Column("customer_id_r", sa.String(length=26), nullable=False),
        sa.Column("source_l", sa.String(length=40), nullable=True),
        sa.Column("source_r", sa.String(length=40), nullable=True),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_match_candidates_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["customer_id_l"], ["customers.id"], name=op.f("fk_match_candidates_customer_id_l_customers")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id_r"], ["customers.id"], name=op.f("fk_match_candidates_customer_id_r_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_candidates")),
        sa.UniqueConstraint("brand_id", "customer_id_l", "customer_id_r", name="uq_match_candidates_brand_pair"),
    )
    with op.batch_alter_table("match_candidates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_match_candidates_brand_status_p", ["brand_id", "status", "match_probability"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_match_candidates_customer_id_l"), ["customer_id_l"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_candidates_customer_id_r"), ["customer_id_r"], unique=False)

    # plain ALTER TABLE, not batch mode: recreating `customers` on SQLite would drop its search triggers
    op.add_column("customers", sa.Column("date_of_birth", sa.Date(), nullable=True))
    op.add_column("customers", sa.Column("merged_into_id", sa.String(length=26), nullable=True))
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_customers_merged_into_id"), "customers", ["merged_into_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_customers_merged_into_id"), table_name="customers")
    op.drop_column("customers", "erased_at")
    op.drop_column("customers", "merged_into_id")
    op.drop_column("customers", "date_of_birth")

    with op.batch_alter_table("match_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_candidates_customer_id_r"))
        batch_op.drop_index(batch_op.f("ix_match_candidates_customer_id_l"))
        batch_op.drop_index("ix_match_candidates_brand_status_p")

    op.drop_table("match_candidates")
    with op.batch_alter_table("customer_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_merges_survivor_id"))
        batch_op.drop_index(batch_op.f("ix_customer_merges_merged_id"))
        batch_op.drop_index("ix_customer_merges_brand_at")

    op.drop_table("customer_merges")
    with op.batch_alter_table("customer_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_consents_customer_purpose_at")

    op.drop_table("customer_consents")
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_rules_brand_id"))

    op.drop_table("retention_rules")
    with op.batch_alter_table("resolution_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_models_brand_id"))

    op.drop_table("resolution_models")
    with op.batch_alter_table("match_thresholds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_thresholds_brand_id"))

    op.drop_table("match_thresholds")
