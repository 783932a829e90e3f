"""Provenance and home servers: who answered for each observation, counts per answering server.

* ``posts``: ``edited_at`` (an edited post keeps its latest text), ``counts_server`` and
  ``counts_home`` (whose counts the row holds; a home server's counts are not overwritten by
  another server's lesser view);
* ``interactions``: ``server``, ``with_token`` and ``observed_at`` of the first observation;
* ``watch``: ``kind`` (``root``: a tagged post; ``reply``: a post of a watched thread);
* new ``post_observations``: one row per (post, answering server) with the counts it claimed;
* new ``servers``: each fediverse server's software (nodeinfo) and circuit-breaker state.

Columns are added in place (``ALTER TABLE ... ADD COLUMN``): no table is copied, so the foreign
keys that point at ``posts`` and ``accounts`` are untouched on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("edited_at", sa.DateTime(), nullable=True))
    op.add_column("posts", sa.Column("counts_server", sa.String(255), nullable=True))
    op.add_column("posts", sa.Column("counts_home", sa.Boolean(), nullable=True))
    op.add_column("interactions", sa.Column("server", sa.String(255), nullable=True))
    op.add_column("interactions", sa.Column("with_token", sa.Boolean(), nullable=True))
    op.add_column("interactions", sa.Column("observed_at", sa.DateTime(), nullable=True))
    op.add_column("watch", sa.Column("kind", sa.String(16), server_default="root", nullable=False))
    op.create_table(
        "post_observations",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(255), nullable=False),
        sa.Column("home", sa.Boolean(), nullable=False),
        sa.Column("with_token", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("replies_count", sa.Integer(), nullable=True),
        sa.Column("boosts_count", sa.Integer(), nullable=True),
        sa.Column("favourites_count", sa.Integer(), nullable=True),
        sa.Column("quotes_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_post_observations_post_id_posts"
        ),
        sa.PrimaryKeyConstraint("post_id", "server", name="pk_post_observations"),
    )
    op.create_table(
        "servers",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("software", sa.String(64), nullable=True),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("api", sa.Boolean(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("open_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_servers"),
    )


def downgrade() -> None:
    op.drop_table("servers")
    op.drop_table("post_observations")
    op.drop_column("watch", "kind")
    for column in ("observed_at", "with_token", "server"):
        op.drop_column("interactions", column)
    for column in ("counts_home", "counts_server", "edited_at"):
        op.drop_column("posts", column)
