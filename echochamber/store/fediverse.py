"""The fediverse as the store knows it: servers (software, circuit breakers) and completeness.

``completeness`` follows docs/metrics.md: over a set of conversation posts, Σ fetched / Σ counted by
the home server, for replies (stored posts that answer the post), boosts and favourites (stored
ties on the post).  A post's counts are its home server's once the home server has answered
(``counts_home``); before that they are the best another server could say, and
``home_counted`` tells how many posts were counted at home.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, case, func, literal, select

from echochamber.models import Completeness, ServerState, Window
from echochamber.store.keys import _chunks, dialect_insert
from echochamber.store.schema import InteractionRow, PostRow, ServerRow

servers_t: Table = ServerRow.__table__  # type: ignore[assignment]
P, T = PostRow, InteractionRow
_FIELDS = (
    "software",
    "version",
    "api",
    "checked_at",
    "failures",
    "open_until",
    "last_error",
    "last_failure_at",
    "last_ok_at",
    "requests",
)


def load_servers(engine: Engine) -> dict[str, ServerState]:
    """Every server the store has met, by host."""
    with engine.connect() as conn:
        rows = conn.execute(select(servers_t)).mappings().all()
    return {r["host"]: ServerState(**dict(r)) for r in rows}


def save_servers(engine: Engine, states: Iterable[ServerState]) -> None:
    """Write these servers' states (replacing what was stored for them)."""
    rows = [
        {
            "host": s.host[:255],
            **{f: getattr(s, f) for f in _FIELDS},
            "software": (s.software or None) and s.software[:64],
            "version": (s.version or None) and s.version[:64],
            "last_error": (s.last_error or None) and s.last_error[:1000],
        }
        for s in sorted(states, key=lambda s: s.host)
    ]
    if not rows:
        return
    with engine.begin() as conn:
        ins = dialect_insert(conn, servers_t)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=[servers_t.c.host],
                set_={f: getattr(ins.excluded, f) for f in _FIELDS},
            ),
            rows,
        )


def failing_servers(engine: Engine, now: datetime, days: float = 7.0) -> list[dict[str, Any]]:
    """Servers whose breaker is open or that failed in the last ``days``, newest first."""
    since = now - timedelta(days=days)
    out = []
    for s in sorted(
        load_servers(engine).values(),
        key=lambda s: s.last_failure_at or s.checked_at or now,
        reverse=True,
    ):
        is_open = s.open_until is not None and s.open_until > now
        recent = s.last_failure_at is not None and s.last_failure_at >= since
        not_api = s.api is False
        if is_open or recent or not_api:
            out.append(
                {
                    "host": s.host,
                    "software": s.software,
                    "api": s.api,
                    "failures": s.failures,
                    "skipped_until": s.open_until.isoformat() if is_open and s.open_until else None,
                    "last_error": s.last_error,
                    "last_failure_at": s.last_failure_at.isoformat() if s.last_failure_at else None,
                }
            )
    return out


def _least(a: Any, b: Any) -> Any:
    return case((a < b, a), else_=b)


def _sums(conn: Any, ids: Sequence[int] | None) -> tuple[int, ...]:
    """(posts, home_counted, fetched x3, counted x3) over these post ids (None: all)."""
    live = P.deleted_at.is_(None)
    replies = (
        select(P.in_reply_to_uri.label("u"), func.count().label("n"))
        .where(live, P.in_reply_to_uri.is_not(None))
        .group_by(P.in_reply_to_uri)
        .subquery()
    )
    acts = {
        kind: select(T.subject_uri.label("u"), func.count().label("n"))
        .where(T.kind == kind)
        .group_by(T.subject_uri)
        .subquery()
        for kind in ("boost", "favourite")
    }
    cols: list[Any] = [func.count(), func.sum(case((P.counts_home.is_(True), 1), else_=0))]
    pairs: list[tuple[Any, Any]] = [
        (replies, P.replies_count),
        (acts["boost"], P.boosts_count),
        (acts["favourite"], P.favourites_count),
    ]
    for sub, counted in pairs:
        got = func.coalesce(sub.c.n, 0)
        cols.append(func.sum(case((counted.is_(None), 0), else_=_least(got, counted))))
    for _sub, counted in pairs:
        cols.append(func.sum(func.coalesce(counted, literal(0))))
    stmt = select(*cols).select_from(
        P.__table__.outerjoin(replies, replies.c.u == P.uri)
        .outerjoin(acts["boost"], acts["boost"].c.u == P.uri)
        .outerjoin(acts["favourite"], acts["favourite"].c.u == P.uri)
    )
    stmt = stmt.where(live, P.platform == "mastodon", P.boost_of_uri.is_(None))
    totals = [0] * 8
    parts: Iterable[Sequence[int] | None] = [None] if ids is None else _chunks(sorted(ids), 900)
    for part in parts:
        q = stmt if part is None else stmt.where(P.id.in_(part))
        row = conn.execute(q).one()
        totals = [t + int(v or 0) for t, v in zip(totals, row, strict=True)]
    return tuple(totals)


