"""Keys and ids: looking up stored accounts and posts by their canonical keys, in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select

from echochamber.store.schema import AccountRow, PostRow, PostSourceRow

accounts_t: Table = AccountRow.__table__  # type: ignore[assignment]
posts_t: Table = PostRow.__table__  # type: ignore[assignment]
sources_t: Table = PostSourceRow.__table__  # type: ignore[assignment]

_CHUNK = 5000  # keys per IN (...) lookup (well under SQLite's and PostgreSQL's limits)


def dialect_insert(conn: Connection, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_*`` for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {conn.dialect.name!r}")


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def among(conn: Connection, col: Any, values: Sequence[Any]) -> Any:
    """``col IN (values)``; on PostgreSQL ``col = ANY(:array)``, one parameter however many
    values (an ``IN`` list costs the driver and the compiler time per value)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return col == any_(bindparam(None, list(values), type_=ARRAY(col.type)))
    return col.in_(values)


def week_start(moment: datetime) -> Any:
    """The Monday (a ``date``) of the ISO week holding ``moment`` (UTC)."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def account_ids(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Ids of the accounts with these keys."""
    wanted = sorted(set(keys))
    out: dict[str, int] = {}
    for part in _chunks(wanted):
        rows = conn.execute(
            select(accounts_t.c.key, accounts_t.c.id).where(among(conn, accounts_t.c.key, part))
        )
        out.update({k: i for k, i in rows})
    return out


def post_ids(conn: Connection, uris: Iterable[str]) -> dict[str, int]:
    """Ids of the posts with these URIs."""
    wanted = sorted(set(uris))
    out: dict[str, int] = {}
    for part in _chunks(wanted):
        rows = conn.execute(
            select(posts_t.c.uri, posts_t.c.id).where(among(conn, posts_t.c.uri, part))
        )
        out.update({u: i for u, i in rows})
    return out


def post_ids_after(
    conn: Connection, uris: Iterable[str], before: Mapping[str, int], upsert: Any
) -> dict[str, int]:
    """Ids of the posts with these URIs once ``upsert()`` has stored them, ``before`` being
    those stored already.  On SQLite, where the transaction holds the one write lock and a new
    row's id is past every id before it, the new ones are read by id, not looked up by URI."""
    if conn.dialect.name != "sqlite":
        upsert()
        return post_ids(conn, uris)
    last = conn.scalar(select(func.max(posts_t.c.id))) or 0
    upsert()
    out = dict(before)
    new = conn.execute(select(posts_t.c.uri, posts_t.c.id).where(posts_t.c.id > last))
    out.update({u: i for u, i in new})
    return out


def local_posts(
    conn: Connection, server: str, native_ids: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """``native id -> (uri, author key)`` for posts seen through ``server``."""
    wanted = sorted(set(native_ids))
    out: dict[str, tuple[str, str]] = {}
    for part in _chunks(wanted):
        rows = conn.execute(
            select(sources_t.c.native_id, posts_t.c.uri, accounts_t.c.key)
            .join(posts_t, posts_t.c.id == sources_t.c.post_id)
            .join(accounts_t, accounts_t.c.id == posts_t.c.author_id)
            .where(sources_t.c.server == server, among(conn, sources_t.c.native_id, part))
        )
        out.update({n: (u, k) for n, u, k in rows})
    return out


def local_posts_of(
    engine: Engine, server: str, native_ids: Iterable[str]
) -> Mapping[str, tuple[str, str]]:
    """``native id -> (uri, author key)`` for posts seen through ``server`` (its host)."""
    with engine.connect() as conn:
        return local_posts(conn, server, native_ids)
