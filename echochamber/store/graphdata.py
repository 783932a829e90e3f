"""What graph building and the metrics read from the store, aggregated in SQL.

Edge counts come from ``edge_weeks`` (kept at ingest) when the window is whole ISO weeks, and
from ``interactions`` grouped by (actor, target, kind) otherwise.  Everything returned is plain
rows; graph/ turns them into networkx objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select

from echochamber.models import Window
from echochamber.store.accountweeks import activity_weeks, first_seen, root_spans
from echochamber.store.schema import AccountRow, EdgeWeekRow, InteractionRow, PostRow

A, P, T, E = AccountRow, PostRow, InteractionRow, EdgeWeekRow


def _whole_weeks(window: Window) -> list[date] | None:
    start, end = window.start, window.end
    if start.weekday() or end.weekday() or start.time() != end.time() or start.hour or start.minute:
        return None
    if (end - start) % timedelta(days=7):
        return None
    weeks = (end - start) // timedelta(days=7)
    return [start.date() + timedelta(days=7 * i) for i in range(weeks)]


def _scoped(stmt: Any, column: Any, scope: str) -> Any:
    return stmt if scope == "all" else stmt.where(column == scope)


def edge_rows(
    conn: Connection, window: Window, scope: str = "all"
) -> list[tuple[int, int, str, int, int]]:
    """``(actor, target, kind, n, n_via_reply)`` summed over the window."""
    weeks = _whole_weeks(window)
    if weeks is not None:
        stmt = select(E.actor_id, E.target_id, E.kind, func.sum(E.n), func.sum(E.n_via_reply))
        stmt = stmt.where(E.week.in_(weeks)) if len(weeks) > 1 else stmt.where(E.week == weeks[0])
        stmt = _scoped(stmt, E.platform, scope).group_by(E.actor_id, E.target_id, E.kind)
    else:
        via = func.sum(case((T.via_reply, 1), else_=0))
        stmt = select(T.actor_id, T.target_id, T.kind, func.count(), via).where(
            T.at >= window.start, T.at < window.end
        )
        stmt = _scoped(stmt, T.platform, scope).group_by(T.actor_id, T.target_id, T.kind)
    return [(a, t, k, int(n), int(v or 0)) for a, t, k, n, v in conn.execute(stmt)]


def tagged_posts_by_author(conn: Connection, window: Window, scope: str = "all") -> dict[int, int]:
    """Tagged, non-boost posts per author created in the window."""
    stmt = select(P.author_id, func.count()).where(
        P.tagged,
        P.boost_of_uri.is_(None),
        P.deleted_at.is_(None),
        P.created_at >= window.start,
        P.created_at < window.end,
    )
    stmt = _scoped(stmt, P.platform, scope).group_by(P.author_id)
    return {a: int(n) for a, n in conn.execute(stmt)}


def activity(conn: Connection, window: Window, scope: str = "all") -> dict[int, int]:
    """Tagged posts written plus acts made (reply, quote, boost, favourite), per account.

    The roster's ranking (second edition): mention objects never count, so an account that
    is only named in others' reply-all runs does not climb it.  Whole UTC weeks (the trailing
    weeks of the roster) read the ``account_weeks`` rows kept at ingest.
    """
    weeks = _whole_weeks(window)
    if weeks is not None:
        return activity_weeks(conn, weeks, scope)
    out = dict(tagged_posts_by_author(conn, window, scope))
    for actor, _target, kind, n, _v in edge_rows(conn, window, scope):
        if kind != "mention":
            out[actor] = out.get(actor, 0) + n
    return out


def unwanted(conn: Connection, entries: Iterable[str], ids: Iterable[int]) -> set[int]:
    """The accounts among ``ids`` that may never enter a roster: bots and ``[core] exclude``.

    An entry is an account (``user@server``, ``@user``, a profile URL or a key) or, without
    ``@`` and not a URL, a server: every account on it is excluded.
    """
    wanted = sorted(set(ids))
    out: set[int] = set()
    entries = [e.strip() for e in entries if e.strip()]
    servers = [e.lower() for e in entries if "@" not in e and not e.startswith(("http", "did:"))]
    out.update(resolve_accounts(conn, [e for e in entries if e.lower() not in servers]).values())
    for i in range(0, len(wanted), 900):
        part = wanted[i : i + 900]
        cond = A.bot
        if servers:
            cond = cond | func.lower(A.server).in_(servers)
        out.update(conn.scalars(select(A.id).where(A.id.in_(part), cond)))
    return out & set(wanted)


@dataclass(frozen=True, slots=True)
class ThreadPost:
    post_id: int
    uri: str
    parent_uri: str | None
    kind: str  # "reply" | "quote" | "root"
    author_id: int
    created_at: Any
    tagged: bool


def thread_posts(
    conn: Connection, window: Window, scope: str = "all", tail: timedelta = timedelta(days=7)
) -> list[ThreadPost]:
    """Non-boost posts created in the window or up to ``tail`` after it (late replies)."""
    stmt = select(
        P.id, P.uri, P.in_reply_to_uri, P.quote_of_uri, P.author_id, P.created_at, P.tagged
    ).where(
        P.boost_of_uri.is_(None),
        P.deleted_at.is_(None),
        P.created_at >= window.start,
        P.created_at < window.end + tail,
    )
    stmt = _scoped(stmt, P.platform, scope)
    out = []
    for pid, uri, parent, quote, author, created, tagged in conn.execute(stmt):
        kind = "reply" if parent else ("quote" if quote else "root")
        out.append(ThreadPost(pid, uri, parent or quote, kind, author, created, bool(tagged)))
    return out


def account_info(conn: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Handle, display name, followers, server and platform of these accounts."""
    wanted = sorted(set(ids))
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(wanted), 900):
        part = wanted[i : i + 900]
        rows = conn.execute(
            select(A.id, A.handle, A.display_name, A.followers, A.server, A.platform, A.key).where(
                A.id.in_(part)
            )
        )
        for aid, handle, name, followers, server, platform, key in rows:
            out[aid] = {
                "handle": handle or key,
                "display_name": name,
                "followers": followers or 0,
                "server": server,
                "platform": platform,
                "key": key,
            }
    return out


