"""Streams: cursors, collection runs, the conversation watch list, and the atomic page sink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, update

from echochamber.models import (
    Batch,
    CollectResult,
    Cursor,
    Page,
    Post,
    StoredPage,
    Stream,
    WatchedPost,
)
from echochamber.store.ingest import store_batch
from echochamber.store.keys import _chunks, dialect_insert, post_ids
from echochamber.store.observations import mark_deleted
from echochamber.store.raw import store_raw
from echochamber.store.schema import (
    AccountRow,
    CollectionRunRow,
    CursorRow,
    PostRow,
    PostSourceRow,
    WatchRow,
)
from echochamber.text import one_line, server_host

cursors_t: Table = CursorRow.__table__  # type: ignore[assignment]
runs_t: Table = CollectionRunRow.__table__  # type: ignore[assignment]
watch_t: Table = WatchRow.__table__  # type: ignore[assignment]


def get_cursor(engine: Engine, stream: Stream) -> Cursor:
    """The stored cursor of ``stream`` (an empty one before its first page)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                cursors_t.c.newest_id, cursors_t.c.backfill_max_id, cursors_t.c.backfill_done
            ).where(
                cursors_t.c.platform == stream.platform,
                cursors_t.c.server == stream.server,
                cursors_t.c.tag == stream.name,
            )
        ).first()
    return Cursor(row[0], row[1], bool(row[2])) if row else Cursor()


def _save_cursor(conn: Connection, stream: Stream, page: Page, now: datetime) -> None:
    values: dict[str, Any] = {"updated_at": now}
    if page.cursor is not None:
        values["newest_id"] = page.cursor
    if page.backfill is not None:
        values["backfill_max_id"] = page.backfill
    if page.backfill_done:
        values["backfill_done"] = True
    ins = dialect_insert(conn, cursors_t).values(
        platform=stream.platform,
        server=stream.server,
        tag=stream.name,
        newest_id=page.cursor,
        backfill_max_id=page.backfill,
        backfill_done=page.backfill_done,
        updated_at=now,
    )
    conn.execute(
        ins.on_conflict_do_update(
            index_elements=[cursors_t.c.platform, cursors_t.c.server, cursors_t.c.tag],
            set_=values,
        )
    )