def _window_sums(conn: Any, posts: dict[str, tuple[Any, ...]]) -> tuple[int, ...]:
    """:func:`_sums` over a window's posts (uri -> counts_home, replies, boosts and favourites
    counted at home, created_at; read with the conversations), each aggregate read once: the
    replies by their parent's URI (indexed), the boosts and favourites by one pass over the
    ties since the oldest post (a boost or favourite is never older than its post: a
    favourite is timed at the post, a boost at its own post; an hour of clock skew allowed)."""
    if not posts:
        return (0,) * 8
    got: dict[str, list[int]] = {u: [0, 0, 0] for u in posts}
    for part in _chunks(sorted(posts), 900):
        stmt = (
            select(P.in_reply_to_uri, func.count())
            .where(P.deleted_at.is_(None), P.in_reply_to_uri.in_(part))
            .group_by(P.in_reply_to_uri)
        )
        for uri, n in conn.execute(stmt):
            got[uri][0] += int(n)
    since = min(r[4] for r in posts.values()) - timedelta(hours=1)
    stmt = select(T.subject_uri, T.kind).where(T.kind.in_(("boost", "favourite")), T.at >= since)
    for uri, kind in conn.execute(stmt):
        row = got.get(uri)
        if row is not None:
            row[1 if kind == "boost" else 2] += 1
    totals = [len(posts), 0, 0, 0, 0, 0, 0, 0]
    for uri, (home, *counted, _at) in posts.items():
        totals[1] += bool(home)
        for i, c in enumerate(counted):
            if c is not None:
                totals[2 + i] += min(got[uri][i], int(c))
                totals[5 + i] += int(c)
    return tuple(totals)


def _conversation_posts(conn: Any, window: Window, scope: str) -> dict[str, tuple[Any, ...]]:
    """Non-deleted posts whose conversation's root was created in the window, by URI: their
    id, then what :func:`_window_sums` reads (counts_home, the three counts, created_at)."""
    if scope not in ("all", "mastodon"):
        return {}
    rows = conn.execute(
        select(
            P.id,
            P.uri,
            P.in_reply_to_uri,
            P.created_at,
            P.counts_home,
            P.replies_count,
            P.boosts_count,
            P.favourites_count,
        ).where(
            P.platform == "mastodon",
            P.boost_of_uri.is_(None),
            P.deleted_at.is_(None),
            P.created_at >= window.start - timedelta(days=60),
            P.created_at < window.end + timedelta(days=60),
        )
    ).all()
    by_uri = {r[1]: r for r in rows}
    out: dict[str, tuple[Any, ...]] = {}
    for r in rows:
        cur, steps = r, 0
        while cur[2] in by_uri and steps < 1000:
            cur, steps = by_uri[cur[2]], steps + 1
        if window.start <= cur[3] < window.end:  # the root's week is the thread's
            out[r[1]] = (r[0], r[4], r[5], r[6], r[7], r[3])
    return out


def _conversation_ids(conn: Any, window: Window, scope: str) -> list[int]:
    """Non-deleted posts whose conversation's root was created in the window."""
    return [r[0] for r in _conversation_posts(conn, window, scope).values()]


def completeness(engine: Engine, window: Window | None = None, scope: str = "all") -> Completeness:
    """Completeness of the window's conversation posts (``None``: every stored conversation).

    Only fediverse posts count (scope ``all`` or ``mastodon``); other scopes give zeros.
    """
    if scope not in ("all", "mastodon"):
        return Completeness()
    with engine.connect() as conn:
        if window is None:
            sums = _sums(conn, None)
        else:
            posts = _conversation_posts(conn, window, scope)
            if not posts:
                return Completeness()
            sums = _window_sums(conn, {u: r[1:] for u, r in posts.items()})
        n, home, rf, bf, ff, rc, bc, fc = sums
    return Completeness(n, home, (rf, bf, ff), (rc, bc, fc))
