"""The scheduler's job table, created by ``init`` rather than by each daemon at start.

Several daemons starting at once on a fresh PostgreSQL database would otherwise race to create
it (concurrent CREATE TABLE fails on PostgreSQL's catalog unique index).  The definition is
APScheduler 3's ``SQLAlchemyJobStore`` table, which then finds it and leaves it alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("apscheduler_jobs")