class StreamSink:
    """Stores each page, its raw payload and the stream cursor in one transaction.

    With ``watch``, tagged posts are put on the conversation watch list of this server in the
    same transaction; a page marked ``watch`` (a watched thread's context) puts its posts there
    as replies.  A sink without a stream (revisits) stores pages and moves no cursor.  Posts a
    page names ``gone`` are marked deleted.  ``notes`` gathers what cleaning changed and what the
    store refused, for the run's report.
    """

    def __init__(
        self,
        engine: Engine,
        platform: str,
        server: str,
        clock: Callable[[], datetime],
        *,
        stream: Stream | None = None,
        watch: bool = False,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self.server = server
        self.clock = clock
        self.stream = stream
        self.watch = watch
        self.totals = StoredPage()
        self.notes: list[str] = []

    def __call__(self, page: Page) -> StoredPage:
        now = self.clock()
        with self.engine.begin() as conn:
            stored = store_batch(
                conn,
                page.batch,
                now=now,
                server=page.server or server_host(self.server),
                token=page.token,
            )
            if page.raw:
                store_raw(
                    conn,
                    platform=self.platform,
                    source=page.server or self.server,
                    endpoint=page.endpoint,
                    body=page.raw,
                    now=now,
                )
            if self.watch:
                tagged = [p for p in page.batch.posts if p.tagged]
                add_watch(conn, self.server, tagged, now)
            if page.watch:
                thread = [p for p in page.batch.posts if p.boost_of is None]
                add_watch(conn, self.server, thread, now, kind="reply")
            if page.gone:
                stored = stored + StoredPage(deleted=mark_deleted(conn, page.gone, now))
            if self.stream is not None:
                _save_cursor(conn, self.stream, page, now)
        self.totals = self.totals + stored
        self.notes.extend(page.batch.notes)
        self.notes.extend(stored.refused)
        return stored

    def advance(self, cursor: str) -> None:
        """Move the stream's cursor alone (a pass that learns its newest id at the end)."""
        if self.stream is None:
            return
        with self.engine.begin() as conn:
            _save_cursor(conn, self.stream, Page(Batch(), b"", "", cursor=cursor), self.clock())


def add_watch(
    conn: Connection, server: str, posts: Sequence[Post], now: datetime, kind: str = "root"
) -> None:
    """Watch these posts on ``server``'s revisit list (first check: now).

    Roots (tagged posts): a Mastodon server watches the posts it serves (their ``source`` is
    its host); X and Bluesky watch every tagged post.  Replies (``kind="reply"``, the posts of
    a watched thread) are watched by the server whose thread they came from.  A post already
    watched keeps its row.
    """
    if not posts:
        return
    ids = post_ids(conn, (p.uri for p in posts))
    host = server_host(server)
    chosen = sorted(
        (
            p
            for p in posts
            if p.uri in ids and (kind != "root" or p.platform != "mastodon" or p.source == host)
        ),
        key=lambda p: ids[p.uri],
    )
    rows = [
        {
            "post_id": ids[p.uri],
            "server": server,
            "native_id": p.native_id,
            "created_at": p.created_at,
            "next_check": now,
            "checks": 0,
            "settled": False,
            "last_checked": None,
            "kind": kind,
        }
        for p in chosen
    ]
    if rows:
        conn.execute(dialect_insert(conn, watch_t).on_conflict_do_nothing(), rows)


def due_watch(
    engine: Engine, server: str, now: datetime, limit: int, *, refresh: bool = False
) -> list[WatchedPost]:
    """Watched posts of ``server`` due for a revisit, oldest schedule first (``refresh``: every
    post still settling, whatever its schedule).  Deleted posts are no longer revisited."""
    w = watch_t.c
    due = [w.server == server, w.settled.is_(False), PostRow.deleted_at.is_(None)]
    if not refresh:
        due.append(w.next_check <= now)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                w.post_id,
                w.native_id,
                w.checks,
                w.kind,
                PostRow.uri,
                PostRow.url,
                PostRow.platform,
                PostRow.created_at,
                AccountRow.key,
            )
            .join(PostRow.__table__, PostRow.id == w.post_id)
            .join(AccountRow.__table__, AccountRow.id == PostRow.author_id)
            .where(*due)
            .order_by(w.next_check, w.post_id)
            .limit(limit)
        ).all()
        local: dict[int, list[tuple[str, str]]] = {}
        src = PostSourceRow.__table__.c  # type: ignore[attr-defined]
        for part in _chunks(sorted(r.post_id for r in rows)):
            for pid, host, native in conn.execute(
                select(src.post_id, src.server, src.native_id).where(src.post_id.in_(part))
            ):
                local.setdefault(pid, []).append((host, native))
    return [
        WatchedPost(
            id=r.post_id,
            post=Post(
                platform=r.platform,
                uri=r.uri,
                native_id=r.native_id,
                author=r.key,
                created_at=r.created_at,
                url=r.url,
            ),
            native_id=r.native_id,
            checks=r.checks,
            kind=r.kind,
            ids=tuple(sorted(local.get(r.post_id, ()))),
        )
        for r in rows
    ]


def mark_checked(engine: Engine, watched: WatchedPost, now: datetime, settle: timedelta) -> None:
    """Schedule the next visit at growing intervals (1h, 2h, 4h, ...) until settled."""
    age = now - watched.post.created_at
    nxt = now + timedelta(hours=2 ** min(watched.checks, 6))
    with engine.begin() as conn:
        conn.execute(
            update(watch_t)
            .where(watch_t.c.post_id == watched.id)
            .values(
                checks=watched.checks + 1,
                last_checked=now,
                next_check=nxt,
                settled=age >= settle,
            )
        )


def start_run(engine: Engine, stream: Stream, now: datetime) -> int:
    """Record that a run of ``stream`` started; returns the run's id."""
    with engine.begin() as conn:
        res = conn.execute(
            runs_t.insert().values(
                platform=stream.platform,
                server=stream.server,
                tag=stream.name,
                started_at=now,
                status="running",
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def finish_run(engine: Engine, run_id: int, result: CollectResult, now: datetime) -> None:
    """Record how a run ended: counts, status and its errors and skips as one message."""
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
                message=one_line("; ".join((*result.errors, *result.skipped)), 4000) or None,
            )
        )
