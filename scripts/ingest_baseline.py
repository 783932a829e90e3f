#!/usr/bin/env python3
"""The floor that ``bench.py ingest`` measures echochamber's import against: plain scripts.

    python scripts/ingest_baseline.py sqlite FILE DB_PATH
    python scripts/ingest_baseline.py postgresql FILE CONNINFO

Each reads Mastodon Status JSON lines and writes the rows ``echochamber import --format
mastodon`` writes of them into a store that ``init_db`` created (so the same tables, indexes,
foreign keys and unique keys): accounts (upserted), posts and the boosted originals, tags, the
post's local id per server, one observation per post, the reply/mention/boost ties, the weekly
tie counts and the raw chunk (zlib level 1), in transactions of 2,000 statuses, with the
store's durability settings (SQLite: WAL, synchronous=NORMAL, foreign keys on).  What it skips
that echochamber does: HTML to text, cleaning, deletions, replies linked across chunks, the
rules that merge a later view of a post into an earlier one.

SQLite: ``executemany`` per table, ids looked up once per key.  PostgreSQL: ``COPY`` into
temporary staging tables, then one ``INSERT ... SELECT ... ON CONFLICT`` per table.
Only the standard library, orjson and psycopg: its start-up is part of what is measured.
"""

from __future__ import annotations

import sys
import zlib
from collections import Counter
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson

CHUNK = 2000
SERVER = "mastodon.social"


def _time(s: str | None) -> str | None:
    """Mastodon's ``2024-01-02T03:04:05.000Z`` as the store's UTC text."""
    if not s:
        return None
    return f"{s[:10]} {s[11:19]}.{(s[20:23] if s[19:20] == '.' else '000')}000"