def first_active(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """The earliest post or interaction time of each account (``account_weeks``)."""
    return first_seen(conn, ids)


def resolve_accounts(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Handles (``user@host``, ``@user``), profile URLs or keys -> account ids."""
    out: dict[str, int] = {}
    for name in names:
        raw = name.strip()
        cands = {raw, raw.lstrip("@")}
        row = conn.execute(
            select(A.id)
            .where((A.key.in_(cands)) | (func.lower(A.handle).in_([c.lower() for c in cands])))
            .order_by(A.id)
            .limit(1)
        ).first()
        if row is None and raw.startswith("http"):
            # https://host/@user -> user@host
            from urllib.parse import urlsplit

            parts = urlsplit(raw)
            user = parts.path.strip("/").lstrip("@")
            row = conn.execute(
                select(A.id)
                .where(func.lower(A.handle) == f"{user}@{parts.netloc}".lower())
                .limit(1)
            ).first()
        if row is not None:
            out[name] = int(row[0])
    return out


def weeks_with_data(conn: Connection, scope: str = "all", zone: str = "UTC") -> list[date]:
    """Mondays (in ``zone``) of the weeks holding a tagged post that starts a conversation (a
    post counts in its conversation's week, so a late tagged reply does not open a week of its
    own), oldest first.  Weeks without one are left out, however long the gap.

    Read from ``account_weeks`` (kept at ingest): each ISO week's first and last such post.
    The posts of one ISO week fall in at most two weeks of ``zone``, and if those two posts
    fall in the same one, so does every post between them; so the weeks of the two are
    exactly the weeks with data."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    mondays: set[date] = set()
    for span in root_spans(conn, scope):
        for at in span:
            day = at.astimezone(tz).date()
            mondays.add(day - timedelta(days=day.weekday()))
    return sorted(mondays)


def neighbours(
    conn: Connection, window: Window, nodes: Iterable[int], scope: str = "all"
) -> dict[int, set[int]]:
    """Accounts tied to ``nodes`` in either direction in a whole-week window (edge_weeks)."""
    weeks = _whole_weeks(window)
    if weeks is None:
        raise ValueError("neighbours() needs a window of whole ISO weeks")
    wanted = sorted(set(nodes))
    out: dict[int, set[int]] = {n: set() for n in wanted}
    for i in range(0, len(wanted), 5000):
        part = wanted[i : i + 5000]
        for mine, other in (("actor_id", "target_id"), ("target_id", "actor_id")):
            stmt = select(getattr(E, mine), getattr(E, other)).where(
                E.week.in_(weeks), getattr(E, mine).in_(part)
            )
            for a, b in conn.execute(_scoped(stmt, E.platform, scope)):
                out[a].add(b)
    return out


def pair_kinds(
    conn: Connection, window: Window, u: int, v: int, scope: str = "all"
) -> dict[str, int]:
    """Per-kind counts of u -> v in a whole-week window."""
    weeks = _whole_weeks(window) or []
    stmt = (
        select(E.kind, func.sum(E.n))
        .where(E.week.in_(weeks), E.actor_id == u, E.target_id == v)
        .group_by(E.kind)
    )
    return {k: int(n) for k, n in conn.execute(_scoped(stmt, E.platform, scope))}


def is_whole_weeks(window: Window) -> bool:
    return _whole_weeks(window) is not None


def identity_map(conn: Connection, groups: Iterable[Sequence[str]]) -> dict[int, int]:
    """Account id -> the id that stands for its person: ``[identities]`` handle groups (the
    first handle found represents its group) and accounts bridged between networks.
    """
    out: dict[int, int] = bridged(conn)
    for group in groups:
        found = resolve_accounts(conn, group)
        ids = [out.get(found[h], found[h]) for h in group if h in found]
        for other in ids[1:]:
            out[other] = ids[0]
    return out


def bridged(conn: Connection) -> dict[int, int]:
    """Bridgy Fed mirrors -> the account they mirror (``docs/metrics.md``, "The other keys").

    A Bluesky account seen from the fediverse lives on ``bsky.brid.gy`` (handle
    ``alice.bsky.social@bsky.brid.gy``, or a ``*.bsky.brid.gy`` server) and is the Bluesky
    account with that handle; a fediverse account seen from Bluesky has the handle
    ``user.server.ap.brid.gy`` and is ``user@server``.  Mirrors of accounts we never saw
    natively stay as they are.
    """
    out: dict[int, int] = {}
    bsky = func.lower(A.server).like("%bsky.brid.gy")
    ap = func.lower(A.handle).like("%.ap.brid.gy")
    mirrors = conn.execute(select(A.id, A.handle).where(bsky | ap)).all()
    for aid, handle in mirrors:
        h = (handle or "").lower()
        if h.endswith(".ap.brid.gy"):
            user, _, host = h[: -len(".ap.brid.gy")].partition(".")
            native, platform = f"{user}@{host}", "mastodon"
        else:
            native, platform = h.split("@", 1)[0], "bluesky"
        row = conn.execute(
            select(A.id)
            .where(func.lower(A.handle) == native, A.platform == platform, A.id != aid)
            .order_by(A.id)
            .limit(1)
        ).first()
        if row is not None:
            out[aid] = int(row[0])
    return out
