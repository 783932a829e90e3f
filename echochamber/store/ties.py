"""Ties at ingest: replies linked across pages, interactions inserted once, weekly counts kept.

Every new interaction adds to ``edge_weeks`` (per ISO week, actor, target and kind) in the same
transaction (:func:`add_edge_weeks`, once the batch is written); an interaction whose post was
deleted is not stored again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, Table, and_, bindparam, func, select, update

from echochamber.models import Interaction, Post
from echochamber.store import bulk
from echochamber.store.keys import _chunks, dialect_insert, week_start
from echochamber.store.observations import deleted_among
from echochamber.store.schema import EdgeWeekRow, InteractionRow, PostRow, PostSourceRow

posts_t: Table = PostRow.__table__  # type: ignore[assignment]
sources_t: Table = PostSourceRow.__table__  # type: ignore[assignment]
ties_t: Table = InteractionRow.__table__  # type: ignore[assignment]
edges_t: Table = EdgeWeekRow.__table__  # type: ignore[assignment]


def resolve_parents(
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
            rows = _children(conn, source, part)
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


def _children(conn: Connection, source: str, natives: Sequence[str]) -> Sequence[Any]:
    """:func:`_unresolved_children`, planned for these values on PostgreSQL: the driver
    prepares a statement it runs often, and the plan the server then falls back to is made
    from statistics that a store being filled by an import does not have yet (a scan of the
    whole table for every batch)."""
    if conn.dialect.name != "postgresql":
        return conn.execute(_unresolved_children(conn, source, natives)).all()
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    try:
        return conn.execute(_unresolved_children(conn, source, natives)).all()
    finally:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = DEFAULT")


def _unresolved_children(conn: Connection, source: str, natives: Sequence[str]) -> Any:
    """Posts seen through ``source`` replying to one of the local ids ``natives`` whose parent
    is stored but not linked yet: (child id, uri, author, time, platform, parent uri, author).

    On PostgreSQL the ids come as one array, unnested and joined to the index on (source,
    parent id) (an ``IN`` list of thousands costs the driver more than the query)."""
    child = posts_t.alias("child")
    cols = (child.c.id, child.c.uri, child.c.author_id, child.c.created_at, child.c.platform)
    parent = (posts_t.c.uri, posts_t.c.author_id)
    link = and_(
        sources_t.c.server == child.c.source,
        sources_t.c.native_id == child.c.in_reply_to_native,
    )
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        array = bindparam(None, list(natives), type_=ARRAY(String))
        wanted = func.unnest(array).table_valued("native").render_derived(name="wanted")
        on = and_(child.c.source == source, child.c.in_reply_to_native == wanted.c.native)
        base = select(*cols, *parent).select_from(wanted).join(child, on)
    else:
        base = select(*cols, *parent).where(
            child.c.source == source, child.c.in_reply_to_native.in_(natives)
        )
    return (
        base.join(sources_t, link)
        .join(posts_t, posts_t.c.id == sources_t.c.post_id)
        .where(child.c.in_reply_to_uri.is_(None))
    )


def insert_ties(
    conn: Connection,
    ties: Sequence[Interaction],
    ids: Mapping[str, int],
    seen_by: tuple[str | None, bool | None, datetime],
) -> list[tuple[Any, ...]]:
    """Insert the ties not stored yet (nor of a deleted post); returns the new ones as
    ``(kind, actor id, target id, at, via_reply, platform)``."""
    rows = []
    seen: set[tuple[Any, ...]] = set()
    gone = deleted_among(conn, {u for t in ties for u in (t.subject, t.target_post) if u})
    server, token, now = seen_by
    for t in ties:
        if t.subject in gone or t.target_post in gone:
            continue
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
                "server": server,
                "with_token": token,
                "observed_at": now,
            }
        )
    if not rows:
        return []
    rows.sort(key=lambda r: (r["kind"], r["actor_id"], r["target_id"], r["subject_uri"]))
    c = ties_t.c
    new = (c.kind, c.actor_id, c.target_id, c.at, c.via_reply, c.platform)
    if conn.dialect.name == "sqlite":
        # the batch holds SQLite's one write lock since its first write, and a new row's id
        # is past every id before it: the new ties are those past the largest id before
        last = conn.scalar(select(func.max(ties_t.c.id))) or 0
        bulk.executemany(
            conn, "interactions.insert_ignore", lambda: _insert_ignore_ties(conn), rows
        )
        return [tuple(r) for r in conn.execute(select(*new).where(ties_t.c.id > last))]
    ins = _insert_ignore_ties(conn).returning(*new)
    return [tuple(r) for r in bulk.execute_returning(conn, ins, rows)]


def _insert_ignore_ties(conn: Connection) -> Any:
    return dialect_insert(conn, ties_t).on_conflict_do_nothing()


def add_edge_weeks(conn: Connection, new: Sequence[tuple[Any, ...]]) -> None:
    """Add new ties (``kind, actor id, target id, at, via_reply, platform``, as
    :func:`insert_ties` returns them) to the weekly counts in ``edge_weeks``."""
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


def _edge_weeks_add(conn: Connection) -> Any:
    ins = dialect_insert(conn, edges_t)
    return ins.on_conflict_do_update(
        index_elements=[edges_t.c.week, edges_t.c.actor_id, edges_t.c.target_id, edges_t.c.kind],
        set_={
            "n": edges_t.c.n + ins.excluded.n,
            "n_via_reply": edges_t.c.n_via_reply + ins.excluded.n_via_reply,
        },
    )
