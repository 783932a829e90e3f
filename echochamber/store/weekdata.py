"""A community week's conversations and the ties that hang on them, read in SQL (second edition).

A post belongs to the week of its conversation's root (``docs/metrics.md``, "The week").
The week's candidates are the posts written from the window's start to ``tail`` after its end
(the settling time); each is walked up its reply/quote chain.  A chain that leaves the
candidates at a post the store holds was rooted before the window, so the post is not counted
here (it counts in its root's week); a chain that ends at a post the store does not hold ends
at the oldest post we have, which is then the root.  Twitter and Bluesky carry the root's URI
(``root_uri``) and use it when the parent was never fetched.

A tie hangs on its *anchor* post, ``subject_uri``: the acting post of a reply, quote or
mention, the post acted on of a boost or favourite.  The week's ties are those anchored on its
posts.  Mention hygiene needs each reply's text and its parent's ties, which are read here and
judged in :mod:`echochamber.graph.hygiene`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from echochamber.models import WeekPost, WeekRows, WeekTie, Window
from echochamber.store.schema import InteractionRow, PostRow

P, T = PostRow, InteractionRow
_CHUNK = 900
SKEW = timedelta(hours=1)  # ties timed a little before their anchor (clocks across servers)
TAIL = timedelta(days=7)  # the default settling time: how long after its week a reply counts


def _scoped(stmt: Any, column: Any, scope: str) -> Any:
    return stmt if scope == "all" else stmt.where(column == scope)


def _existing(conn: Connection, uris: Iterable[str]) -> set[str]:
    wanted = sorted(set(uris))
    out: set[str] = set()
    for i in range(0, len(wanted), _CHUNK):
        out.update(conn.scalars(select(P.uri).where(P.uri.in_(wanted[i : i + _CHUNK]))))
    return out


def _roots(rows: dict[str, tuple[Any, ...]], outside: set[str]) -> dict[str, str | None]:
    """uri -> the uri of its conversation's root among ``rows`` (None: rooted outside)."""
    root: dict[str, str | None] = {}
    for uri in rows:
        path: list[str] = []
        seen: set[str] = set()
        node: str | None = uri
        found: str | None = None
        while node is not None:
            if node in root:
                found = root[node]
                break
            path.append(node)
            seen.add(node)
            parent, fallback = rows[node][1], rows[node][2]
            if parent is not None and parent in rows and parent not in seen:
                node = parent
                continue
            if parent is not None and parent in outside:
                found = None  # the conversation began before the window
            elif fallback is not None and fallback in rows and fallback not in seen:
                node = fallback
                continue
            elif fallback is not None and fallback in outside:
                found = None
            else:
                found = node
            break
        for p in path:
            root[p] = found
    return root


def week_rows(
    conn: Connection, window: Window, scope: str = "all", tail: timedelta = TAIL
) -> WeekRows:
    """The conversations rooted in ``window`` (posts up to ``tail`` after it) and their ties."""
    until = window.end + tail
    stmt = select(
        P.id,
        P.uri,
        P.in_reply_to_uri,
        P.quote_of_uri,
        P.root_uri,
        P.author_id,
        P.created_at,
        P.tagged,
        P.in_reply_to_account_id,
        P.in_reply_to_native,
        P.source,
    ).where(P.boost_of_uri.is_(None), P.created_at >= window.start, P.created_at < until)
    rows: dict[str, tuple[Any, ...]] = {}
    refs: dict[str, str | None] = {}
    for (
        pid,
        uri,
        reply,
        quote,
        root_uri,
        author,
        created,
        tagged,
        to,
        native,
        source,
    ) in conn.execute(_scoped(stmt, P.platform, scope)):
        parent = reply or quote
        fallback = root_uri if root_uri and root_uri != uri else None
        kind = "reply" if reply else ("quote" if quote else "root")
        rows[uri] = (pid, parent, fallback, kind, author, created, bool(tagged), to)
        refs[uri] = reply or (f"{source}#{native}" if native else None)
    asked = {r[1] for r in rows.values() if r[1] and r[1] not in rows}
    asked |= {r[2] for r in rows.values() if r[2] and r[2] not in rows}
    root = _roots(rows, _existing(conn, asked))
    posts: list[WeekPost] = []
    ids = {u: r[0] for u, r in rows.items()}
    for uri, (pid, parent, _fb, kind, author, created, tagged, to) in rows.items():
        r = root[uri]
        if r is None or not window.start <= rows[r][5] < window.end:
            continue
        up = ids.get(parent) if parent is not None and root.get(parent) == r else None
        if up is None and uri != r:
            up = ids[r]  # hangs on its root when only the root is known (root_uri)
        posts.append(
            WeekPost(
                pid, uri, up, kind if up else "root", author, created, tagged, ids[r], to, refs[uri]
            )
        )
    kept = {p.uri: p for p in posts}
    ties = _ties(conn, window.start - SKEW, until, scope, kept, rows)
    texts = _texts(conn, {t.anchor for t in ties if t.kind == "mention"}, posts)
    counts = {
        "posts": len(rows),
        "interactions": _count_ties(conn, window.start - SKEW, until, scope),
    }
    return WeekRows(posts, ties, texts, counts)


def _ties(
    conn: Connection,
    since: datetime,
    until: datetime,
    scope: str,
    kept: dict[str, WeekPost],
    rows: dict[str, tuple[Any, ...]],
) -> list[WeekTie]:
    stmt = select(
        T.kind, T.actor_id, T.target_id, T.subject_uri, T.target_uri, T.at, T.via_reply
    ).where(T.at >= since, T.at < until)
    out: list[WeekTie] = []
    for kind, actor, target, subject, target_uri, at, via in conn.execute(
        _scoped(stmt, T.platform, scope)
    ):
        anchor = kept.get(subject)
        if anchor is None:
            continue
        acted = rows.get(target_uri) if target_uri else None
        out.append(
            WeekTie(
                kind,
                actor,
                target,
                at,
                acted[5] if acted is not None else None,
                anchor.post_id,
                bool(via),
            )
        )
    return out


def _texts(conn: Connection, anchors: set[int], posts: list[WeekPost]) -> dict[int, str]:
    """Texts of the replies (parent known or not) that carry mentions."""
    wanted = sorted(p.post_id for p in posts if p.post_id in anchors and p.parent_ref)
    out: dict[int, str] = {}
    for i in range(0, len(wanted), _CHUNK):
        stmt = select(P.id, P.text).where(P.id.in_(wanted[i : i + _CHUNK]))
        out.update({pid: text or "" for pid, text in conn.execute(stmt)})
    return out


def _count_ties(conn: Connection, since: datetime, until: datetime, scope: str) -> int:
    stmt = select(func.count()).select_from(T.__table__).where(T.at >= since, T.at < until)
    return int(conn.execute(_scoped(stmt, T.platform, scope)).scalar_one())


def count_inputs(
    conn: Connection, window: Window, scope: str = "all", tail: timedelta = TAIL
) -> dict[str, int]:
    """The store rows a week is read from (to tell whether a stored snapshot is stale)."""
    until = window.end + tail
    stmt = (
        select(func.count())
        .select_from(P.__table__)
        .where(P.boost_of_uri.is_(None), P.created_at >= window.start, P.created_at < until)
    )
    return {
        "posts": int(conn.execute(_scoped(stmt, P.platform, scope)).scalar_one()),
        "interactions": _count_ties(conn, window.start - SKEW, until, scope),
    }
