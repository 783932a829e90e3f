"""Idempotent batch writes: accounts, posts, tags, local ids, interactions, weekly edge counts.

Everything goes through SQLAlchemy Core ``INSERT ... ON CONFLICT`` in the dialect's own syntax,
a statement per table per batch (no per-row round trips).  Re-storing the same batch changes
nothing; a later observation fills what an earlier one could not know (a resolved parent, newer
counts), and never erases what was known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, select, update

from echochamber.models import Account, Batch, Interaction, Post, StoredPage
from echochamber.store import bulk
from echochamber.store.keys import (
    _chunks,
    account_ids,
    dialect_insert,
    post_ids,
    week_start,
)
from echochamber.store.schema import (
    AccountRow,
    EdgeWeekRow,
    InteractionRow,
    PostRow,
    PostSourceRow,
    PostTagRow,
)

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
    return ins.on_conflict_do_update(
        index_elements=[t.uri],
        set_={
            "text": func.coalesce(func.nullif(ex.text, ""), t.text),
            "in_reply_to_uri": func.coalesce(t.in_reply_to_uri, ex.in_reply_to_uri),
            "in_reply_to_account_id": func.coalesce(
                t.in_reply_to_account_id, ex.in_reply_to_account_id
            ),
            "root_uri": func.coalesce(t.root_uri, ex.root_uri),
            "quote_of_uri": func.coalesce(t.quote_of_uri, ex.quote_of_uri),
            "replies_count": func.coalesce(ex.replies_count, t.replies_count),
            "boosts_count": func.coalesce(ex.boosts_count, t.boosts_count),
            "favourites_count": func.coalesce(ex.favourites_count, t.favourites_count),
            "quotes_count": func.coalesce(ex.quotes_count, t.quotes_count),
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


def _resolve_parents(
    conn: Connection, posts: Sequence[Post], ids: Mapping[str, int]
) -> list[Interaction]:
    """Link replies whose parent was stored only by local id, in either order of arrival."""
    ties: list[Interaction] = []
    by_source: dict[str, set[str]] = {}
    for p in posts:
        if p.source and p.platform == "mastodon":  # only Mastodon ids are server-local
            by_source.setdefault(p.source, set()).add(p.native_id)
            if p.in_reply_to_native:
                by_source[p.source].add(p.in_reply_to_native)
    for source, natives in by_source.items():
        for part in _chunks(sorted(natives)):
            child = posts_t.alias("child")
            rows = conn.execute(
                select(
                    child.c.id,
                    child.c.uri,
                    child.c.author_id,
                    child.c.created_at,
                    child.c.platform,
                    posts_t.c.uri,
                    posts_t.c.author_id,
                )
                .join(
                    sources_t,
                    and_(
                        sources_t.c.server == child.c.source,
                        sources_t.c.native_id == child.c.in_reply_to_native,
                    ),
                )
                .join(posts_t, posts_t.c.id == sources_t.c.post_id)
                .where(
                    child.c.source == source,
                    child.c.in_reply_to_uri.is_(None),
                    child.c.in_reply_to_native.in_(part),
                )
            ).all()
            if rows:
                conn.execute(
                    update(posts_t)
                    .where(posts_t.c.id == bindparam("cid"))
                    .values(
                        in_reply_to_uri=bindparam("puri"),
                        in_reply_to_native=None,
                        in_reply_to_account_id=func.coalesce(
                            posts_t.c.in_reply_to_account_id, bindparam("pauthor")
                        ),
                    ),
                    [{"cid": r[0], "puri": r[5], "pauthor": r[6]} for r in rows],
                )
            for _cid, curi, cauthor, cat, platform, puri, pauthor in rows:
                if cauthor != pauthor:
                    ties.append(
                        Interaction(
                            platform,
                            "reply",
                            f"#id:{cauthor}",
                            f"#id:{pauthor}",
                            curi,
                            cat,
                            target_post=puri,
                        )
                    )
    return ties


def _insert_ties(conn: Connection, ties: Sequence[Interaction], ids: Mapping[str, int]) -> int:
    rows = []
    seen: set[tuple[Any, ...]] = set()
    for t in ties:
        actor = int(t.actor[4:]) if t.actor.startswith("#id:") else ids[t.actor]
        target = int(t.target[4:]) if t.target.startswith("#id:") else ids[t.target]
        key: tuple[Any, ...] = (t.kind, actor, target, t.subject)
        if actor == target or key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "platform": t.platform,
                "kind": t.kind,
                "actor_id": actor,
                "target_id": target,
                "subject_uri": t.subject,
                "target_uri": t.target_post,
                "at": t.at,
                "via_reply": t.via_reply,
            }
        )
    if not rows:
        return 0
    rows.sort(key=lambda r: (r["kind"], r["actor_id"], r["target_id"], r["subject_uri"]))
    ins = (
        dialect_insert(conn, ties_t)
        .on_conflict_do_nothing()
        .returning(
            ties_t.c.kind,
            ties_t.c.actor_id,
            ties_t.c.target_id,
            ties_t.c.at,
            ties_t.c.via_reply,
            ties_t.c.platform,
        )
    )
    new = conn.execute(ins, rows).all()
    counts: Counter[tuple[Any, ...]] = Counter()
    via: Counter[tuple[Any, ...]] = Counter()
    for kind, actor, target, at, via_reply, platform in new:
        key = (week_start(at), actor, target, kind, platform)
        counts[key] += 1
        via[key] += int(bool(via_reply))
    bulk.executemany(
        conn,
        "edge_weeks.add",
        lambda: _edge_weeks_add(conn),
        [
            {
                "week": w,
                "actor_id": a,
                "target_id": b,
                "kind": k,
                "platform": p,
                "n": n,
                "n_via_reply": via[(w, a, b, k, p)],
            }
            for (w, a, b, k, p), n in sorted(counts.items())
        ],
    )
    return len(new)


def _edge_weeks_add(conn: Connection) -> Any:
    ins = dialect_insert(conn, edges_t)
    return ins.on_conflict_do_update(
        index_elements=[edges_t.c.week, edges_t.c.actor_id, edges_t.c.target_id, edges_t.c.kind],
        set_={
            "n": edges_t.c.n + ins.excluded.n,
            "n_via_reply": edges_t.c.n_via_reply + ins.excluded.n_via_reply,
        },
    )


def store_batch(conn: Connection, batch: Batch, *, now: datetime) -> StoredPage:
    """Store a batch inside the caller's transaction; returns what was new."""
    posts = list({p.uri: p for p in batch.posts}.values())
    _upsert_accounts(conn, _account_rows(batch, now))  # the first write: every author
    keys = {a.key for a in batch.accounts} | {p.author for p in posts}
    keys |= {p.in_reply_to_account for p in posts if p.in_reply_to_account}
    keys |= {t.actor for t in batch.interactions} | {t.target for t in batch.interactions}
    ids = account_ids(conn, keys)
    before = post_ids(conn, (p.uri for p in posts))
    _upsert_posts(conn, _post_rows(posts, ids, now), before)
    pids = post_ids(conn, (p.uri for p in posts))
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
    ties = list(batch.interactions) + _resolve_parents(conn, posts, ids)
    new_ties = _insert_ties(conn, ties, ids)
    return StoredPage(
        posts_new=len(posts) - len(before), posts_seen=len(before), interactions_new=new_ties
    )
