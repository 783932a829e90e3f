"""Twitter/X and Bluesky: the real recordings through the normalisers and the import command."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from echochamber.cli.main import cli
from echochamber.collect.archive import detect_format, iter_archive
from echochamber.collect.normalize_bluesky import normalize_records as bluesky
from echochamber.collect.normalize_twitter import normalize_records as twitter
from echochamber.errors import ImportFormatError
from echochamber.store import status
from echochamber.store.engine import make_engine
from tests.conftest import fixture_path


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_bytes().split(b"\n") if x.strip()]


def test_brexit_page_counts() -> None:
    path = fixture_path("twarc_csv_test_data", "brexit.jsonl")
    page = lines(path)[0]
    ids = {t["id"] for t in page["data"]}
    b = twitter([page], tracked=["brexit"])
    posts = [p for p in b.posts if p.native_id in ids]
    assert len(posts) == 100
    assert sum(p.boost_of is not None for p in posts) == 67
    assert sum(p.in_reply_to_account is not None for p in posts) == 10
    assert sum(p.quote_of is not None for p in posts) == 11
    assert sum(bool(p.mentions) for p in posts) == 84
    ties = Counter(t.kind for t in b.interactions)
    assert ties["boost"] == 67  # one per retweet, subject = the original
    assert ties["quote"] == 11 + sum(
        1 for t in b.interactions if t.kind == "quote" and t.subject.rsplit("/", 1)[-1] not in ids
    )
    followers = {a.key: a.followers for a in b.accounts}
    users = page["includes"]["users"]
    assert followers[f"twitter:{users[0]['id']}"] == users[0]["public_metrics"]["followers_count"]
    assert all(p.tagged for p in posts if "brexit" in p.hashtags and p.boost_of is None)


def test_flat_and_unflattened_give_the_same_graph() -> None:
    flat = twitter(lines(fixture_path("twarc_csv_test_data", "flat.jsonl")))
    noflat = twitter(lines(fixture_path("twarc_csv_test_data", "noflat.jsonl")))

    def ties(b: Any) -> set[tuple[Any, ...]]:
        return {(t.kind, t.actor, t.target, t.subject, t.via_reply) for t in b.interactions}

    def posts(b: Any) -> set[tuple[Any, ...]]:
        return {
            (p.uri, p.author, p.in_reply_to, p.boost_of, p.quote_of, p.mentions) for p in b.posts
        }

    assert ties(flat) == ties(noflat) and len(ties(flat)) > 100
    assert posts(flat) == posts(noflat)


def test_tweepy_v1_search() -> None:
    cassette = json.loads(fixture_path("tweepy_cassettes", "testsearchtweets.json").read_text())
    body = json.loads(cassette["interactions"][0]["response"]["body"]["string"])
    statuses = body["statuses"]
    assert len(statuses) == 15
    b = twitter(statuses)
    top = [p for p in b.posts if p.native_id in {s["id_str"] for s in statuses}]
    assert len(top) == 15 and sum(p.boost_of is not None for p in top) == 6
    assert sum(p.in_reply_to_account is not None for p in top) == sum(
        1 for s in statuses if s.get("in_reply_to_user_id_str")
    )


def test_bluesky_search_thread_likes_reposts() -> None:
    base = "atrrr_recorded_responses"
    search = json.loads(fixture_path(base, "app.bsky.feed.searchPosts_bb16d.body.json").read_text())
    b = bluesky([search], tracked=["rstats"])
    assert len(b.posts) == 100 and all(p.tagged for p in b.posts)
    replies = [p for p in search["posts"] if p["record"].get("reply")]
    assert sum(p.in_reply_to is not None for p in b.posts) == len(replies)
    thread = json.loads(
        fixture_path(base, "app.bsky.feed.getPostThread_72827.body.json").read_text()
    )
    t = bluesky([thread])
    assert len(t.posts) == 4
    depth = {p.uri: 0 for p in t.posts if p.in_reply_to is None}
    for _ in range(4):
        for p in t.posts:
            if p.in_reply_to in depth:
                depth[p.uri] = depth[p.in_reply_to] + 1
    assert max(depth.values()) == 3
    likes = json.loads(fixture_path(base, "app.bsky.feed.getLikes_95deb.body.json").read_text())
    reposts = json.loads(
        fixture_path(base, "app.bsky.feed.getRepostedBy_95deb.body.json").read_text()
    )
    lr = Counter(x.kind for x in bluesky([likes, reposts]).interactions)
    assert lr["favourite"] == len({li["actor"]["did"] for li in likes["likes"]}) == 25
    assert lr["boost"] == 25


def test_bluesky_vcr_search(tmp_path: Path) -> None:
    vcr = yaml.safe_load(fixture_path("bskyr_vcr_fixtures", "f_search.yml").read_text())
    body = json.loads(vcr["http_interactions"][0]["response"]["body"]["string"])
    b = bluesky([body])
    assert len(b.posts) >= 25


def test_import_command_twitter_bluesky_gzip_and_bad_lines(db_url: str, tmp_path: Path) -> None:
    brexit = fixture_path("twarc_csv_test_data", "brexit.jsonl")
    stream = fixture_path("twarc_csv_test_data", "streaming_output_with_error.jsonl")
    gz = tmp_path / "brexit.jsonl.gz"
    gz.write_bytes(gzip.compress(brexit.read_bytes()))
    sky = tmp_path / "rstats.jsonl"
    sky.write_text(
        fixture_path("atrrr_recorded_responses", "app.bsky.feed.searchPosts_bb16d.body.json")
        .read_text()
        .replace("\n", " ")
        + "\n"
    )
    assert detect_format(gz) == "twarc2" and detect_format(sky) == "bluesky"
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", db_url, "import", str(gz), str(sky), "--json"])
    assert first.exit_code == 0, first.output
    engine = make_engine(db_url)
    before = status(engine)
    assert before["posts_by_platform"]["bluesky"] == 100
    assert before["interactions"]["boost"] >= 67
    again = runner.invoke(cli, ["--db", db_url, "import", str(brexit)])  # same tweets, plain
    assert again.exit_code == 0 and status(engine)["posts"] == before["posts"]
    bad = runner.invoke(cli, ["--db", db_url, "import", str(stream)])
    assert bad.exit_code == 1
    broken = [
        i + 1
        for i, x in enumerate(stream.read_bytes().split(b"\n"))
        if x.strip() and not _parses(x)
    ]
    assert broken and all(f"{stream}:{n}:" in bad.stderr for n in broken)
    engine.dispose()


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def test_archive_streams_in_chunks(tmp_path: Path) -> None:
    one = fixture_path("rtoot_vcr_fixtures", "mastodonsocial_stream.jsonl").read_bytes()
    big = tmp_path / "big.jsonl"
    big.write_bytes(one * 50)  # 2,400 records
    seen = []
    for chunk in iter_archive(big, "mastodon", chunk_records=500, block_bytes=1 << 30):
        seen.append((chunk.records, chunk.bytes_read))
    assert [r for r, _ in seen] == [500, 500, 500, 500, 400]
    assert seen[0][1] < big.stat().st_size  # the first chunk came before the file's end
    assert seen[-1][1] == big.stat().st_size
    # blocks of ~1 MB: chunks end at block ends too, never hold more than 500 records
    small = [c.records for c in iter_archive(big, "mastodon", chunk_records=500, block_bytes=10**6)]
    assert sum(small) == 2400 and max(small) <= 500 and len(small) > 5


def _chunk_view(chunks: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            c.records,
            c.bytes_read,
            tuple(c.errors),
            zlib.decompress(c.raw_zlib) if c.raw_zlib else b"",
            c.batch,
        )
        for c in chunks
    ]


def test_worker_processes_parse_exactly_what_one_process_does(tmp_path: Path) -> None:
    """Blocks parsed by worker processes come back in order, with the same records, the
    same raw lines and the same line numbers for bad lines as when parsed in-process."""
    stream = fixture_path("rtoot_vcr_fixtures", "malformed_stream.jsonl").read_bytes()
    path = tmp_path / "capture.jsonl"
    path.write_bytes(stream.rstrip(b"\n") + b"\n" + stream * 6)  # 350 lines, 7 broken
    broken = [
        i + 1 for i, x in enumerate(path.read_bytes().split(b"\n")) if x.strip() and not _parses(x)
    ]
    assert len(broken) == 7
    kw: dict[str, Any] = {"chunk_records": 40, "block_bytes": 50_000, "server": "mastodon.social"}
    alone = list(iter_archive(path, "mastodon", workers=0, **kw))
    shared = list(iter_archive(path, "mastodon", workers=2, **kw))
    assert len(alone) > 10  # many blocks, many chunks
    assert _chunk_view(shared) == _chunk_view(alone)
    assert sorted(n for c in shared for n, _ in c.errors) == broken
    assert shared[-1].bytes_read == path.stat().st_size


def test_import_with_workers_stores_the_same(tmp_path: Path) -> None:
    stream = fixture_path("rtoot_vcr_fixtures", "malformed_stream.jsonl")
    runner = CliRunner()
    results = []
    for workers in ("0", "1"):
        db = f"sqlite:///{tmp_path / f'w{workers}.db'}"
        assert runner.invoke(cli, ["--db", db, "init"]).exit_code == 0
        run = runner.invoke(
            cli, ["--db", db, "import", str(stream), "--format", "mastodon", "--workers", workers]
        )
        assert run.exit_code == 1 and f"{stream}:50:" in run.stderr
        engine = make_engine(db)
        results.append((status(engine), run.stdout))
        engine.dispose()
    assert results[0] == results[1]
    assert results[0][0]["posts"] == 48


def test_unknown_format_is_named(tmp_path: Path) -> None:
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"hello": 1}\n')
    with pytest.raises(ImportFormatError, match=r"odd\.jsonl"):
        detect_format(odd)


def test_default_workers_only_for_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from echochamber.collect import archive

    monkeypatch.setattr(archive.os, "cpu_count", lambda: 2)
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(os.urandom(900))
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(os.urandom(880)))  # ~900 bytes, counted five times
    assert archive.default_workers(plain, block_bytes=1000) == 0
    assert archive.default_workers(packed, block_bytes=1000) == 1
    assert archive.default_workers(plain, block_bytes=200) == 1
    monkeypatch.setattr(archive.os, "cpu_count", lambda: 1)
    assert archive.default_workers(plain, block_bytes=200) == 0


def test_reposts_without_a_time_are_dated_by_their_post(db_url: str, tmp_path: Path) -> None:
    """A getRepostedBy list carries no times.  Imported alone, its boosts are dated by the
    post's record key (a TID), not by the day of the import, so they open no week of their
    own; a list whose post cannot be dated is refused by line, and the rest imported."""
    from echochamber.collect.normalize_bluesky import tid_time
    from echochamber.store import weeks_with_data

    base = "atrrr_recorded_responses"
    reposts = json.loads(
        fixture_path(base, "app.bsky.feed.getRepostedBy_95deb.body.json").read_text()
    )
    written = tid_time(reposts["uri"])
    assert written is not None and written.year == 2023
    boosts = bluesky([reposts]).interactions
    assert len(boosts) == 25 and {b.at for b in boosts} == {written}
    # With the post in the same batch, even after the list, the post's createdAt dates them.
    post = {
        "uri": reposts["uri"],
        "cid": "c",
        "author": {"did": "did:plc:ntd53albt5ffa4rgervvgibd", "handle": "a.bsky.social"},
        "record": {"text": "#rstats hello", "createdAt": "2023-10-02T09:00:00Z"},
        "indexedAt": "2023-10-02T09:00:01Z",
    }
    dated = bluesky([reposts, post]).interactions
    assert {b.at.isoformat() for b in dated} == {"2023-10-02T09:00:00+00:00"}
    undatable = dict(reposts, uri=reposts["uri"].rsplit("/", 1)[0] + "/self")
    sky = tmp_path / "reposts.jsonl"
    sky.write_text(json.dumps(reposts) + "\n" + json.dumps(undatable) + "\n")
    result = CliRunner().invoke(cli, ["--db", db_url, "import", "--format", "bluesky", str(sky)])
    assert result.exit_code == 1
    assert f"{sky}:2:" in result.stderr and "no time of their own" in result.stderr
    engine = make_engine(db_url)
    assert status(engine)["interactions"]["boost"] == 25
    weeks = [w.label for w in weeks_with_data(engine, "all", "UTC")]
    tied = [w.label for w in _tie_weeks(engine)]
    assert tied == [f"{written.isocalendar().year}-W{written.isocalendar().week:02d}"]
    assert weeks == []  # a boost opens no week: only a tagged post does
    engine.dispose()


def _tie_weeks(engine: Any) -> list[Any]:
    from sqlalchemy import text

    from echochamber.config.weeks import zone_week

    with engine.connect() as conn:
        times = [r[0] for r in conn.execute(text("SELECT DISTINCT week FROM edge_weeks"))]
    return [
        zone_week(datetime.fromisoformat(str(t)).replace(hour=12, tzinfo=UTC), "UTC") for t in times
    ]
