"""Idempotent batch writes: accounts, posts, tags, local ids, interactions, weekly edge counts.

Everything goes through SQLAlchemy Core ``INSERT ... ON CONFLICT`` in the dialect's own syntax,
a statement per table per batch (no per-row round trips).  Re-storing the same batch changes
nothing; a later observation fills what an earlier one could not know (a resolved parent, newer
counts), and never erases what was known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    case,
    false,
    func,
    or_,
    true,
)
from sqlalchemy import exc as sa_exc

from echochamber.models import Account, Batch, Interaction, Post, StoredPage
from echochamber.store import bulk
from echochamber.store.accountweeks import refresh_for_batch
from echochamber.store.keys import (
    account_ids,
    dialect_insert,
    post_ids,
    post_ids_after,
)
from echochamber.store.observations import is_home, record_observations
from echochamber.store.schema import (
    AccountRow,
    EdgeWeekRow,
    InteractionRow,
    PostRow,
    PostSourceRow,
    PostTagRow,
)
from echochamber.store.ties import add_edge_weeks, insert_ties, resolve_parents

accounts_t: Table = AccountRow.__table__  # type: ignore[assignment]
posts_t: Table = PostRow.__table__  # type: ignore[assignment]
tags_t: Table = PostTagRow.__table__  # type: ignore[assignment]
sources_t: Table = PostSourceRow.__table__  # type: ignore[assignment]
ties_t: Table = InteractionRow.__table__  # type: ignore[assignment]
edges_t: Table = EdgeWeekRow.__table__  # type: ignore[assignment]


def _account_rows(batch: Batch, now: datetime) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    known: dict[str, Account] = {a.key: a for a in batch.accounts}
    referenced = {p.author for p in batch.posts} | {k for p in batch.posts for k in p.mentions}
    referenced |= {t.actor for t in batch.interactions} | {t.target for t in batch.interactions}
    referenced |= {p.in_reply_to_account for p in batch.posts if p.in_reply_to_account}
    for key in referenced | set(known):
        a = known.get(key) or Account(platform=_platform_of(key, batch), key=key)
        rows[key] = {
            "platform": a.platform,
            "key": a.key,
            "handle": a.handle,
            "display_name": a.display_name,
            "server": a.server,
            "followers": a.followers,
            "following": a.following,
            "bot": a.bot,
            "noindex": a.noindex,
            "discoverable": a.discoverable,
            "created_at": a.created_at,
            "first_seen": now,
            "last_seen": now,
        }
    return list(rows.values())


def _platform_of(key: str, batch: Batch) -> Any:
    if key.startswith("did:"):
        return "bluesky"
    if key.startswith("twitter:"):
        return "twitter"
    for p in batch.posts:
        return p.platform
    for t in batch.interactions:
        return t.platform
    return "mastodon"


def _upsert_accounts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    rows.sort(key=lambda r: r["key"])  # a stable lock order for concurrent writers
    bulk.executemany(conn, "accounts.upsert", lambda: _accounts_upsert(conn), rows)


def _accounts_upsert(conn: Connection) -> Any:
    ins = dialect_insert(conn, accounts_t)
    ex = ins.excluded
    t = accounts_t.c
    return ins.on_conflict_do_update(
        index_elements=[t.key],
        set_={
            "handle": func.coalesce(ex.handle, t.handle),
            "display_name": func.coalesce(ex.display_name, t.display_name),
            "server": func.coalesce(ex.server, t.server),
            "followers": func.coalesce(ex.followers, t.followers),
            "following": func.coalesce(ex.following, t.following),
            "bot": ex.bot | t.bot,
            "noindex": ex.noindex | t.noindex,
            "discoverable": func.coalesce(ex.discoverable, t.discoverable),
            "created_at": func.coalesce(ex.created_at, t.created_at),
            "last_seen": ex.last_seen,
        },
    )


def _post_rows(
    posts: Sequence[Post], ids: Mapping[str, int], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for p in posts:
        home = is_home(p)
        rows.append(
            {
                "platform": p.platform,
                "uri": p.uri,
                "native_id": p.native_id,
                "author_id": ids[p.author],
                "created_at": p.created_at,
                "text": p.text,
                "language": p.language,
                "url": p.url,
                "in_reply_to_uri": p.in_reply_to,
                "in_reply_to_native": p.in_reply_to_native,
                "in_reply_to_account_id": ids.get(p.in_reply_to_account or ""),
                "root_uri": p.conversation_root,
                "boost_of_uri": p.boost_of,
                "quote_of_uri": p.quote_of,
                "replies_count": p.replies_count,
                "boosts_count": p.boosts_count,
                "favourites_count": p.favourites_count,
                "quotes_count": p.quotes_count,
                "tagged": p.tagged,
                "source": p.source,
                "collected_at": now,
                "deleted_at": None,
                "edited_at": p.edited_at,
                "counts_server": p.source if home is not None else None,
                "counts_home": home,
            }
        )
    return rows


def _upsert_posts(conn: Connection, rows: list[dict[str, Any]], stored: Mapping[str, int]) -> None:
    """Upsert post rows; ``stored`` are the URIs already in the store.

    On SQLite this runs after the batch's first write, so the transaction holds the one write
    lock and no post missing from ``stored`` can appear before it is inserted: new posts go in
    by plain ``INSERT``, which spares SQLite the child-table scans its foreign keys make for
    every upsert into a parent table (half the cost of the write).  PostgreSQL has concurrent
    writers, so every row is upserted there.
    """
    rows.sort(key=lambda r: r["uri"])
    if conn.dialect.name == "sqlite":
        fresh = [r for r in rows if r["uri"] not in stored]
        rows = [r for r in rows if r["uri"] in stored]
        bulk.executemany(conn, "posts.insert", posts_t.insert, fresh)
    bulk.executemany(conn, "posts.upsert", lambda: _posts_upsert(conn), rows)


def _posts_upsert(conn: Connection) -> Any:
    ins = dialect_insert(conn, posts_t)
    ex = ins.excluded
    t = posts_t.c
    # the latest edit wins: a view without an edit time never replaces an edited text
    newer = or_(t.edited_at.is_(None), and_(ex.edited_at.is_not(None), ex.edited_at >= t.edited_at))
    # a home server's counts are kept until the home server answers again
    counts = or_(ex.counts_home == true(), func.coalesce(t.counts_home, false()) == false())

    def kept(column: str, *, prefer_new: bool = True) -> Any:
        new, old = getattr(ex, column), getattr(t, column)
        return case((counts, func.coalesce(new, old) if prefer_new else new), else_=old)

    return ins.on_conflict_do_update(
        index_elements=[t.uri],
        set_={
            "text": case(
                (and_(t.deleted_at.is_(None), ex.text != "", newer), ex.text), else_=t.text
            ),
            "edited_at": case((newer, func.coalesce(ex.edited_at, t.edited_at)), else_=t.edited_at),
            "in_reply_to_uri": func.coalesce(t.in_reply_to_uri, ex.in_reply_to_uri),
            "in_reply_to_account_id": func.coalesce(
                t.in_reply_to_account_id, ex.in_reply_to_account_id
            ),
            "root_uri": func.coalesce(t.root_uri, ex.root_uri),
            "quote_of_uri": func.coalesce(t.quote_of_uri, ex.quote_of_uri),
            "replies_count": kept("replies_count"),
            "boosts_count": kept("boosts_count"),
            "favourites_count": kept("favourites_count"),
            "quotes_count": kept("quotes_count"),
            "counts_server": kept("counts_server"),
            "counts_home": kept("counts_home"),
            "tagged": t.tagged | ex.tagged,
        },
    )


def _insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    bulk.executemany(
        conn,
        f"{table.name}.insert_ignore",
        lambda: dialect_insert(conn, table).on_conflict_do_nothing(),
        rows,
    )


REFUSALS = (sa_exc.DataError, sa_exc.IntegrityError, UnicodeError, OverflowError, ValueError)
"""What the database (or its driver) raises for a record it cannot hold."""

Record = Account | Post | Interaction
OnRefused = Callable[[Record, str], None]


def refused(exc: BaseException) -> bool:
    """Is ``exc`` a refusal of the record (rather than a failing database)?  The database's
    data and integrity errors, and a value the driver cannot convert (a time beyond the
    calendar in UTC, say: raised as it is on SQLite, wrapped on PostgreSQL); not a lost
    connection, a lock timeout or any other operational error."""
    if isinstance(exc, sa_exc.DataError | sa_exc.IntegrityError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return False
    if isinstance(exc, sa_exc.StatementError):
        return isinstance(exc.orig, UnicodeError | OverflowError | ValueError)
    return isinstance(exc, REFUSALS)


def refusal(exc: BaseException) -> str:
    """The database's reason in one line, without the statement or its parameters."""
    from echochamber.text import one_line

    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return one_line(text[0] if text else type(exc).__name__, 200)


