"""Per-account weekly activity kept at ingest (``account_weeks``); a snapshot's per-account
rows as rows (``snapshot_accounts``).

The roster's ranking and ``new_voices`` read a few rows per account instead of aggregating
``posts`` and ``edge_weeks`` over trailing weeks and all history on every snapshot.  The
table is filled from the stored rows here (``store.accountweeks.rebuild_account_weeks``) and
kept by every ingest batch afterwards.  ``snapshot_accounts`` holds the per-account details
of snapshots saved from now on, indexed by (snapshot, account), so ``graph core|account``
read the rows they print; older snapshots keep theirs in the ``details`` JSON, still read.
New tables only: no batch copy on SQLite.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_weeks",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("acts", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=True),
        sa.Column("first_root_at", sa.DateTime(), nullable=True),
        sa.Column("last_root_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("week", "account_id", "platform", name="pk_account_weeks"),
    )
    op.create_index("ix_account_weeks_account", "account_weeks", ["account_id", "week"])
    op.create_index("ix_account_weeks_first_root", "account_weeks", ["first_root_at"])
    op.create_index("ix_account_weeks_last_root", "account_weeks", ["last_root_at"])
    op.create_table(
        "snapshot_accounts",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=320), nullable=True),
        sa.Column("key", sa.String(length=512), nullable=True),
        sa.Column("is_core", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("hop", sa.Integer(), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.Column("out_core", sa.Float(), nullable=False),
        sa.Column("out_outside", sa.Float(), nullable=False),
        sa.Column("in_core", sa.Float(), nullable=False),
        sa.Column("in_outside", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name="fk_snapshot_accounts_snapshot_id_snapshots"
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "account_id", name="pk_snapshot_accounts"),
    )
    from echochamber.store.accountweeks import rebuild_account_weeks

    rebuild_account_weeks(op.get_bind())


def downgrade() -> None:
    op.drop_table("snapshot_accounts")
    op.drop_index("ix_account_weeks_last_root", table_name="account_weeks")
    op.drop_index("ix_account_weeks_first_root", table_name="account_weeks")
    op.drop_index("ix_account_weeks_account", table_name="account_weeks")
    op.drop_table("account_weeks")
