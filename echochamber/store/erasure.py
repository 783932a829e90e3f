"""Erasure: anonymising or purging what the store holds of an account, and raw payloads that
name it; deleted posts' payloads.  Every function works inside one transaction the caller
gives, so a dry run is the same work rolled back.

*Anonymise* keeps the account as a node: its key becomes the hashed key the collector gives
opted-out accounts (:func:`echochamber.text.hashed_key`), handle, display name and profile
numbers go, its posts lose text and URL and their URIs (which carry the username) are hashed
in every row that refers to them, mentions of it in other texts are blanked, the raw payloads
that name it are deleted, and snapshots that name it are rewritten and marked stale.
*Purge* does that, then deletes its posts, every tie to or from it and the account itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, or_, select, update

from echochamber.store.accountweeks import erase_account_weeks, refresh_account_weeks
from echochamber.store.keys import _chunks, week_start
from echochamber.store.schema import (
    AccountRow,
    EdgeWeekRow,
    InteractionRow,
    PostObservationRow,
    PostRow,
    PostSourceRow,
    PostTagRow,
    RawPayloadRow,
    SnapshotRow,
    WatchRow,
)
from echochamber.store.snapshotrows import erase_snapshot_rows
from echochamber.text import blank_mentions, hashed_key, hashed_uri, is_hashed

accounts_t: Table = AccountRow.__table__  # type: ignore[assignment]
posts_t: Table = PostRow.__table__  # type: ignore[assignment]
ties_t: Table = InteractionRow.__table__  # type: ignore[assignment]
edges_t: Table = EdgeWeekRow.__table__  # type: ignore[assignment]
raw_t: Table = RawPayloadRow.__table__  # type: ignore[assignment]
snaps_t: Table = SnapshotRow.__table__  # type: ignore[assignment]

STALE = '{"stale": "consent"}'
"""The ``inputs`` of a snapshot an erasure changed: it matches no store, so it reads stale."""

_URI_COLUMNS = (
    (posts_t, "in_reply_to_uri"),
    (posts_t, "root_uri"),
    (posts_t, "boost_of_uri"),
    (posts_t, "quote_of_uri"),
    (ties_t, "subject_uri"),
    (ties_t, "target_uri"),
)


@dataclass(frozen=True)
class StoredAccount:
    """An account row as erasure needs it."""

    id: int
    platform: str
    key: str
    handle: str | None
    display_name: str | None


@dataclass
class Erasure:
    """What an erasure changed (or, in a dry run, would change)."""

    accounts: int = 0
    posts: int = 0
    texts: int = 0
    mentions: int = 0
    raw_payloads: int = 0
    ties: int = 0
    snapshots: int = 0
    ids: list[int] = field(default_factory=list)

    def add(self, other: Erasure) -> None:
        for k, v in asdict(other).items():
            if k != "ids":
                setattr(self, k, getattr(self, k) + v)
        self.ids.extend(other.ids)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "ids"}


def find_accounts(conn: Connection, idents: Iterable[str]) -> list[StoredAccount]:
    """Accounts named by handle (any case), key, or the hashed key of a key."""
    wanted = sorted({i.strip() for i in idents if i.strip()})
    if not wanted:
        return []
    bare = [w.casefold().removeprefix("acct:").lstrip("@") for w in wanted]
    lower = sorted({*bare, *(f"@{b}" for b in bare)})  # X keeps "@user", Mastodon "user@host"
    hashed = [hashed_key(p, w) for w in wanted for p in ("mastodon", "twitter", "bluesky")]
    a = accounts_t.c
    rows = conn.execute(
        select(a.id, a.platform, a.key, a.handle, a.display_name).where(
            or_(func.lower(a.handle).in_(lower), a.key.in_(wanted), a.key.in_(hashed))
        )
    ).all()
    return [StoredAccount(*r) for r in rows]


def accounts_by_key(conn: Connection, keys: Iterable[str]) -> list[StoredAccount]:
    """Stored accounts with exactly these keys."""
    out: list[StoredAccount] = []
    a = accounts_t.c
    for part in _chunks(sorted(set(keys))):
        rows = conn.execute(
            select(a.id, a.platform, a.key, a.handle, a.display_name).where(a.key.in_(part))
        ).all()
        out.extend(StoredAccount(*r) for r in rows)
    return out


def erase_raw(conn: Connection, markers: Iterable[str], since: datetime | None = None) -> int:
    """Delete raw payloads (fetched at or after ``since``) that contain any marker."""
    needles = [m.encode() for m in {m for m in markers if m and len(m) >= 4}]
    if not needles:
        return 0
    query = select(raw_t.c.id, raw_t.c.encoding, raw_t.c.body).order_by(raw_t.c.id)
    if since is not None:
        query = query.where(raw_t.c.fetched_at >= since)
    doomed: list[int] = []
    for pid, encoding, body in conn.execute(query):
        data = zlib.decompress(body) if encoding == "zlib" else bytes(body)
        if any(n in data for n in needles):
            doomed.append(pid)
    for part in _chunks(doomed):
        conn.execute(delete(raw_t).where(raw_t.c.id.in_(part)))
    return len(doomed)


def _rename_uris(conn: Connection, renames: Sequence[tuple[str, str]]) -> None:
    if not renames:
        return
    params = [{"old": o, "new": n} for o, n in renames]
    for table, name in _URI_COLUMNS:
        col = table.c[name]
        conn.execute(
            update(table).where(col == bindparam("old")).values({name: bindparam("new")}), params
        )


def _merge_into(conn: Connection, old: int, new: int) -> None:
    """Move everything of account ``old`` onto ``new`` (the same person, hashed) and drop it."""
    p, t, e = posts_t.c, ties_t.c, edges_t.c
    conn.execute(update(posts_t).where(p.author_id == old).values(author_id=new))
    conn.execute(
        update(posts_t).where(p.in_reply_to_account_id == old).values(in_reply_to_account_id=new)
    )
    have = {
        tuple(r)
        for r in conn.execute(
            select(t.kind, t.actor_id, t.target_id, t.subject_uri).where(
                or_(t.actor_id == new, t.target_id == new)
            )
        )
    }
    for tid, kind, actor, target, subject in conn.execute(
        select(t.id, t.kind, t.actor_id, t.target_id, t.subject_uri).where(
            or_(t.actor_id == old, t.target_id == old)
        )
    ).all():
        a2, t2 = (new if actor == old else actor), (new if target == old else target)
        if (kind, a2, t2, subject) in have or a2 == t2:
            conn.execute(delete(ties_t).where(t.id == tid))
        else:
            conn.execute(update(ties_t).where(t.id == tid).values(actor_id=a2, target_id=t2))
    conn.execute(delete(edges_t).where(or_(e.actor_id == old, e.target_id == old)))
    _rebuild_edges(conn, new)
    erase_account_weeks(conn, old, into=new)
    _stale(conn, erase_snapshot_rows(conn, old, None))
    conn.execute(delete(accounts_t).where(accounts_t.c.id == old))


def _rebuild_edges(conn: Connection, account: int) -> None:
    """The weekly edge counts of every tie to or from ``account``, counted again from the ties."""
    t, e = ties_t.c, edges_t.c
    conn.execute(delete(edges_t).where(or_(e.actor_id == account, e.target_id == account)))
    counts: dict[tuple[Any, ...], list[Any]] = {}
    for kind, actor, target, at, via, platform in conn.execute(
        select(t.kind, t.actor_id, t.target_id, t.at, t.via_reply, t.platform).where(
            or_(t.actor_id == account, t.target_id == account)
        )
    ):
        row = counts.setdefault((week_start(at), actor, target, kind), [platform, 0, 0])
        row[1] += 1
        row[2] += int(bool(via))
    rows = [
        {
            "week": w,
            "actor_id": a,
            "target_id": b,
            "kind": k,
            "platform": p,
            "n": n,
            "n_via_reply": v,
        }
        for (w, a, b, k), (p, n, v) in counts.items()
    ]
    if rows:
        conn.execute(edges_t.insert(), rows)


def _scrub_snapshots(conn: Connection, replace_with: dict[str, str], handle: str | None) -> int:
    """Rewrite snapshots whose roster or details name any of these strings (or mention
    ``handle``); mark them stale."""
    needles = {k: v for k, v in replace_with.items() if k and len(k) >= 3}
    if handle:
        needles.setdefault("@" + handle.lstrip("@").split("@", 1)[0], "@")
    if not needles:
        return 0
    s = snaps_t.c
    cond = or_(
        *(s.roster.contains(k, autoescape=True) for k in needles),
        *(s.details.contains(k, autoescape=True) for k in needles),
    )
    changed = 0
    for sid, roster, details in conn.execute(select(s.id, s.roster, s.details).where(cond)).all():
        for old, new in replace_with.items():
            roster = roster.replace(old, new)
            details = details.replace(old, new) if details else details
        if handle:
            roster = blank_mentions(roster, [handle])
            details = blank_mentions(details, [handle]) if details else details
        conn.execute(
            update(snaps_t).where(s.id == sid).values(roster=roster, details=details, inputs=STALE)
        )
        changed += 1
    return changed


def anonymise_account(conn: Connection, acc: StoredAccount) -> Erasure:
    """Anonymise one stored account (see the module docstring); idempotent."""
    out = Erasure(ids=[acc.id])
    a, p = accounts_t.c, posts_t.c
    new_key = acc.key if is_hashed(acc.key) else hashed_key(acc.platform, acc.key)
    target = acc.id
    if new_key != acc.key:
        other = conn.scalar(select(a.id).where(a.key == new_key))
        if other is not None:
            _merge_into(conn, acc.id, other)
            target = other
            out.ids = [other]
    res = conn.execute(
        update(accounts_t)
        .where(a.id == target)
        .values(
            key=new_key,
            handle=None,
            display_name=None,
            followers=None,
            following=None,
            discoverable=None,
            created_at=None,
            noindex=True,
        )
    )
    changed_account = bool(acc.handle or acc.display_name or new_key != acc.key)
    out.accounts = int(bool(res.rowcount) and changed_account)
    posts = conn.execute(
        select(p.id, p.platform, p.uri, p.url, p.text).where(p.author_id == target)
    ).all()
    taken = set(
        conn.scalars(select(p.uri).where(p.uri.in_([hashed_uri(r.platform, r.uri) for r in posts])))
    )
    renames = []
    markers = [acc.key, acc.handle or ""]
    for r in posts:
        markers += [r.uri, r.url or ""]
        values: dict[str, Any] = {"text": "", "url": None}
        if not is_hashed(r.uri):
            h = hashed_uri(r.platform, r.uri)
            if h not in taken:
                values["uri"] = h
                renames.append((r.uri, h))
        if r.text or r.url or "uri" in values:
            out.posts += 1
            out.texts += int(bool(r.text))
            conn.execute(update(posts_t).where(p.id == r.id).values(**values))
    _rename_uris(conn, renames)
    boosted = [n for _, n in renames] + [r.uri for r in posts if is_hashed(r.uri)]
    for part in _chunks(boosted):  # a boost may carry the boosted text
        conn.execute(update(posts_t).where(p.boost_of_uri.in_(part)).values(text=""))
    if acc.handle:
        user = acc.handle.lstrip("@").split("@", 1)[0]
        for pid, text in conn.execute(
            select(p.id, p.text).where(p.text.contains(f"@{user}", autoescape=True))
        ).all():
            clean = blank_mentions(text, [acc.handle])
            if clean != text:
                conn.execute(update(posts_t).where(p.id == pid).values(text=clean))
                out.mentions += 1
    out.raw_payloads = erase_raw(conn, markers)
    swaps = {f'"{old}"': f'"{new}"' for old, new in renames}
    swaps[f'"{acc.key}"'] = f'"{new_key}"'
    if acc.handle:
        swaps[f'"{acc.handle}"'] = f'"{new_key}"'
    if acc.display_name:
        swaps[f'"{acc.display_name}"'] = '""'
    out.snapshots = _scrub_snapshots(conn, swaps, acc.handle)
    out.snapshots += _stale(conn, erase_snapshot_rows(conn, target, new_key))
    return out


def _stale(conn: Connection, snapshots: Sequence[int]) -> int:
    """Mark these snapshots stale (an erasure changed what they were computed from)."""
    for part in _chunks(sorted(set(snapshots))):
        conn.execute(update(snaps_t).where(snaps_t.c.id.in_(part)).values(inputs=STALE))
    return len(set(snapshots))


def purge_account(conn: Connection, acc: StoredAccount) -> Erasure:
    """Anonymise, then delete the account's posts, every tie to or from it and the account;
    the snapshots of the weeks those touched are marked stale."""
    out = anonymise_account(conn, acc)
    aid = out.ids[0]
    p, t, e = posts_t.c, ties_t.c, edges_t.c
    post_rows = conn.execute(select(p.id, p.created_at).where(p.author_id == aid)).all()
    times = [r.created_at for r in post_rows]
    times += [
        r[0] for r in conn.execute(select(t.at).where(or_(t.actor_id == aid, t.target_id == aid)))
    ]
    ids = [r.id for r in post_rows]
    for part in _chunks(ids):
        for table in (PostTagRow, PostSourceRow, WatchRow, PostObservationRow):
            tbl: Table = table.__table__  # type: ignore[assignment]
            conn.execute(delete(tbl).where(tbl.c.post_id.in_(part)))
    others = {
        a
        for row in conn.execute(
            select(t.actor_id, t.target_id).where(or_(t.actor_id == aid, t.target_id == aid))
        )
        for a in row
        if a != aid
    }
    res = conn.execute(delete(ties_t).where(or_(t.actor_id == aid, t.target_id == aid)))
    out.ties = res.rowcount or 0
    conn.execute(delete(edges_t).where(or_(e.actor_id == aid, e.target_id == aid)))
    conn.execute(
        update(posts_t).where(p.in_reply_to_account_id == aid).values(in_reply_to_account_id=None)
    )
    for part in _chunks(ids):
        conn.execute(delete(posts_t).where(p.id.in_(part)))
    out.posts = len(ids)
    erase_account_weeks(conn, aid)
    erase_snapshot_rows(conn, aid, None)
    if times:  # the others' acts on (or by) it are gone: their weekly rows counted again
        refresh_account_weeks(conn, others, times)
    conn.execute(delete(accounts_t).where(accounts_t.c.id == aid))
    out.accounts = 1
    if times:
        s = snaps_t.c
        res = conn.execute(
            update(snaps_t)
            .where(s.window_end > min(times))  # its week, and later rosters' trailing weeks
            .values(inputs=STALE)
        )
        out.snapshots += res.rowcount or 0
    return out
