"""Index weekly edge counts by account, for per-account and path queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_edge_weeks_actor", "edge_weeks", ["actor_id", "week"])
    op.create_index("ix_edge_weeks_target", "edge_weeks", ["target_id", "week"])


def downgrade() -> None:
    op.drop_index("ix_edge_weeks_target", table_name="edge_weeks")
    op.drop_index("ix_edge_weeks_actor", table_name="edge_weeks")
