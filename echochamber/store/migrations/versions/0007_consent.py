"""Consent: the forget registry and the store's own salt for it.

``consent_registry`` keeps one row per salted hash of a forgotten (or opted-out) account's
key or handle, never the key or handle itself, so a later collection does not bring the
account back.  ``store_meta`` holds small named values (the registry's salt when
``ECHOCHAMBER_CONSENT_SALT`` is unset).  ``posts.text_pruned_at`` says when retention cut a
text to its opening @mentions.  New tables and ``ALTER TABLE ... ADD COLUMN``: nothing is
copied on SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("text_pruned_at", sa.DateTime(), nullable=True))
    op.create_table(
        "consent_registry",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_consent_registry")),
    )
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_meta")),
    )


def downgrade() -> None:
    op.drop_table("store_meta")
    op.drop_table("consent_registry")
    op.drop_column("posts", "text_pruned_at")
