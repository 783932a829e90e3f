"""The store on SQLite and on the real PostgreSQL: schema, idempotent batch writes, resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from echochamber.collect.normalize_mastodon import normalize_actors, normalize_statuses
from echochamber.errors import StoreError
from echochamber.models import Post
from echochamber.store import status
from echochamber.store.engine import init_db, make_engine, require_schema
from echochamber.store.ingest import store_batch
from echochamber.store.schema import EdgeWeekRow, InteractionRow, PostRow

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
INST = "https://one.example"


def account(n: int, host: str = "one.example", **kw: object) -> dict[str, object]:
    return {
        "id": str(n),
        "username": f"u{n}",
        "acct": f"u{n}" if host == "one.example" else f"u{n}@{host}",
        "url": f"https://{host}/@u{n}",
        "display_name": f"User {n}",
        "followers_count": 10 * n,
        **kw,
    }


def status_(
    sid: int,
    author: int,
    *,
    reply_to: tuple[int, int] | None = None,
    tags: tuple[str, ...] = ("hcsm",),
    mentions: tuple[int, ...] = (),
    when: datetime = NOW,
) -> dict[str, object]:
    return {
        "id": str(sid),
        "uri": f"https://one.example/users/u{author}/statuses/{sid}",
        "url": f"https://one.example/@u{author}/{sid}",
        "created_at": when.isoformat(),
        "account": account(author),
        "content": f"<p>post {sid}</p>",
        "in_reply_to_id": str(reply_to[0]) if reply_to else None,
        "in_reply_to_account_id": str(reply_to[1]) if reply_to else None,
        "tags": [{"name": t} for t in tags],
        "mentions": [
            {
                "id": str(m),
                "username": f"u{m}",
                "acct": f"u{m}",
                "url": f"https://one.example/@u{m}",
            }
            for m in mentions
        ],
        "reblog": None,
    }


def counts(engine: Engine) -> dict[str, object]:
    s = status(engine)
    with engine.connect() as conn:
        weekly = conn.scalar(select(func.coalesce(func.sum(EdgeWeekRow.n), 0)))
    return {
        "posts": s["posts"],
        "accounts": s["accounts"],
        "ties": s["interactions"],
        "weekly": int(weekly or 0),
    }


def test_init_is_idempotent_and_required(db_url: str) -> None:
    engine = make_engine(db_url)
    before, after = init_db(engine)
    assert before == after  # the fixture initialised it already
    require_schema(engine)
    engine.dispose()


def test_uninitialised_store_gives_a_clear_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(StoreError, match="echochamber init"):
        require_schema(engine)


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}")


def test_batches_are_idempotent(engine: Engine) -> None:
    page = [
        status_(1, 1),
        status_(2, 2, reply_to=(1, 1), mentions=(1, 3), tags=()),
        status_(3, 3, reply_to=(2, 2), mentions=(2,), tags=()),
    ]
    batch = normalize_statuses(page, server=INST, tracked=["hcsm"])
    with engine.begin() as conn:
        first = store_batch(conn, batch, now=NOW)
    assert (first.posts_new, first.posts_seen) == (3, 0)
    c1 = counts(engine)
    assert c1["ties"] == {"reply": 2, "mention": 3, "boost": 0, "quote": 0, "favourite": 0}
    assert c1["weekly"] == 5
    with engine.begin() as conn:
        again = store_batch(conn, batch, now=NOW + timedelta(hours=1))
    assert (again.posts_new, again.posts_seen, again.interactions_new) == (0, 3, 0)
    assert counts(engine) == c1


def test_mention_of_the_replied_account_is_flagged(engine: Engine) -> None:
    page = [status_(1, 1), status_(2, 2, reply_to=(1, 1), mentions=(1, 3), tags=())]
    with engine.begin() as conn:
        store_batch(conn, normalize_statuses(page, server=INST, tracked=["hcsm"]), now=NOW)
    with engine.connect() as conn:
        rows = conn.execute(
            select(InteractionRow.kind, InteractionRow.via_reply).order_by(
                InteractionRow.kind, InteractionRow.via_reply
            )
        ).all()
    assert [(k, bool(v)) for k, v in rows] == [
        ("mention", False),
        ("mention", True),
        ("reply", False),
    ]


def test_reply_stored_before_its_parent_is_linked_later(engine: Engine) -> None:
    # the reply's author is not mentioned, so only the parent can name the replied-to account
    child = status_(2, 2, reply_to=(1, 9), tags=())
    with engine.begin() as conn:
        store_batch(conn, normalize_statuses([child], server=INST), now=NOW)
    assert counts(engine)["ties"]["reply"] == 0
    parent = status_(1, 1)
    parent["account"] = account(9)
    with engine.begin() as conn:
        res = store_batch(conn, normalize_statuses([parent], server=INST), now=NOW)
    assert res.interactions_new == 1
    with engine.connect() as conn:
        linked = conn.scalar(select(PostRow.in_reply_to_uri).where(PostRow.native_id == "2"))
    assert linked == parent["uri"]
    assert counts(engine)["ties"]["reply"] == 1


def test_boost_seen_as_status_and_in_reblogged_by_counts_once(engine: Engine) -> None:
    original = status_(1, 1)
    boost = {
        **status_(5, 2, tags=()),
        "reblog": original,
        "uri": "https://one.example/users/u2/statuses/5/activity",
    }
    with engine.begin() as conn:
        store_batch(conn, normalize_statuses([boost], server=INST, tracked=["hcsm"]), now=NOW)
        post = Post("mastodon", str(original["uri"]), "1", "https://one.example/@u1", NOW)
        store_batch(
            conn, normalize_actors([account(2), account(3)], post, "boost", server=INST), now=NOW
        )
    assert counts(engine)["ties"]["boost"] == 2  # u2 once (status + list), u3 from the list


def test_same_status_through_two_instances_is_one_post(engine: Engine) -> None:
    s = status_(1, 1)
    remote = {**s, "id": "777", "account": {**account(1), "id": "55", "acct": "u1@one.example"}}
    with engine.begin() as conn:
        store_batch(conn, normalize_statuses([s], server=INST), now=NOW)
        res = store_batch(conn, normalize_statuses([remote], server="https://two.example"), now=NOW)
    assert (res.posts_new, res.posts_seen) == (0, 1)
    assert counts(engine)["posts"] == 1 and counts(engine)["accounts"] == 1


def test_counts_update_but_known_links_stay(engine: Engine) -> None:
    s = status_(1, 1)
    with engine.begin() as conn:
        store_batch(conn, normalize_statuses([{**s, "favourites_count": 1}], server=INST), now=NOW)
        store_batch(conn, normalize_statuses([{**s, "favourites_count": 7}], server=INST), now=NOW)
    with engine.connect() as conn:
        assert conn.scalar(select(PostRow.favourites_count)) == 7


def test_an_old_store_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from echochamber.store.engine import MIGRATIONS, current_revision, head_revision

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "0001")  # a store made by the first release
    with pytest.raises(StoreError, match="echochamber init"):
        require_schema(engine)
    command.upgrade(cfg, "0003")  # ... and written by the release before the server columns
    t = "2026-11-02 10:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, platform, key, handle, instance, bot, noindex, "
                f"first_seen, last_seen) VALUES (1, 'mastodon', 'https://a.example/@x', "
                f"'x@a.example', 'a.example', 0, 0, '{t}', '{t}')"
            )
        )
        for pid, where in enumerate(("https://a.example", "twitter", "bsky"), start=1):
            conn.execute(
                text(
                    "INSERT INTO posts (id, platform, uri, native_id, author_id, created_at, "
                    f"text, tagged, collected_at) VALUES ({pid}, 'mastodon', "
                    f"'https://a.example/p/{pid}', '{pid}', 1, '{t}', 'hi', 1, '{t}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO watch (post_id, instance, native_id, created_at, next_check, "
                    f"checks, settled) VALUES ({pid}, '{where}', '{pid}', '{t}', '{t}', 0, 0)"
                )
            )
        conn.execute(
            text(
                "INSERT INTO cursors (platform, instance, tag, newest_id, backfill_done, "
                f"updated_at) VALUES ('mastodon', 'https://a.example', 'hcsm', '9', 1, '{t}')"
            )
        )
    before, after = init_db(engine)
    assert (before, after) == ("0003", head_revision()) and current_revision(engine) == after
    assert counts(engine)["posts"] == 3
    with engine.connect() as conn:
        assert conn.execute(text("SELECT server FROM accounts")).scalar() == "a.example"
        assert conn.execute(text("SELECT server, newest_id FROM cursors")).one() == (
            "https://a.example",
            "9",
        )
        watch = conn.execute(text("SELECT server FROM watch ORDER BY post_id")).scalars().all()
        assert watch == ["https://a.example", "api.twitter.com", "https://bsky.social"]
    engine.dispose()


def _dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    from sqlalchemy import text

    tables = ["accounts", "posts", "post_tags", "post_sources", "interactions", "edge_weeks"]
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]
            for t in tables
        }


def test_sqlite_fast_path_writes_what_sqlalchemy_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver-level executemany on SQLite stores the same rows, byte for byte, as
    SQLAlchemy's own executemany of the same statements: real pages, stored, restored, and
    stored again with newer counts."""
    import json

    import yaml

    from echochamber.collect.normalize_twitter import normalize_records
    from echochamber.store import bulk
    from tests.conftest import fixture_path

    cassette = yaml.safe_load(
        fixture_path("rtoot_vcr_fixtures", "handle_params_max_id.yml").read_text()
    )
    statuses = [
        s
        for it in cassette["http_interactions"]
        for s in json.loads(it["response"]["body"]["string"])
    ]
    page = json.loads(
        fixture_path("twarc_csv_test_data", "brexit.jsonl").read_bytes().split(b"\n")[0]
    )
    newer = [{**s, "replies_count": 99, "favourites_count": 7} for s in statuses[:50]]
    batches = [
        normalize_statuses(statuses, server="https://mastodon.social", tracked=["ichbinhanna"]),
        normalize_records([page], tracked=["brexit"]),
        normalize_statuses(statuses, server="https://mastodon.social", tracked=["ichbinhanna"]),
        normalize_statuses(newer, server="https://mastodon.social", tracked=["ichbinhanna"]),
    ]

    def store_all(path: Path) -> dict[str, list[tuple[object, ...]]]:
        engine = make_engine(f"sqlite:///{path}")
        init_db(engine)
        for i, batch in enumerate(batches):
            with engine.begin() as conn:
                store_batch(conn, batch, now=NOW + timedelta(hours=i))
        out = _dump(engine)
        engine.dispose()
        return out

    bulk._PREPARED.clear()
    fast = store_all(tmp_path / "fast.db")
    used = {k[0] for k, v in bulk._PREPARED.items() if v is not None}
    assert {"posts.upsert", "accounts.upsert", "post_tags.insert_ignore"} <= used
    monkeypatch.setattr(bulk, "_prepare", lambda *a, **k: None)  # SQLAlchemy's path only
    bulk._PREPARED.clear()
    slow = store_all(tmp_path / "slow.db")
    assert fast == slow
    assert len(fast["posts"]) > 200 and len(fast["interactions"]) > 100
    engine = make_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    with engine.connect() as conn:
        replies = conn.scalar(
            select(PostRow.replies_count).where(PostRow.uri == statuses[0]["uri"])
        )
    engine.dispose()
    assert replies == 99  # the newer count replaced the older one
