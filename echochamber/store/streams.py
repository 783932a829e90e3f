"""Streams: cursors, collection runs, the conversation watch list, and the atomic page sink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, update

from echochamber.collect.base import Page, StoredPage
from echochamber.models import CollectResult
from echochamber.store.ingest import dialect_insert, post_ids, store_batch, store_raw
from echochamber.store.schema import CollectionRunRow, CursorRow, WatchRow

cursors_t: Table = CursorRow.__table__  # type: ignore[assignment]
runs_t: Table = CollectionRunRow.__table__  # type: ignore[assignment]
watch_t: Table = WatchRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Cursor:
    newest_id: str | None = None
    backfill_max_id: str | None = None
    backfill_done: bool = False


def get_cursor(engine: Engine, platform: str, instance: str, tag: str) -> Cursor:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                cursors_t.c.newest_id, cursors_t.c.backfill_max_id, cursors_t.c.backfill_done
            ).where(
                cursors_t.c.platform == platform,
                cursors_t.c.instance == instance,
                cursors_t.c.tag == tag,
            )
        ).first()
    return Cursor(*row) if row else Cursor()


def _save_cursor(
    conn: Connection, platform: str, instance: str, tag: str, page: Page, now: datetime
) -> None:
    values: dict[str, Any] = {"updated_at": now}
    if page.cursor is not None:
        values["newest_id"] = page.cursor
    if page.backfill is not None:
        values["backfill_max_id"] = page.backfill
    if page.backfill_done:
        values["backfill_done"] = True
    ins = dialect_insert(conn, cursors_t).values(
        platform=platform,
        instance=instance,
        tag=tag,
        newest_id=page.cursor,
        backfill_max_id=page.backfill,
        backfill_done=page.backfill_done,
        updated_at=now,
    )
    conn.execute(
        ins.on_conflict_do_update(
            index_elements=[cursors_t.c.platform, cursors_t.c.instance, cursors_t.c.tag],
            set_=values,
        )
    )


class StreamSink:
    """Stores each page, its raw payload and the stream cursor in one transaction.

    Tagged posts are put on the conversation watch list in the same transaction.
    """

    def __init__(
        self,
        engine: Engine,
        platform: str,
        instance: str,
        tag: str,
        clock: Callable[[], datetime],
        watch_instance: str | None = None,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self.instance = instance
        self.tag = tag
        self.clock = clock
        self.watch_instance = watch_instance
        self.totals = StoredPage(0, 0, 0)

    def __call__(self, page: Page) -> StoredPage:
        now = self.clock()
        with self.engine.begin() as conn:
            stored = store_batch(conn, page.batch, now=now)
            store_raw(
                conn,
                platform=self.platform,
                source=self.instance,
                endpoint=page.endpoint,
                body=page.raw,
                now=now,
            )
            if self.watch_instance is not None:
                tagged = [p for p in page.batch.posts if p.tagged]
                add_watch(conn, self.watch_instance, tagged, now)
            if self.tag:
                _save_cursor(conn, self.platform, self.instance, self.tag, page, now)
        self.totals = StoredPage(
            self.totals.posts_new + stored.posts_new,
            self.totals.posts_seen + stored.posts_seen,
            self.totals.interactions_new + stored.interactions_new,
        )
        return stored


def add_watch(conn: Connection, instance: str, posts: Sequence[Any], now: datetime) -> None:
    """Watch these tagged posts' conversations (first check: now)."""
    if not posts:
        return
    ids = post_ids(conn, (p.uri for p in posts))
    rows = [
        {
            "post_id": ids[p.uri],
            "instance": instance,
            "native_id": p.native_id,
            "created_at": p.created_at,
            "next_check": now,
            "checks": 0,
            "settled": False,
            "last_checked": None,
        }
        for p in posts
        if p.source == _host(instance)
    ]
    if rows:
        rows.sort(key=lambda r: r["post_id"])
        conn.execute(dialect_insert(conn, watch_t).on_conflict_do_nothing(), rows)


def _host(instance: str) -> str:
    if "//" not in instance:
        return instance  # "twitter", "bsky": the source name itself
    from echochamber.collect.normalize_mastodon import instance_host

    return instance_host(instance)


def due_watch(
    engine: Engine, instance: str, now: datetime, limit: int
) -> list[tuple[int, str, datetime, int]]:
    """(post id, native id, created_at, checks) of watched posts due for a revisit."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(watch_t.c.post_id, watch_t.c.native_id, watch_t.c.created_at, watch_t.c.checks)
            .where(
                watch_t.c.instance == instance,
                watch_t.c.settled.is_(False),
                watch_t.c.next_check <= now,
            )
            .order_by(watch_t.c.next_check, watch_t.c.post_id)
            .limit(limit)
        ).all()
    return [(a, b, c, d) for a, b, c, d in rows]


def mark_checked(
    conn: Connection,
    post_id: int,
    now: datetime,
    created_at: datetime,
    checks: int,
    settle: timedelta,
) -> None:
    """Schedule the next visit at growing intervals (1h, 2h, 4h, ...) until settled."""
    age = now - created_at
    nxt = now + timedelta(hours=2 ** min(checks, 6))
    settled = age >= settle
    conn.execute(
        update(watch_t)
        .where(watch_t.c.post_id == post_id)
        .values(checks=checks + 1, last_checked=now, next_check=nxt, settled=settled)
    )


def start_run(engine: Engine, platform: str, instance: str, tag: str, now: datetime) -> int:
    with engine.begin() as conn:
        res = conn.execute(
            runs_t.insert().values(
                platform=platform, instance=instance, tag=tag, started_at=now, status="running"
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def finish_run(engine: Engine, run_id: int, result: CollectResult, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id)
            .values(
                finished_at=now,
                requests=result.requests,
                posts_new=result.posts_new,
                posts_seen=result.posts_seen,
                interactions_new=result.interactions_new,
                errors=len(result.errors),
                status=result.status,
                message="; ".join((*result.errors, *result.skipped))[:4000] or None,
            )
        )


def last_runs(engine: Engine) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The newest run of every stream."""
    with engine.connect() as conn:
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in conn.execute(select(runs_t).order_by(runs_t.c.id.desc()).limit(1000)).mappings():
            key = (row["platform"], row["instance"], row["tag"])
            if key not in out:
                out[key] = {
                    "started_at": row["started_at"].isoformat(),
                    "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
                    "status": row["status"],
                    "requests": row["requests"],
                    "posts_new": row["posts_new"],
                    "posts_seen": row["posts_seen"],
                    "interactions_new": row["interactions_new"],
                    "errors": row["errors"],
                    "message": row["message"],
                }
    return out


def all_cursors(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(cursors_t).order_by(
                    cursors_t.c.platform, cursors_t.c.instance, cursors_t.c.tag
                )
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


__all__ = [
    "Cursor",
    "StreamSink",
    "add_watch",
    "all_cursors",
    "due_watch",
    "finish_run",
    "get_cursor",
    "last_runs",
    "mark_checked",
    "start_run",
]
