"""Tables of the store (SQLAlchemy Core); migrations live in ``store/migrations``.

Accounts and posts get integer ids so that the graph aggregation groups integers; their
canonical keys (account key, post URI) are unique.  ``edge_weeks`` is kept up to date at ingest
(one row per ISO week, actor, target and kind) so building a week's graph reads one week.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

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


class _Table:
    """A table whose columns read as attributes (``PostRow.uri``), as ORM classes do.

    The store is written in SQLAlchemy Core; this keeps statements short without importing
    the ORM, which would double the start-up time of every command.
    """

    def __init__(self, table: Table) -> None:
        self.__table__ = table

    def __clause_element__(self) -> Table:
        """Lets ``select(JobRunRow)``, ``update(DeliveryRow)`` and the like take the table."""
        return self.__table__

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__table__.c[name]
        except KeyError:
            raise AttributeError(f"table {self.__table__.name} has no column {name!r}") from None


metadata: MetaData = MetaData(naming_convention=NAMING)


AccountRow = _Table(
    Table(
        "accounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("platform", String(16), nullable=False),
        Column("key", String(512), unique=True, nullable=False),
        Column("handle", String(320), index=True, nullable=True),
        Column("display_name", String(512), nullable=True),
        Column("server", String(255), nullable=True),
        Column("followers", BigInteger, nullable=True),
        Column("following", BigInteger, nullable=True),
        Column("bot", Boolean, default=False, nullable=False),
        Column("noindex", Boolean, default=False, nullable=False),
        Column("discoverable", Boolean, nullable=True),
        Column("created_at", UTCDateTime, nullable=True),
        Column("first_seen", UTCDateTime, nullable=False),
        Column("last_seen", UTCDateTime, nullable=False),
    )
)


PostRow = _Table(
    Table(
        "posts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("platform", String(16), nullable=False),
        Column("uri", String(1024), unique=True, nullable=False),
        Column("native_id", String(128), nullable=False),
        Column("author_id", Integer, ForeignKey("accounts.id"), index=True, nullable=False),
        Column("created_at", UTCDateTime, index=True, nullable=False),
        Column("text", Text, default="", nullable=False),
        Column("language", String(16), nullable=True),
        Column("url", String(1024), nullable=True),
        Column("in_reply_to_uri", String(1024), index=True, nullable=True),
        Column("in_reply_to_native", String(128), nullable=True),
        Column("in_reply_to_account_id", Integer, ForeignKey("accounts.id"), nullable=True),
        Column("root_uri", String(1024), nullable=True),
        Column("boost_of_uri", String(1024), nullable=True),
        Column("quote_of_uri", String(1024), index=True, nullable=True),
        Column("replies_count", Integer, nullable=True),
        Column("boosts_count", Integer, nullable=True),
        Column("favourites_count", Integer, nullable=True),
        Column("quotes_count", Integer, nullable=True),
        Column("tagged", Boolean, default=False, nullable=False),
        Column("source", String(255), nullable=True),
        Column("collected_at", UTCDateTime, nullable=False),
        Column("deleted_at", UTCDateTime, nullable=True),
        Column("edited_at", UTCDateTime, nullable=True),
        Column("counts_server", String(255), nullable=True),
        Column("counts_home", Boolean, nullable=True),
        Column("text_pruned_at", UTCDateTime, nullable=True),  # retention kept only @names
        Index("ix_posts_source_parent", "source", "in_reply_to_native"),
    )
)


PostTagRow = _Table(
    Table(
        "post_tags",
        metadata,
        Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
        Column("tag", String(255), primary_key=True, index=True),
    )
)


PostSourceRow = _Table(
    Table(
        "post_sources",
        metadata,
        Column("server", String(255), primary_key=True),
        Column("native_id", String(128), primary_key=True),
        Column("post_id", Integer, ForeignKey("posts.id"), index=True, nullable=False),
    )
)
"""Where a post was seen: its local id on each server that served it."""


InteractionRow = _Table(
    Table(
        "interactions",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("platform", String(16), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("actor_id", Integer, ForeignKey("accounts.id"), index=True, nullable=False),
        Column("target_id", Integer, ForeignKey("accounts.id"), index=True, nullable=False),
        Column("subject_uri", String(1024), nullable=False),
        Column("target_uri", String(1024), nullable=True),
        Column("at", UTCDateTime, index=True, nullable=False),
        Column("via_reply", Boolean, default=False, nullable=False),
        Column("server", String(255), nullable=True),
        Column("with_token", Boolean, nullable=True),
        Column("observed_at", UTCDateTime, nullable=True),
        UniqueConstraint(
            "kind", "actor_id", "target_id", "subject_uri", name="uq_interactions_tie"
        ),
    )
)


EdgeWeekRow = _Table(
    Table(
        "edge_weeks",
        metadata,
        Column("week", Date, primary_key=True),
        Column("actor_id", Integer, primary_key=True),
        Column("target_id", Integer, primary_key=True),
        Column("kind", String(16), primary_key=True),
        Column("platform", String(16), nullable=False),
        Column("n", Integer, default=0, nullable=False),
        Column("n_via_reply", Integer, default=0, nullable=False),
        Index("ix_edge_weeks_actor", "actor_id", "week"),
        Index("ix_edge_weeks_target", "target_id", "week"),
    )
)
"""Interaction counts per ISO week (Monday), actor, target and kind, kept at ingest."""


RawPayloadRow = _Table(
    Table(
        "raw_payloads",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("platform", String(16), nullable=False),
        Column("source", String(255), nullable=False),
        Column("endpoint", String(2048), nullable=False),
        Column("fetched_at", UTCDateTime, index=True, nullable=False),
        Column("encoding", String(16), default="zlib", nullable=False),
        Column("body", LargeBinary, nullable=False),
    )
)


CursorRow = _Table(
    Table(
        "cursors",
        metadata,
        Column("platform", String(16), primary_key=True),
        Column("server", String(255), primary_key=True),
        Column("tag", String(255), primary_key=True),
        Column("newest_id", String(128), nullable=True),
        Column("backfill_max_id", String(128), nullable=True),
        Column("backfill_done", Boolean, default=False, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )
)


CollectionRunRow = _Table(
    Table(
        "collection_runs",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("platform", String(16), nullable=False),
        Column("server", String(255), nullable=False),
        Column("tag", String(255), nullable=False),
        Column("started_at", UTCDateTime, index=True, nullable=False),
        Column("finished_at", UTCDateTime, nullable=True),
        Column("requests", Integer, default=0, nullable=False),
        Column("posts_new", Integer, default=0, nullable=False),
        Column("posts_seen", Integer, default=0, nullable=False),
        Column("interactions_new", Integer, default=0, nullable=False),
        Column("errors", Integer, default=0, nullable=False),
        Column("status", String(16), default="running", nullable=False),
        Column("message", Text, nullable=True),
    )
)


WatchRow = _Table(
    Table(
        "watch",
        metadata,
        Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
        Column("server", String(255), nullable=False),
        Column("native_id", String(128), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("next_check", UTCDateTime, index=True, nullable=False),
        Column("checks", Integer, default=0, nullable=False),
        Column("settled", Boolean, default=False, nullable=False),
        Column("last_checked", UTCDateTime, nullable=True),
        Column("kind", String(16), default="root", server_default="root", nullable=False),
    )
)
"""A post whose conversation is revisited while it settles: a tagged post (``kind`` root:
its context, boosts and favourites) or a post of its thread (reply: boosts and favourites)."""


SnapshotRow = _Table(
    Table(
        "snapshots",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("scope", String(16), nullable=False),
        Column("window_start", UTCDateTime, nullable=False),
        Column("window_end", UTCDateTime, nullable=False),
        Column("policy", String(32), nullable=False),
        Column("computed_at", UTCDateTime, nullable=False),
        Column("metrics", Text, nullable=False),
        Column("roster", Text, nullable=False),
        Column("details", Text, nullable=True),
        Column("final", Boolean, default=False, nullable=False),
        UniqueConstraint(
            "scope", "window_start", "window_end", "policy", name="uq_snapshots_window"
        ),
        Column("edition", Integer, default=1, server_default="1", nullable=False),
        Column("inputs", Text, nullable=True),
        Column("zone", String(64), nullable=True),
    )
)
"""A window's measurement.  ``edition`` is the edition of the metrics that computed it (rows
of the first edition read 1); ``inputs`` (JSON) what it was computed from, so a changed store
or configuration shows as stale; ``zone`` the time zone whose weeks it measures (NULL: UTC)."""


DeliveryRow = _Table(
    Table(
        "deliveries",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("week", String(16), nullable=False),
        Column("recipients", String(2048), nullable=False),
        Column("message_id", String(255), nullable=True),
        Column("status", String(16), default="pending", nullable=False),
        Column("attempts", Integer, default=0, nullable=False),
        Column("error", Text, nullable=True),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("updated_at", UTCDateTime, nullable=False),
        UniqueConstraint("week", "recipients", name="uq_deliveries_week"),
    )
)


JobRunRow = _Table(
    Table(
        "job_runs",
        metadata,
        Column("job", String(64), primary_key=True),
        Column("started_at", UTCDateTime, nullable=True),
        Column("finished_at", UTCDateTime, nullable=True),
        Column("status", String(16), default="never", nullable=False),
        Column("message", Text, nullable=True),
        Column("duration", Float, nullable=True),
    )
)
"""The last outcome of each daemon job, for ``status``."""


PostObservationRow = _Table(
    Table(
        "post_observations",
        metadata,
        Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
        Column("server", String(255), primary_key=True),
        Column("home", Boolean, default=False, nullable=False),
        Column("with_token", Boolean, default=False, nullable=False),
        Column("first_seen", UTCDateTime, nullable=False),
        Column("last_seen", UTCDateTime, nullable=False),
        Column("replies_count", Integer, nullable=True),
        Column("boosts_count", Integer, nullable=True),
        Column("favourites_count", Integer, nullable=True),
        Column("quotes_count", Integer, nullable=True),
    )
)
"""Who answered for a post, with or without a token, when, and the counts it claimed then."""


ServerRow = _Table(
    Table(
        "servers",
        metadata,
        Column("host", String(255), primary_key=True),
        Column("software", String(64), nullable=True),
        Column("version", String(64), nullable=True),
        Column("api", Boolean, nullable=True),
        Column("checked_at", UTCDateTime, nullable=True),
        Column("failures", Integer, default=0, nullable=False),
        Column("open_until", UTCDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("last_failure_at", UTCDateTime, nullable=True),
        Column("last_ok_at", UTCDateTime, nullable=True),
        Column("requests", Integer, default=0, nullable=False),
    )
)
"""Fediverse servers asked for posts: software (nodeinfo) and circuit-breaker state."""


# The consent registry and the store's named values, and the tables derived from the rows
# above (kept aggregates, a snapshot's rows): their own modules, on this ``metadata``.
from echochamber.store.schema_consent import ConsentRow, MetaRow  # noqa: E402, F401
from echochamber.store.schema_derived import (  # noqa: E402, F401
    AccountWeekRow,
    SnapshotAccountRow,
)
