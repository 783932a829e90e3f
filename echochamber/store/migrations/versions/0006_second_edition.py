"""Second edition of the metrics: snapshots know their edition, inputs and time zone.

Existing snapshots were computed by the first edition: they get ``edition = 1``, so
``metrics compute --missing`` recomputes them.  Plain ``ALTER TABLE ... ADD COLUMN`` on both
dialects (no batch copy: other tables' foreign keys forbid dropping referenced tables on
SQLite, and ``snapshots`` needs none).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("edition", sa.Integer(), server_default="1", nullable=False),
    sa.Column("inputs", sa.Text(), nullable=True),
    sa.Column("zone", sa.String(length=64), nullable=True),
)


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("snapshots", column)


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column("snapshots", column.name)