def _week(t: str) -> str:
    d = date.fromisoformat(t[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


class Rows:
    """The rows of one chunk, as tuples keyed by natural keys (account key, post URI)."""

    def __init__(self, now: str) -> None:
        self.now = now
        self.accounts: dict[str, tuple[Any, ...]] = {}
        self.posts: dict[str, tuple[Any, ...]] = {}
        self.tags: set[tuple[str, str]] = set()
        self.ties: dict[tuple[str, str, str, str], tuple[Any, ...]] = {}
        self.local: dict[str, str] = {}

    def account(self, a: dict[str, Any]) -> str:
        key = a["url"]
        acct = a["acct"]
        handle = acct if "@" in acct else f"{acct}@{urlsplit(key).netloc}"
        self.accounts[key] = (
            "mastodon",
            key,
            handle,
            a.get("display_name") or None,
            handle.split("@", 1)[1],
            a.get("followers_count"),
            a.get("following_count"),
            bool(a.get("bot")),
            bool(a.get("noindex")),
            a.get("discoverable"),
            _time(a.get("created_at")),
            self.now,
            self.now,
        )
        self.local[str(a["id"])] = key
        return key  # type: ignore[no-any-return]

    def status(self, s: dict[str, Any], tracked: frozenset[str]) -> str:
        me = self.account(s["account"])
        uri = s["uri"]
        at = _time(s["created_at"])
        boosted = s.get("reblog")
        boost_of = self.status(boosted, tracked) if boosted else None
        tags = {t["name"].lower() for t in s.get("tags") or ()}
        mentions = []
        for m in s.get("mentions") or ():
            key = self.local.get(m["url"], m["url"])
            mentions.append(key)
            self.local.setdefault(str(m["id"]), key)
            if key not in self.accounts:
                handle = m["acct"] if "@" in m["acct"] else f"{m['acct']}@{urlsplit(key).netloc}"
                server = handle.split("@", 1)[1]
                self.accounts[key] = ("mastodon", key, handle, None, server, None, None)
                self.accounts[key] += (False, False, None, None, self.now, self.now)
        target = None
        if s.get("in_reply_to_account_id") is not None:
            target = self.local.get(str(s["in_reply_to_account_id"]))
        self.posts[uri] = (
            "mastodon",
            uri,
            s["id"],
            me,
            at,
            s.get("content") or "",
            s.get("language"),
            s.get("url"),
            s.get("in_reply_to_id"),
            target,
            boost_of,
            s.get("replies_count"),
            s.get("reblogs_count"),
            s.get("favourites_count"),
            s.get("quotes_count"),
            bool(tags & tracked) and boost_of is None,
            SERVER,
            self.now,
            SERVER if urlsplit(uri).netloc == SERVER else None,
            urlsplit(uri).netloc == SERVER,
        )
        self.tags.update((uri, t) for t in tags)
        if boosted:
            b = boosted["account"]["url"]
            if b != me:
                self.ties[("boost", me, b, boost_of)] = (False, boost_of, at)  # type: ignore[index]
        else:
            if target and target != me:
                self.ties[("reply", me, target, uri)] = (False, None, at)
            for key in dict.fromkeys(mentions):
                if key != me:
                    self.ties[("mention", me, key, uri)] = (key == target, None, at)
        return uri  # type: ignore[no-any-return]


def chunks(path: str) -> Any:
    with open(path, "rb") as fh:
        lines: list[bytes] = []
        for line in fh:
            if line.strip():
                lines.append(line.rstrip(b"\n"))
            if len(lines) >= CHUNK:
                yield lines
                lines = []
        if lines:
            yield lines


def parse(lines: list[bytes], now: str) -> Rows:
    rows = Rows(now)
    for line in lines:
        rows.status(orjson.loads(line), frozenset())
    return rows


ACCOUNT_COLS = (
    "platform, key, handle, display_name, server, followers, following, bot, noindex,"
    " discoverable, created_at, first_seen, last_seen"
)
ACCOUNT_SET = (
    "handle = coalesce(excluded.handle, accounts.handle),"
    " display_name = coalesce(excluded.display_name, accounts.display_name),"
    " followers = coalesce(excluded.followers, accounts.followers),"
    " following = coalesce(excluded.following, accounts.following),"
    " last_seen = excluded.last_seen"
)
POST_COLS = (
    "platform, uri, native_id, author_id, created_at, text, language, url, in_reply_to_native,"
    " in_reply_to_account_id, boost_of_uri, replies_count, boosts_count, favourites_count,"
    " quotes_count, tagged, source, collected_at, counts_server, counts_home"
)


def sqlite_main(path: str, db_path: str, now: str) -> None:
    import sqlite3

    db = sqlite3.connect(db_path)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    ids: dict[str, int] = {}
    pids: dict[str, int] = {}

    def lookup(sql: str, keys: list[str], out: dict[str, int]) -> None:
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            out.update(db.execute(sql % ",".join("?" * len(part)), part).fetchall())

    for lines in chunks(path):
        r = parse(lines, now)
        db.executemany(
            f"INSERT INTO accounts ({ACCOUNT_COLS}) VALUES ({','.join('?' * 13)})"
            f" ON CONFLICT (key) DO UPDATE SET {ACCOUNT_SET}",
            sorted(r.accounts.values(), key=lambda a: a[1]),
        )
        lookup(
            "SELECT key, id FROM accounts WHERE key IN (%s)",
            [k for k in r.accounts if k not in ids],
            ids,
        )
        db.executemany(
            f"INSERT INTO posts ({POST_COLS}) VALUES ({','.join('?' * 20)})"
            " ON CONFLICT (uri) DO NOTHING",
            [(*p[:3], ids[p[3]], *p[4:9], ids.get(p[9]), *p[10:]) for p in r.posts.values()],
        )
        lookup("SELECT uri, id FROM posts WHERE uri IN (%s)", list(r.posts), pids)
        db.executemany(
            "INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?, ?)",
            [(pids[u], t) for u, t in r.tags],
        )
        db.executemany(
            "INSERT OR IGNORE INTO post_sources (server, native_id, post_id) VALUES (?, ?, ?)",
            [(SERVER, p[2], pids[u]) for u, p in r.posts.items()],
        )
        db.executemany(
            "INSERT OR IGNORE INTO post_observations (post_id, server, home, with_token,"
            " first_seen, last_seen, replies_count, boosts_count, favourites_count,"
            " quotes_count) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            [(pids[u], SERVER, p[19], now, now, *p[11:15]) for u, p in r.posts.items()],
        )
        ties = [
            ("mastodon", k, ids[a], ids[b], s, via, tu, at, now)
            for (k, a, b, s), (via, tu, at) in r.ties.items()
        ]
        cur = db.executemany(
            "INSERT OR IGNORE INTO interactions (platform, kind, actor_id, target_id,"
            " subject_uri, via_reply, target_uri, at, observed_at) VALUES (?,?,?,?,?,?,?,?,?)",
            ties,
        )
        weeks: Counter[tuple[Any, ...]] = Counter()
        via: Counter[tuple[Any, ...]] = Counter()
        if cur.rowcount:  # a fresh store: every tie is new
            for t in ties:
                weeks[(_week(t[7]), t[2], t[3], t[1])] += 1
                via[(_week(t[7]), t[2], t[3], t[1])] += t[5]
        db.executemany(
            "INSERT INTO edge_weeks (week, actor_id, target_id, kind, platform, n, n_via_reply)"
            " VALUES (?, ?, ?, ?, 'mastodon', ?, ?) ON CONFLICT DO UPDATE SET"
            " n = n + excluded.n, n_via_reply = n_via_reply + excluded.n_via_reply",
            [(*k, n, via[k]) for k, n in weeks.items()],
        )
        db.execute(
            "INSERT INTO raw_payloads (platform, source, endpoint, fetched_at, encoding, body)"
            " VALUES ('mastodon', 'baseline', 'baseline', ?, 'zlib', ?)",
            (now, zlib.compress(b"\n".join(lines), 1)),
        )
        db.commit()
    db.close()


STAGES = {
    "s_accounts": "(LIKE accounts INCLUDING DEFAULTS)",
    "s_posts": "(platform text, uri text, native_id text, author text, created_at timestamp,"
    " text text, language text, url text, in_reply_to_native text, reply_account text,"
    " boost_of_uri text, replies_count int, boosts_count int, favourites_count int,"
    " quotes_count int, tagged bool, source text, collected_at timestamp, counts_server text,"
    " counts_home bool)",
    "s_tags": "(uri text, tag text)",
    "s_ties": "(kind text, actor text, target text, subject_uri text, via_reply bool,"
    " target_uri text, at timestamp)",
}


def postgresql_main(path: str, conninfo: str, now: str) -> None:
    import psycopg

    with psycopg.connect(conninfo) as db:
        for name, shape in STAGES.items():
            db.execute(f"CREATE TEMPORARY TABLE {name} {shape} ON COMMIT DELETE ROWS")
        db.commit()
        for lines in chunks(path):
            r = parse(lines, now)
            cur = db.cursor()
            with cur.copy(f"COPY s_accounts ({ACCOUNT_COLS}) FROM STDIN") as cp:
                for a in r.accounts.values():
                    cp.write_row(a)
            with cur.copy("COPY s_posts FROM STDIN") as cp:
                for p in r.posts.values():
                    cp.write_row(p)
            with cur.copy("COPY s_tags FROM STDIN") as cp:
                for t in r.tags:
                    cp.write_row(t)
            with cur.copy("COPY s_ties FROM STDIN") as cp:
                for (k, a, b, s), rest in r.ties.items():
                    cp.write_row((k, a, b, s, *rest))
            cur.execute(
                f"INSERT INTO accounts ({ACCOUNT_COLS}) SELECT {ACCOUNT_COLS} FROM s_accounts"
                f" ORDER BY key ON CONFLICT (key) DO UPDATE SET {ACCOUNT_SET}"
            )
            cur.execute(
                f"INSERT INTO posts ({POST_COLS}) SELECT s.platform, s.uri, s.native_id, a.id,"
                " s.created_at, s.text, s.language, s.url, s.in_reply_to_native, r.id,"
                " s.boost_of_uri, s.replies_count, s.boosts_count, s.favourites_count,"
                " s.quotes_count, s.tagged, s.source, s.collected_at, s.counts_server,"
                " s.counts_home FROM s_posts s JOIN accounts a ON a.key = s.author"
                " LEFT JOIN accounts r ON r.key = s.reply_account ORDER BY s.uri"
                " ON CONFLICT (uri) DO NOTHING"
            )
            cur.execute(
                "INSERT INTO post_tags (post_id, tag) SELECT p.id, s.tag FROM s_tags s"
                " JOIN posts p ON p.uri = s.uri ON CONFLICT DO NOTHING"
            )
            cur.execute(
                "INSERT INTO post_sources (server, native_id, post_id) SELECT s.source,"
                " s.native_id, p.id FROM s_posts s JOIN posts p ON p.uri = s.uri"
                " ON CONFLICT DO NOTHING"
            )
            cur.execute(
                "INSERT INTO post_observations (post_id, server, home, with_token, first_seen,"
                " last_seen, replies_count, boosts_count, favourites_count, quotes_count)"
                " SELECT p.id, s.source, s.counts_home, false, s.collected_at, s.collected_at,"
                " s.replies_count, s.boosts_count, s.favourites_count, s.quotes_count"
                " FROM s_posts s JOIN posts p ON p.uri = s.uri ON CONFLICT DO NOTHING"
            )
            cur.execute(
                "WITH new AS (INSERT INTO interactions (platform, kind, actor_id, target_id,"
                " subject_uri, via_reply, target_uri, at, observed_at)"
                " SELECT 'mastodon', s.kind, a.id, b.id, s.subject_uri, s.via_reply,"
                " s.target_uri, s.at, %s FROM s_ties s JOIN accounts a ON a.key = s.actor"
                " JOIN accounts b ON b.key = s.target ON CONFLICT DO NOTHING"
                " RETURNING kind, actor_id, target_id, at, via_reply)"
                " INSERT INTO edge_weeks (week, actor_id, target_id, kind, platform, n,"
                " n_via_reply) SELECT date_trunc('week', at)::date, actor_id, target_id, kind,"
                " 'mastodon', count(*), count(*) FILTER (WHERE via_reply) FROM new"
                " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
                " ON CONFLICT (week, actor_id, target_id, kind) DO UPDATE SET"
                " n = edge_weeks.n + excluded.n,"
                " n_via_reply = edge_weeks.n_via_reply + excluded.n_via_reply",
                (now,),
            )
            cur.execute(
                "INSERT INTO raw_payloads (platform, source, endpoint, fetched_at, encoding,"
                " body) VALUES ('mastodon', 'baseline', 'baseline', %s, 'zlib', %s)",
                (now, zlib.compress(b"\n".join(lines), 1)),
            )
            db.commit()


def main() -> None:
    kind, path, target = sys.argv[1:4]
    now = "2026-01-01 00:00:00.000000"
    if kind == "sqlite":
        sqlite_main(path, target, now)
    else:
        postgresql_main(path, target, now)


if __name__ == "__main__":
    main()
