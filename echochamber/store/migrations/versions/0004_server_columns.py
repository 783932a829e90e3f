"""One word per concept: the columns that held a server's URL or host are named ``server``.

``accounts``, ``post_sources``, ``cursors``, ``collection_runs`` and ``watch`` called it
``instance``; the watch list's X and Bluesky rows now carry the source's server as every
other row does (``twitter`` -> ``api.twitter.com``; ``bsky`` -> the default Bluesky service,
``https://bsky.social``).  Data is kept; the downgrade renames them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("accounts", "post_sources", "cursors", "collection_runs", "watch")
WATCH = {"twitter": "api.twitter.com", "bsky": "https://bsky.social"}


def _rename(old: str, new: str) -> None:
    # RENAME COLUMN in place (SQLite 3.25+, PostgreSQL): a batch copy of the tables would have
    # to drop ``accounts``, which the other tables' foreign keys forbid.
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} RENAME COLUMN "{old}" TO "{new}"')


def upgrade() -> None:
    _rename("instance", "server")
    for before, after in WATCH.items():
        op.execute(
            sa.text("UPDATE watch SET server = :after WHERE server = :before").bindparams(
                after=after, before=before
            )
        )


def downgrade() -> None:
    for before, after in WATCH.items():
        op.execute(
            sa.text("UPDATE watch SET server = :before WHERE server = :after").bindparams(
                after=after, before=before
            )
        )
    _rename("server", "instance")
