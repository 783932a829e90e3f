"""Bad records never stop a run: cleaned alike on SQLite and PostgreSQL, or named and skipped.

A NUL byte in a handle, a profile URL over 512 characters, a URI over 1,024 and a tag over 255
used to abort a whole PostgreSQL import with a traceback printing the SQL and its parameters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from echochamber.collect.clean import LIMITS
from echochamber.collect.normalize_mastodon import normalize_statuses
from echochamber.models import Account, Batch, CollectResult, Post, Stream
from echochamber.store.engine import make_engine
from echochamber.store.ingest import store_batch
from echochamber.store.schema import AccountRow, PostRow, PostTagRow, metadata
from echochamber.store.streams import finish_run, start_run

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SERVER = "https://one.example"


def status(i: int, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": str(i),
        "uri": f"https://one.example/users/u{i}/statuses/{i}",
        "created_at": "2026-11-30T10:00:00Z",
        "content": f"<p>post {i} #hcsm</p>",
        "account": {
            "id": str(100 + i),
            "username": f"u{i}",
            "acct": f"u{i}",
            "url": f"https://one.example/@u{i}",
        },
        "tags": [{"name": "hcsm"}],
        "mentions": [],
    }
    base.update(over)
    return base


def test_limits_match_the_schema() -> None:
    columns = {
        "account.key": ("accounts", "key"),
        "account.handle": ("accounts", "handle"),
        "post.uri": ("posts", "uri"),
        "post.native_id": ("posts", "native_id"),
        "post.url": ("posts", "url"),
        "post.language": ("posts", "language"),
        "tag": ("post_tags", "tag"),
        "interaction.subject": ("interactions", "subject_uri"),
    }
    for limit, (table, column) in columns.items():
        assert metadata.tables[table].c[column].type.length == LIMITS[limit], limit


def test_hostile_records_are_cleaned_or_skipped_alike(engine: Engine) -> None:
    nul = status(1)
    nul["account"] = {**nul["account"], "acct": "u\x001", "display_name": "bad\x00name"}
    long_url = status(2)
    long_url["account"] = {**long_url["account"], "url": "https://one.example/@" + "x" * 600}
    long_uri = status(3, uri="https://one.example/statuses/" + "y" * 1100)
    long_tag = status(4, tags=[{"name": "hcsm"}, {"name": "t" * 300}])
    huge = status(5, replies_count=10**12)
    good = status(6)
    batch = normalize_statuses(
        [nul, long_url, long_uri, long_tag, huge, good], server=SERVER, tracked=["hcsm"]
    )
    assert any("post URI over 1024" in n for n in batch.notes)
    assert any("account key over 512" in n for n in batch.notes)
    with engine.begin() as conn:
        stored = store_batch(conn, batch, now=NOW)
    assert stored.refused == ()
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri)))
        handles = set(conn.scalars(select(AccountRow.handle)))
        longest = conn.scalar(select(func.max(func.length(PostTagRow.tag))))
        replies = conn.scalar(select(PostRow.replies_count).where(PostRow.uri == huge["uri"]))
    assert uris == {s["uri"] for s in (nul, long_tag, huge, good)}
    assert "u1@one.example" in handles  # the NUL byte removed
    assert longest == 255 and replies is None


def test_a_record_the_store_refuses_is_named_and_the_rest_stored(engine: Engine) -> None:
    """Past the cleaning rules (a batch built by hand), PostgreSQL refuses an over-long key:
    that record is named, the others are stored; SQLite takes it."""
    long_key = "https://one.example/@" + "z" * 600
    ok = Post("mastodon", "https://one.example/p/1", "1", "https://one.example/@a", NOW, "hi")
    bad = Post("mastodon", "https://one.example/p/2", "2", long_key, NOW, "hi")
    batch = Batch(
        (Account("mastodon", "https://one.example/@a"), Account("mastodon", long_key)),
        (ok, bad),
    )
    with engine.begin() as conn:
        stored = store_batch(conn, batch, now=NOW)
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri)))
    if engine.dialect.name == "postgresql":
        assert ok.uri in uris and bad.uri not in uris
        assert any(r.startswith(bad.uri + ": ") for r in stored.refused)
        assert all("INSERT" not in r for r in stored.refused)
    else:
        assert uris == {ok.uri, bad.uri} and stored.refused == ()


def test_a_run_message_with_a_nul_byte_is_recorded(engine: Engine) -> None:
    stream = Stream("mastodon", SERVER, "hcsm", "hcsm")
    run = start_run(engine, stream, NOW)
    result = CollectResult("mastodon", SERVER, "hcsm", errors=("bad\x00 record\n" * 3,))
    finish_run(engine, run, result, NOW)
    from echochamber.store import status as store_status

    last = store_status(engine)["streams"][0]["last_run"]
    assert last["status"] == "ok" and "\x00" not in last["message"]
    assert "\n" not in last["message"]


def _import(db_url: str, path: Path, *more: str) -> Any:
    from echochamber.cli.main import cli

    return CliRunner().invoke(
        cli, ["--db", db_url, "import", str(path), "--format", "mastodon", *more]
    )


def test_import_names_the_line_of_a_record_the_database_refuses(
    db_url: str, tmp_path: Path
) -> None:
    """A time at the edge of the calendar parses, so the cleaning rules let it through, but
    the store cannot hold it in UTC: a zero time written east of UTC (year 1, +01:00) is a
    moment of year 0, and the last hour of year 9999 west of UTC one of year 10000.  Each such
    record is named as FILE:LINE: reason, through the real command, and the rest is stored."""
    mention = {"id": "101", "username": "u1", "acct": "u1", "url": "https://one.example/@u1"}
    zero = status(2, created_at="0001-01-01T00:00:00+01:00", mentions=[mention])
    end = status(4, created_at="9999-12-31T23:30:00-01:00")
    records = [status(1), zero, status(3), end]
    path = tmp_path / "statuses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    first = _import(db_url, path)
    assert first.exit_code == 1, first.output
    named = [line for line in first.stderr.splitlines() if line.startswith(f"{path}:")]
    assert [line.split(": ", 1)[0] for line in named] == [f"{path}:2", f"{path}:4"]
    assert named[0].startswith(f"{path}:2: refused by the database: post {zero['uri']}: ")
    assert f"mention of {zero['uri']}: " in named[0]  # its tie is refused with it
    assert named[1].startswith(f"{path}:4: refused by the database: post {end['uri']}: ")
    assert all("out of range" in line for line in named)
    assert not any(w in first.output for w in ("INSERT", "SELECT", "Traceback"))
    assert "2 of 4 records imported, 2 skipped; 2 new posts" in first.stdout

    engine = make_engine(db_url)
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri)))
    engine.dispose()
    assert uris == {records[0]["uri"], records[2]["uri"]}
    again = _import(db_url, path, "--json")
    assert again.exit_code == 1
    summary = json.loads(again.stdout)["files"][0]
    assert (summary["skipped"], summary["posts_new"], summary["posts_seen"]) == (2, 0, 2)


def test_import_from_a_long_path(db_url: str, tmp_path: Path) -> None:
    """The chunk's source names the file; a path over 255 characters used to make PostgreSQL
    refuse the whole import."""
    folder = tmp_path / ("a" * 120) / ("b" * 120)
    folder.mkdir(parents=True)
    path = folder / "statuses.jsonl"
    path.write_text(json.dumps(status(1)) + "\n", encoding="utf-8")
    assert len(str(path)) > 255
    res = _import(db_url, path)
    assert res.exit_code == 0, res.output
    assert "1 of 1 records imported, 0 skipped; 1 new posts" in res.stdout
