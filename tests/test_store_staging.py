"""Fast ingest paths write what the plain paths write: PostgreSQL's COPY staging against its
executemany, and the normaliser's shortcuts against the long way round."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, text

from echochamber.collect import clean
from echochamber.collect.normalize_mastodon import normalize_statuses
from echochamber.models import Batch
from echochamber.store.engine import init_db, make_engine
from echochamber.store.ingest import store_batch
from echochamber.store.observations import mark_deleted
from echochamber.text import normalize_tag, server_host
from tests.conftest import fixture_path

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TABLES = (
    "accounts",
    "posts",
    "post_tags",
    "post_sources",
    "post_observations",
    "interactions",
    "edge_weeks",
)


def _statuses() -> list[dict[str, Any]]:
    import yaml

    cassette = yaml.safe_load(
        fixture_path("rtoot_vcr_fixtures", "handle_params_max_id.yml").read_text()
    )
    return [
        s
        for it in cassette["http_interactions"]
        for s in json.loads(it["response"]["body"]["string"])
    ]


def _dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]
            for t in TABLES
        }


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


def test_postgresql_copy_staging_writes_what_executemany_writes(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real pages stored through COPY into staging tables give the same rows in every table as
    the row-by-row statements: a page, a Twitter page, the same page again (nothing changes),
    newer counts, a deletion and the page once more (the deleted posts' ties stay out)."""
    from echochamber.collect.normalize_twitter import normalize_records
    from echochamber.store import bulk, staging

    statuses = _statuses()
    page = json.loads(
        fixture_path("twarc_csv_test_data", "brexit.jsonl").read_bytes().split(b"\n")[0]
    )
    newer = [{**s, "replies_count": 99, "favourites_count": 7} for s in statuses[:50]]

    def mastodon(items: list[dict[str, Any]]) -> Batch:
        return normalize_statuses(items, server="https://mastodon.social", tracked=["ichbinhanna"])

    gone = [statuses[3]["uri"], statuses[10]["uri"]]
    engine = make_engine(pg_server_url)
    init_db(engine)

    def store_all() -> list[dict[str, list[tuple[object, ...]]]]:
        _empty(engine)
        dumps = []
        steps: list[tuple[str, Any]] = [
            ("store", mastodon(statuses)),
            ("store", normalize_records([page], tracked=["brexit"])),
            ("again", mastodon(statuses)),
            ("store", mastodon(newer)),
            ("delete", gone),
            ("store", mastodon(statuses)),
        ]
        for i, (what, arg) in enumerate(steps):
            at = NOW + timedelta(hours=i if what != "again" else 0)
            with engine.begin() as conn:
                if what == "delete":
                    mark_deleted(conn, arg, at)
                else:
                    store_batch(conn, arg, now=at)
            dumps.append(_dump(engine))
        return dumps

    staged: list[str] = []
    real = staging.execute_staged

    def counted(conn: Any, table: Any, stmt: Any, rows: Any) -> Any:
        staged.append(table.name)
        return real(conn, table, stmt, rows)

    monkeypatch.setattr(bulk, "execute_staged", counted)
    monkeypatch.setattr(bulk, "STAGE_ROWS", 1)
    fast = store_all()
    assert {"accounts", "posts", "post_tags", "interactions", "edge_weeks"} <= set(staged)
    monkeypatch.setattr(bulk, "STAGE_ROWS", 10**9)  # executemany only
    staged.clear()
    slow = store_all()
    engine.dispose()
    assert not staged
    assert fast == slow
    final = fast[-1]
    assert len(final["posts"]) > 200 and len(final["interactions"]) > 100
    assert fast[2] == fast[1]  # the same page again at the same moment: nothing changes
    assert fast[3] != fast[2]  # newer counts were taken
    subjects = {r[5] for r in final["interactions"]}
    assert not subjects & set(gone)  # a deleted post's ties do not come back
    uris = {r[2]: r for r in final["posts"]}
    assert all(uris[u][6] == "" for u in gone)  # nor does its text