def _savepoint(conn: Connection) -> Any:
    """A SAVEPOINT inside the caller's transaction.  pysqlite opens its transaction only at
    the first write, so on SQLite the transaction is begun first: otherwise the savepoint
    would be the transaction, and releasing it would commit the caller's work early."""
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection
        if not raw.in_transaction:
            conn.exec_driver_sql("BEGIN")
    return conn.begin_nested()


def _name(record: Record) -> str:
    """A refused record's name in a run's report: a post's URI, an account's key, a tie."""
    if isinstance(record, Post):
        return record.uri
    if isinstance(record, Account):
        return record.key
    return f"{record.kind} {record.actor} -> {record.subject}"


def store_batch(
    conn: Connection,
    batch: Batch,
    *,
    now: datetime,
    server: str | None = None,
    token: bool | None = None,
    on_refused: OnRefused | None = None,
) -> StoredPage:
    """Store a batch inside the caller's transaction; returns what was new.

    ``server`` is the host that answered (recorded on new ties), ``token`` whether it was
    asked with one.  A record the database refuses does not spoil the batch: the batch is
    stored again record by record, each in a savepoint, and the refused ones are named in
    :attr:`StoredPage.refused` (``post URI: reason``) while the rest is stored; each is also
    handed to ``on_refused`` with its reason (an import names its file and line).
    """
    try:
        with _savepoint(conn):
            return _store(conn, batch, now, server, token)
    except (sa_exc.StatementError, *REFUSALS) as exc:
        if not refused(exc):
            raise
        first = refusal(exc)
    total = StoredPage()
    names: list[str] = []
    accounts = {a.key: a for a in batch.accounts}

    def unit(record: Record, part: Batch) -> None:
        nonlocal total
        try:
            with _savepoint(conn):
                total = total + _store(conn, part, now, server, token)
        except (sa_exc.StatementError, *REFUSALS) as exc:
            if not refused(exc):
                raise
            reason = refusal(exc)
            names.append(f"{_name(record)}: {reason}")
            if on_refused is not None:
                on_refused(record, reason)

    for a in batch.accounts:
        unit(a, Batch(accounts=(a,)))
    for p in batch.posts:
        keys = {p.author, *p.mentions, p.in_reply_to_account or p.author}
        unit(p, Batch(tuple(accounts[k] for k in keys if k in accounts), (p,)))
    for t in batch.interactions:
        keys = {t.actor, t.target}
        unit(t, Batch(tuple(accounts[k] for k in keys if k in accounts), (), (t,)))
    if not names:  # the batch failed as a whole but every record went in alone
        names.append(f"batch stored record by record after: {first}")
    return StoredPage(total.posts_new, total.posts_seen, total.interactions_new, tuple(names))


