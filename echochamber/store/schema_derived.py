"""Tables derived from the stored rows: aggregates kept at ingest and a snapshot's per-account
rows (on the one ``metadata`` of :mod:`echochamber.store.schema`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from echochamber.store.schema import UTCDateTime, _Table, metadata

AccountWeekRow = _Table(
    Table(
        "account_weeks",
        metadata,
        Column("week", Date, primary_key=True),
        Column("account_id", Integer, primary_key=True),
        Column("platform", String(16), primary_key=True),
        Column("posts", Integer, default=0, nullable=False),
        Column("acts", Integer, default=0, nullable=False),
        Column("first_at", UTCDateTime, nullable=True),
        Column("first_root_at", UTCDateTime, nullable=True),
        Column("last_root_at", UTCDateTime, nullable=True),
        Index("ix_account_weeks_account", "account_id", "week"),
        Index("ix_account_weeks_first_root", "first_root_at"),
        Index("ix_account_weeks_last_root", "last_root_at"),
    )
)
"""Per account and ISO week (Monday, UTC): tagged posts written, acts made (no mentions) and
when it was first seen that week, kept at ingest (``store.accountweeks``)."""


SnapshotAccountRow = _Table(
    Table(
        "snapshot_accounts",
        metadata,
        Column("snapshot_id", Integer, ForeignKey("snapshots.id"), primary_key=True),
        Column("account_id", Integer, primary_key=True),
        Column("handle", String(320), nullable=True),
        Column("key", String(512), nullable=True),
        Column("is_core", Boolean, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("hop", Integer, nullable=True),
        Column("posts", Integer, nullable=False),
        Column("followers", BigInteger, nullable=False),
        Column("out_core", Float, nullable=False),
        Column("out_outside", Float, nullable=False),
        Column("in_core", Float, nullable=False),
        Column("in_outside", Float, nullable=False),
    )
)
"""A snapshot's per-account rows (``WeekDetails.nodes``), one per (snapshot, account), so a
query reads the accounts it prints, not the whole week."""
