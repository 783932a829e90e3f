"""Tables of the store (SQLAlchemy 2 typed ORM); migrations live in ``store/migrations``.

Accounts and posts get integer ids so that the graph aggregation groups integers; their
canonical keys (account key, post URI) are unique.  ``edge_weeks`` is kept up to date at ingest
(one row per ISO week, actor, target and kind) so building a week's graph reads one week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AccountRow(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(512), unique=True)
    handle: Mapped[str | None] = mapped_column(String(320), index=True)
    display_name: Mapped[str | None] = mapped_column(String(512))
    instance: Mapped[str | None] = mapped_column(String(255))
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    bot: Mapped[bool] = mapped_column(Boolean, default=False)
    noindex: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class PostRow(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    uri: Mapped[str] = mapped_column(String(1024), unique=True)
    native_id: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(1024))
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(1024), index=True)
    in_reply_to_native: Mapped[str | None] = mapped_column(String(128))
    in_reply_to_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    root_uri: Mapped[str | None] = mapped_column(String(1024))
    boost_of_uri: Mapped[str | None] = mapped_column(String(1024))
    quote_of_uri: Mapped[str | None] = mapped_column(String(1024), index=True)
    replies_count: Mapped[int | None] = mapped_column(Integer)
    boosts_count: Mapped[int | None] = mapped_column(Integer)
    favourites_count: Mapped[int | None] = mapped_column(Integer)
    quotes_count: Mapped[int | None] = mapped_column(Integer)
    tagged: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(255))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_posts_source_parent", "source", "in_reply_to_native"),)


class PostTagRow(Base):
    __tablename__ = "post_tags"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class PostSourceRow(Base):
    """Where a post was seen: its local id on each server that served it."""

    __tablename__ = "post_sources"
    instance: Mapped[str] = mapped_column(String(255), primary_key=True)
    native_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)


class InteractionRow(Base):
    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subject_uri: Mapped[str] = mapped_column(String(1024))
    target_uri: Mapped[str | None] = mapped_column(String(1024))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    via_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint(
            "kind", "actor_id", "target_id", "subject_uri", name="uq_interactions_tie"
        ),
    )


class EdgeWeekRow(Base):
    """Interaction counts per ISO week (Monday), actor, target and kind, kept at ingest."""

    __tablename__ = "edge_weeks"
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    actor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer, default=0)
    n_via_reply: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        Index("ix_edge_weeks_actor", "actor_id", "week"),
        Index("ix_edge_weeks_target", "target_id", "week"),
    )


class RawPayloadRow(Base):
    __tablename__ = "raw_payloads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(2048))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    encoding: Mapped[str] = mapped_column(String(16), default="zlib")
    body: Mapped[bytes] = mapped_column(LargeBinary)


class CursorRow(Base):
    __tablename__ = "cursors"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    instance: Mapped[str] = mapped_column(String(255), primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True)
    newest_id: Mapped[str | None] = mapped_column(String(128))
    backfill_max_id: Mapped[str | None] = mapped_column(String(128))
    backfill_done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CollectionRunRow(Base):
    __tablename__ = "collection_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    instance: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    posts_new: Mapped[int] = mapped_column(Integer, default=0)
    posts_seen: Mapped[int] = mapped_column(Integer, default=0)
    interactions_new: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")
    message: Mapped[str | None] = mapped_column(Text)


class WatchRow(Base):
    """A tagged post whose conversation is revisited while it settles."""

    __tablename__ = "watch"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    instance: Mapped[str] = mapped_column(String(255))
    native_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_check: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_checked: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    policy: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    metrics: Mapped[str] = mapped_column(Text)
    roster: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint(
            "scope", "window_start", "window_end", "policy", name="uq_snapshots_window"
        ),
    )


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[str] = mapped_column(String(2048))
    message_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("week", "recipients", name="uq_deliveries_week"),)


class JobRunRow(Base):
    """The last outcome of each daemon job, for ``status``."""

    __tablename__ = "job_runs"
    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="never")
    message: Mapped[str | None] = mapped_column(Text)
    duration: Mapped[float | None] = mapped_column(Float)
