"""Per-account weekly activity and first-seen times, kept at ingest (``account_weeks``).

The roster ranks accounts by their activity over trailing weeks and ``new_voices`` asks when
each participant was first seen; both used to aggregate ``posts`` and ``edge_weeks`` over
whole spans (all history, for first-seen times) on every snapshot.  ``account_weeks`` keeps,
per (ISO week, account, platform):

* ``posts``: tagged, non-boost, non-deleted posts written that week;
* ``acts``: acts made that week (``edge_weeks`` counts of reply, quote, boost, favourite;
  never mention objects), the roster's ranking;
* ``first_at``: the earliest sign of the account that week: the week's Monday when it made
  any tie (``edge_weeks`` is weekly), else its earliest post (any post) of the week;
* ``first_root_at``, ``last_root_at``: its first and last tagged post that starts a
  conversation that week (the span of weeks with data, read by every window command).

:func:`refresh_account_weeks` recomputes the rows of the (account, week) pairs a batch touched
from the rows themselves (idempotent: storing a batch twice leaves them as they are);
:func:`rebuild_account_weeks` recomputes every row (the migration's backfill).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, or_, select

from echochamber.store.keys import _chunks, dialect_insert, week_start
from echochamber.store.schema import AccountWeekRow, EdgeWeekRow, PostRow

W, E, P = AccountWeekRow, EdgeWeekRow, PostRow
weeks_t: Table = AccountWeekRow.__table__  # type: ignore[assignment]
Key = tuple[date, int, str]


def _monday(week: Any) -> datetime:
    return datetime(week.year, week.month, week.day, tzinfo=UTC)


def _tally(conn: Connection, post_cond: Any, edge_cond: Any) -> dict[Key, list[Any]]:
    rows: dict[Key, list[Any]] = {}
    stmt = select(
        P.author_id,
        P.platform,
        P.created_at,
        P.tagged,
        P.boost_of_uri,
        P.deleted_at,
        P.in_reply_to_uri,
        P.in_reply_to_native,
    ).where(post_cond)
    for author, platform, created, tagged, boost, deleted, reply, native in conn.execute(stmt):
        row = rows.setdefault((week_start(created), author, platform), [0, 0, None, None, None])
        row[0] += int(bool(tagged) and boost is None and deleted is None)
        row[2] = created if row[2] is None or created < row[2] else row[2]
        if tagged and reply is None and native is None:  # a tagged post that starts one
            row[3] = created if row[3] is None or created < row[3] else row[3]
            row[4] = created if row[4] is None or created > row[4] else row[4]
    stmt2 = (
        select(E.week, E.actor_id, E.platform, E.kind, func.sum(E.n))
        .where(edge_cond)
        .group_by(E.week, E.actor_id, E.platform, E.kind)
    )
    for week, actor, platform, kind, n in conn.execute(stmt2):
        row = rows.setdefault((week, actor, platform), [0, 0, None, None, None])
        row[1] += int(n or 0) if kind != "mention" else 0
        row[2] = _monday(week)  # a tie that week: seen since its Monday (edge_weeks is weekly)
    return rows


def _write(conn: Connection, rows: dict[Key, list[Any]]) -> None:
    if not rows:
        return
    names = ("posts", "acts", "first_at", "first_root_at", "last_root_at")
    values = [
        {"week": w, "account_id": a, "platform": p, **dict(zip(names, r, strict=True))}
        for (w, a, p), r in sorted(rows.items())
    ]
    ins = dialect_insert(conn, weeks_t)
    up = ins.on_conflict_do_update(
        index_elements=[weeks_t.c.week, weeks_t.c.account_id, weeks_t.c.platform],
        set_={k: getattr(ins.excluded, k) for k in names},
    )
    for i in range(0, len(values), 500):
        conn.execute(up, values[i : i + 500])


def refresh_account_weeks(
    conn: Connection, accounts: Iterable[int], moments: Iterable[datetime]
) -> None:
    """Recompute the ``account_weeks`` rows of ``accounts`` for the weeks of ``moments``
    (the times of the posts and ties a batch stored or removed), inside the caller's
    transaction: the one call the ingest path makes at the end of a batch."""
    weeks = sorted({week_start(m) for m in moments})
    ids = sorted(set(accounts))
    if not weeks or not ids:
        return
    for part in _chunks(ids, 900):
        spans = [
            and_(P.created_at >= _monday(w), P.created_at < _monday(w) + timedelta(days=7))
            for w in weeks
        ]
        rows = _tally(
            conn,
            and_(P.author_id.in_(part), or_(*spans)),
            and_(E.actor_id.in_(part), E.week.in_(weeks)),
        )
        conn.execute(
            delete(weeks_t).where(weeks_t.c.account_id.in_(part), weeks_t.c.week.in_(weeks))
        )
        _write(conn, rows)


def rebuild_account_weeks(conn: Connection) -> None:
    """Recompute every ``account_weeks`` row from ``posts`` and ``edge_weeks``."""
    conn.execute(delete(weeks_t))
    _write(conn, _tally(conn, P.id.is_not(None), E.n.is_not(None)))


def activity_weeks(conn: Connection, weeks: Sequence[date], scope: str = "all") -> dict[int, int]:
    """Tagged posts plus acts per account over whole ISO weeks (the roster's ranking)."""
    stmt = select(W.account_id, func.sum(W.posts + W.acts)).where(W.week.in_(list(weeks)))
    if scope != "all":
        stmt = stmt.where(W.platform == scope)
    stmt = stmt.group_by(W.account_id)
    return {a: int(n) for a, n in conn.execute(stmt) if n}


def first_seen(conn: Connection, ids: Sequence[int]) -> dict[int, datetime]:
    """The earliest post or tie of each account (its first week's ``first_at``)."""
    out: dict[int, datetime] = {}
    for part in _chunks(sorted(set(ids)), 900):
        stmt = (
            select(W.account_id, func.min(W.first_at))
            .where(W.account_id.in_(part), W.first_at.is_not(None))
            .group_by(W.account_id)
        )
        for aid, t in conn.execute(stmt):
            if t is not None:
                out[aid] = t if isinstance(t, datetime) else datetime.fromisoformat(str(t))
    return {a: (t if t.tzinfo else t.replace(tzinfo=UTC)) for a, t in out.items()}


def refresh_for_batch(
    conn: Connection, posts: Sequence[Any], ties: Sequence[Any], ids: dict[str, int]
) -> None:
    """:func:`refresh_account_weeks` for what one ingest batch stored: its posts' authors and
    its ties' actors, in the weeks of their times."""
    accounts = {ids[p.author] for p in posts if p.author in ids}
    for t in ties:
        if t.actor.startswith("#id:"):
            accounts.add(int(t.actor[4:]))
        elif t.actor in ids:
            accounts.add(ids[t.actor])
    moments = [p.created_at for p in posts] + [t.at for t in ties]
    refresh_account_weeks(conn, accounts, moments)


def refresh_for_deleted(conn: Connection, uris: Sequence[str], ties: Sequence[Any]) -> None:
    """:func:`refresh_account_weeks` after posts were marked deleted and their ties removed
    (``ties``: rows of kind, actor, target, at, ...)."""
    accounts = {int(r[1]) for r in ties}
    moments = [r[3] for r in ties]
    for part in _chunks(sorted(set(uris)), 900):
        for author, created in conn.execute(
            select(P.author_id, P.created_at).where(P.uri.in_(part))
        ):
            accounts.add(author)
            moments.append(created)
    refresh_account_weeks(conn, accounts, moments)


def erase_account_weeks(conn: Connection, gone: int, into: int | None = None) -> None:
    """An erasure's part: the rows of account ``gone`` are dropped; with ``into`` (the same
    person under a hashed key, now holding ``gone``'s posts and ties) that account's rows are
    recomputed for those weeks."""
    weeks = [r[0] for r in conn.execute(select(W.week).where(W.account_id == gone))]
    conn.execute(delete(weeks_t).where(W.account_id == gone))
    if into is not None and weeks:
        refresh_account_weeks(conn, [into], [_monday(w) for w in weeks])


def root_spans(conn: Connection, scope: str = "all") -> list[tuple[datetime, datetime]]:
    """For each ISO week holding a tagged post that starts a conversation, the first and the
    last such post (``weeks_with_data``: a few rows a week, read from the kept aggregates)."""
    stmt = select(func.min(W.first_root_at), func.max(W.last_root_at)).where(
        W.first_root_at.is_not(None)
    )
    if scope != "all":
        stmt = stmt.where(W.platform == scope)
    stmt = stmt.group_by(W.week).order_by(W.week)
    return [(lo, hi) for lo, hi in conn.execute(stmt)]