def test_clean_shortcut_matches_the_full_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cleaner's fast checks pass a record unchanged exactly when the full rules would
    change nothing (real statuses, and hostile variants of them)."""
    from echochamber.collect import normalize_mastodon

    statuses = _statuses()
    hostile = []
    for i, s in enumerate(statuses[:60]):
        s = json.loads(json.dumps(s))
        name = "x\u202e" * (i % 3) + "y" * (300 * (i % 4))
        s["account"] = dict(s["account"], display_name=name, followers_count=2**70 * (i % 2))
        if i % 5 == 0:
            s["uri"] = s["uri"] + "/" + "u" * 1100
        if i % 7 == 0:
            s["tags"] = [{"name": "T\x07ag"}, {"name": "tag"}]
        if i % 6 == 0:
            s["replies_count"] = 2**40
        if i % 4 == 1:
            s["language"] = "x" * 20
        hostile.append(s)
    monkeypatch.setattr(normalize_mastodon, "clean_batch", lambda batch: batch)
    raw = [
        normalize_statuses(items, server="https://mastodon.social") for items in (statuses, hostile)
    ]
    monkeypatch.undo()
    shortcut = {"accounts": 0, "posts": 0, "ties": 0}
    for batch in raw:
        for name, records, tidy in (
            ("accounts", batch.accounts, clean._account),
            ("posts", batch.posts, clean._post),
            ("ties", batch.interactions, clean._tie),
        ):
            for r in records:
                quick = tidy(clean._Cleaner(), r)  # type: ignore[arg-type]
                with monkeypatch.context() as m:
                    m.setattr(clean, "_fits", lambda *a: False)
                    m.setattr(clean, "_post_clean", lambda *a: False)
                    slow = tidy(clean._Cleaner(), r)  # type: ignore[arg-type]
                assert quick == slow
                shortcut[name] += quick is r
    assert all(shortcut.values())  # the shortcut was taken
    notes = normalize_statuses(hostile, server="https://mastodon.social").notes
    assert any("over" in n for n in notes) and any("more cleaning notes" in n for n in notes)


def test_equal_account_objects_make_equal_accounts() -> None:
    """An account built once for the page is the account its other statuses would make;
    a different count or a ``true`` where ``1`` was makes another."""
    statuses = _statuses()
    one = normalize_statuses(statuses, server="https://mastodon.social")
    each = [normalize_statuses([s], server="https://mastodon.social") for s in statuses]
    by_key = {a.key: a for b in each for a in b.accounts if a.handle is not None}
    for a in one.accounts:
        if a.key in by_key and a.handle is not None:
            assert a == by_key[a.key] or a.followers != by_key[a.key].followers
    first = json.loads(json.dumps(statuses[0]))
    second = json.loads(json.dumps(statuses[1]))
    second["account"] = dict(first["account"], discoverable=1)
    first["account"] = dict(first["account"], discoverable=True)
    batch = normalize_statuses([second, first], server="https://mastodon.social")
    (acc,) = [a for a in batch.accounts if a.key == first["account"]["url"]]
    assert acc.discoverable is True  # the later object, not the earlier one reused


@pytest.mark.parametrize(
    "url",
    [
        "https://mastodon.social/@a/1",
        "http://127.0.0.1:8000/x",
        "https://a.example?x",
        "https://a.example#f",
        "https://user@a.example/x",
        "https://[::1]:80/x",
        "https://a.example\t/x",
        "https:///x",
        "hcsm.demo",
        "https://ä.example/x",
    ],
)
def test_server_host_reads_urls_as_urlsplit_does(url: str) -> None:
    assert server_host(url) == (urlsplit(url if "//" in url else f"//{url}").netloc or url)


@pytest.mark.parametrize("tag", ["#HCSM", " hcsm ", "Straße", "ＨＣＳＭ", "#Ünïcode", "a\x1cb "])
def test_normalize_tag_ascii_shortcut(tag: str) -> None:
    import unicodedata

    assert normalize_tag(tag) == unicodedata.normalize("NFKC", tag.strip().lstrip("#")).casefold()


def test_a_refused_record_in_a_staged_batch_is_named_and_the_rest_stored(
    pg_server_url: str,
) -> None:
    """A value PostgreSQL refuses in a staged batch (an over-long key, past the cleaning
    rules) fails the COPY; the batch is stored record by record and only that one is named."""
    from sqlalchemy import select

    from echochamber.models import Account, Post
    from echochamber.store import bulk
    from echochamber.store.schema import PostRow

    long_key = "https://one.example/@" + "z" * 600
    good = [
        Post("mastodon", f"https://one.example/p/{i}", str(i), "https://one.example/@a", NOW, "hi")
        for i in range(bulk.STAGE_ROWS + 10)
    ]
    bad = Post("mastodon", "https://one.example/p/bad", "bad", long_key, NOW, "hi")
    batch = Batch(
        (Account("mastodon", "https://one.example/@a"), Account("mastodon", long_key)),
        (*good, bad),
    )
    engine = make_engine(pg_server_url)
    init_db(engine)
    _empty(engine)
    with engine.begin() as conn:
        stored = store_batch(conn, batch, now=NOW)
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri)))
    engine.dispose()
    assert uris == {p.uri for p in good}
    assert sorted(r.split(": ")[0] for r in stored.refused) == sorted([long_key, bad.uri])
    assert all("COPY" not in r and "INSERT" not in r for r in stored.refused)


def test_chunks_are_grouped_and_a_break_keeps_what_came_before() -> None:
    """Consecutive chunks go to one transaction until they hold GROUP_POSTS posts; when the
    file breaks off, the chunks read before the break are still handed over, then the error."""
    from echochamber.collect.archive import Chunk
    from echochamber.errors import ImportFormatError
    from echochamber.models import Post
    from echochamber.pipeline.imports import _groups

    def chunk(n: int) -> Chunk:
        posts = tuple(
            Post("mastodon", f"https://a.example/p/{n}/{i}", str(i), "https://a.example/@a", NOW)
            for i in range(n)
        )
        return Chunk(Batch(posts=posts), records=n)

    def broken() -> Any:
        yield chunk(3)
        yield chunk(4)
        raise ImportFormatError("the file ends early")

    sizes = [[c.records for c in g] for g in _groups(iter([chunk(3), chunk(4), chunk(2)]), 5)]
    assert sizes == [[3, 4], [2]]
    got: list[list[int]] = []
    with pytest.raises(ImportFormatError):
        for group in _groups(broken(), 100):
            got.append([c.records for c in group])
    assert got == [[3, 4]]