def _store(
    conn: Connection, batch: Batch, now: datetime, server: str | None, token: bool | None
) -> StoredPage:
    posts = list({p.uri: p for p in batch.posts}.values())
    _upsert_accounts(conn, _account_rows(batch, now))  # the first write: every author
    keys = {a.key for a in batch.accounts} | {p.author for p in posts}
    keys |= {p.in_reply_to_account for p in posts if p.in_reply_to_account}
    keys |= {t.actor for t in batch.interactions} | {t.target for t in batch.interactions}
    ids = account_ids(conn, keys)
    before = post_ids(conn, (p.uri for p in posts))
    rows = _post_rows(posts, ids, now)
    pids = post_ids_after(
        conn, [p.uri for p in posts], before, lambda: _upsert_posts(conn, rows, before)
    )
    _insert_ignore(
        conn,
        tags_t,
        sorted(
            ({"post_id": pids[p.uri], "tag": tag} for p in posts for tag in p.hashtags),
            key=lambda r: (r["post_id"], r["tag"]),
        ),
    )
    _insert_ignore(
        conn,
        sources_t,
        sorted(
            (
                {"server": p.source, "native_id": p.native_id, "post_id": pids[p.uri]}
                for p in posts
                if p.source and p.platform == "mastodon"
            ),
            key=lambda r: (r["server"], r["native_id"]),
        ),
    )
    record_observations(conn, posts, pids, now, token)
    ties = list(batch.interactions) + resolve_parents(conn, posts, ids)
    new_ties = insert_ties(conn, ties, ids, (server, token, now))
    _after_written(conn, new_ties, posts, ties, ids)
    return StoredPage(
        posts_new=len(posts) - len(before), posts_seen=len(before), interactions_new=len(new_ties)
    )


def _after_written(
    conn: Connection,
    new_ties: list[tuple[Any, ...]],
    posts: Sequence[Post],
    ties: Sequence[Interaction],
    ids: dict[str, int],
) -> None:
    """After the batch is written, in its transaction: the aggregates kept at ingest, from
    what was new in it (the weekly tie counts) and what it touched (``account_weeks``: the
    roster's and new voices' rows)."""
    add_edge_weeks(conn, new_ties)
    refresh_for_batch(conn, posts, ties, ids)
