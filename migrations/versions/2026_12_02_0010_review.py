"""The review queue: why a pair was decided, and the merge an accepted pair became.

Revision ID: 0010_review
Revises: 0009_identity
Create Date: 2026-12-02 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_review"
down_revision: str | None = "0009_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("match_candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("merge_id", sa.String(length=26), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_candidates", schema=None) as batch_op:
        batch_op.drop_column("merge_id")
        batch_op.drop_column("decision_reason")
