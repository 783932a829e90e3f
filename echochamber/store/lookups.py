"""Looking things up by what people type: a post by URI/URL/id, an account by handle, and the
rows behind ``graph account`` and ``graph conversation``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from echochamber.errors import NotFound
from echochamber.models import KINDS, Window
from echochamber.store import graphdata as gd
from echochamber.store.schema import AccountRow, EdgeWeekRow, InteractionRow, PostRow


def post_by_ref(engine: Engine, ref: str) -> tuple[int, str]:
    """A post by URI, URL or native id -> (id, uri); :class:`NotFound` otherwise."""
    with engine.connect() as conn:
        row = conn.execute(
            select(PostRow.id, PostRow.uri)
            .where((PostRow.uri == ref) | (PostRow.url == ref) | (PostRow.native_id == ref))
            .limit(1)
        ).first()
    if row is None:
        raise NotFound(f"no post {ref!r} in the store (give its URI, URL or id)")
    return int(row[0]), str(row[1])


def account_id(engine: Engine, handle: str) -> int:
    """An account by handle, profile URL or key; :class:`NotFound` otherwise."""
    with engine.connect() as conn:
        found = gd.resolve_accounts(conn, [handle])
    if handle not in found:
        raise NotFound(f"no account {handle!r} in the store (give user@server or a profile URL)")
    return found[handle]


@dataclass(frozen=True)
class AccountRecord:
    """An account's stored profile, its ties by kind in a window and its weekly activity."""

    id: int
    key: str
    handle: str | None
    display_name: str | None
    platform: str
    server: str | None
    followers: int
    bot: bool
    first_seen: datetime
    last_seen: datetime
    last_post: datetime | None
    ties: dict[str, dict[str, int]]
    weekly: list[dict[str, Any]]


def account_record(engine: Engine, aid: int, window: Window, scope: str) -> AccountRecord:
    """The account ``aid``: profile, ties out and in by kind in ``window``, weekly activity."""
    T, P, E = InteractionRow, PostRow, EdgeWeekRow
    with engine.connect() as conn:
        acc = (
            conn.execute(select(AccountRow.__table__).where(AccountRow.id == aid)).mappings().one()
        )
        ties: dict[str, Counter[str]] = {"out": Counter(), "in": Counter()}
        for col, direction in ((T.actor_id, "out"), (T.target_id, "in")):
            stmt = select(T.kind, func.count()).where(
                col == aid, T.at >= window.start, T.at < window.end
            )
            if scope != "all":
                stmt = stmt.where(T.platform == scope)
            for kind, n in conn.execute(stmt.group_by(T.kind)):
                ties[direction][kind] = int(n)
        span = conn.execute(
            select(func.min(P.created_at), func.max(P.created_at)).where(
                P.author_id == aid, P.boost_of_uri.is_(None)
            )
        ).one()
        weekly: dict[str, dict[str, int]] = {}
        for week, n in conn.execute(
            select(E.week, func.sum(E.n)).where(E.actor_id == aid).group_by(E.week)
        ):
            weekly.setdefault(str(week), {"posts": 0, "interactions": 0})["interactions"] = int(n)
        posts = conn.execute(select(P.created_at).where(P.author_id == aid, P.tagged)).scalars()
        for created in posts:
            monday = (created - timedelta(days=created.weekday())).date()
            weekly.setdefault(str(monday), {"posts": 0, "interactions": 0})["posts"] += 1
    first = min(filter(None, [span[0], acc["first_seen"]]))
    last = max(filter(None, [span[1], acc["last_seen"]]))
    return AccountRecord(
        id=aid,
        key=acc["key"],
        handle=acc["handle"] or acc["key"],
        display_name=acc["display_name"],
        platform=acc["platform"],
        server=acc["server"],
        followers=acc["followers"] or 0,
        bot=bool(acc["bot"]),
        first_seen=first,
        last_seen=last,
        last_post=span[1],  # the newest post written (a boost is not one)
        ties={d: {k: ties[d].get(k, 0) for k in KINDS} for d in ("out", "in")},
        weekly=[{"week": w, **v} for w, v in sorted(weekly.items())],
    )


@dataclass(frozen=True)
class ThreadRows:
    """A conversation's posts as ``(uri, parent uri, author id, kind)`` and its root's facts."""

    root_uri: str
    root_created: datetime
    root_author: int
    rows: list[tuple[str, str | None, int, str]]


def conversation_rows(engine: Engine, ref: str, limit: int = 100_000) -> ThreadRows:
    """Every reply and quote below the post ``ref``, breadth first, up to ``limit`` posts."""
    pid, uri = post_by_ref(engine, ref)
    P = PostRow
    with engine.connect() as conn:
        root = conn.execute(select(P.created_at, P.author_id).where(P.id == pid)).one()
        rows: list[tuple[str, str | None, int, str]] = [(uri, None, root.author_id, "root")]
        frontier = [uri]
        while frontier and len(rows) < limit:
            nxt = []
            for i in range(0, len(frontier), 500):
                part = frontier[i : i + 500]
                for child, parent, quote, author in conn.execute(
                    select(P.uri, P.in_reply_to_uri, P.quote_of_uri, P.author_id).where(
                        (P.in_reply_to_uri.in_(part)) | (P.quote_of_uri.in_(part))
                    )
                ):
                    kind = "reply" if parent in part else "quote"
                    rows.append((child, parent if kind == "reply" else quote, author, kind))
                    nxt.append(child)
            frontier = nxt
    return ThreadRows(uri, root.created_at, root.author_id, rows)
