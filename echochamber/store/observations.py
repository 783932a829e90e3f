"""Provenance: which server answered for a post, with or without a token, when, and the counts
it claimed; and deletions, which take a post and its acts out of every later read.

A post's counts are kept per answering server in ``post_observations``; the ``posts`` row holds
the counts of its home server once the home server has answered (``counts_home``), and no other
server's lesser view overwrites them (see :mod:`echochamber.store.ingest`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from echochamber.models import Post
from echochamber.store import bulk
from echochamber.store.accountweeks import refresh_for_deleted
from echochamber.store.keys import _chunks, among, dialect_insert, week_start
from echochamber.store.schema import EdgeWeekRow, InteractionRow, PostObservationRow, PostRow
from echochamber.text import server_host

observations_t: Table = PostObservationRow.__table__  # type: ignore[assignment]
posts_t: Table = PostRow.__table__  # type: ignore[assignment]
ties_t: Table = InteractionRow.__table__  # type: ignore[assignment]
edges_t: Table = EdgeWeekRow.__table__  # type: ignore[assignment]


def is_home(post: Post) -> bool | None:
    """Did the post's home server (the host of its URI) serve this copy? ``None``: not a
    fediverse post, or the server is unknown (an archive)."""
    if post.platform != "mastodon" or not post.source or post.source == "import":
        return None
    return post.source == server_host(post.uri)


def record_observations(
    conn: Connection,
    posts: Sequence[Post],
    pids: Mapping[str, int],
    now: datetime,
    token: bool | None,
) -> None:
    """One row per (post, answering server): first and last seen, token, the counts claimed."""
    rows = []
    for p in posts:
        home = is_home(p)
        if home is None or p.uri not in pids:
            continue
        rows.append(
            {
                "post_id": pids[p.uri],
                "server": p.source,
                "home": home,
                "with_token": bool(token),
                "first_seen": now,
                "last_seen": now,
                "replies_count": p.replies_count,
                "boosts_count": p.boosts_count,
                "favourites_count": p.favourites_count,
                "quotes_count": p.quotes_count,
            }
        )
    rows.sort(key=lambda r: (r["post_id"], r["server"]))
    bulk.executemany(conn, "post_observations.upsert", lambda: _upsert(conn), rows)


def _upsert(conn: Connection) -> Any:
    from sqlalchemy import func

    ins = dialect_insert(conn, observations_t)
    ex, t = ins.excluded, observations_t.c
    return ins.on_conflict_do_update(
        index_elements=[t.post_id, t.server],
        set_={
            "last_seen": ex.last_seen,
            "with_token": ex.with_token,
            **{
                c: func.coalesce(getattr(ex, c), getattr(t, c))
                for c in ("replies_count", "boosts_count", "favourites_count", "quotes_count")
            },
        },
    )


def deleted_among(conn: Connection, uris: Iterable[str]) -> set[str]:
    """Which of these post URIs are marked deleted."""
    out: set[str] = set()
    for part in _chunks(sorted(set(uris))):
        out.update(
            conn.scalars(
                select(posts_t.c.uri).where(
                    among(conn, posts_t.c.uri, part), posts_t.c.deleted_at.is_not(None)
                )
            )
        )
    return out


def mark_deleted(conn: Connection, uris: Iterable[str], now: datetime) -> int:
    """Mark posts deleted (their text is erased) and take their acts out of the graph.

    The acts are the post's own reply, quote and mention ties and the boosts and favourites
    of it (their subject is the post); the weekly edge counts are lowered to match.  Returns
    how many posts were newly marked.
    """
    wanted = sorted(set(uris))
    marked = 0
    for part in _chunks(wanted):
        res = conn.execute(
            update(posts_t)
            .where(posts_t.c.uri.in_(part), posts_t.c.deleted_at.is_(None))
            .values(deleted_at=now, text="")
        )
        marked += res.rowcount or 0
        gone = conn.execute(
            delete(ties_t)
            .where(ties_t.c.subject_uri.in_(part))
            .returning(
                ties_t.c.kind,
                ties_t.c.actor_id,
                ties_t.c.target_id,
                ties_t.c.at,
                ties_t.c.via_reply,
            )
        ).all()
        counts: Counter[tuple[Any, ...]] = Counter()
        via: Counter[tuple[Any, ...]] = Counter()
        for kind, actor, target, at, via_reply in gone:
            key = (week_start(at), actor, target, kind)
            counts[key] += 1
            via[key] += int(bool(via_reply))
        e = edges_t.c
        for (week, actor, target, kind), n in sorted(counts.items()):
            where = (e.week == week, e.actor_id == actor, e.target_id == target, e.kind == kind)
            conn.execute(
                update(edges_t)
                .where(*where)
                .values(n=e.n - n, n_via_reply=e.n_via_reply - via[(week, actor, target, kind)])
            )
            conn.execute(delete(edges_t).where(*where, e.n <= 0))
        refresh_for_deleted(conn, part, gone)
    return marked
