"""Every platform through the one collection loop: streams, cursors, revisits, run records.

X (twarc's ``Twarc2``) and Bluesky (``atproto``) are served real recorded pages by a loopback
replay server; the daemon's own job table and the command line drive them.  Each test here
pins a bug the first shape of the code had (issue 9):

1. the daemon's revisit job looped over Mastodon servers only;
2. ``collect --source twitter|bluesky --tag T`` ignored ``--tag`` and ``--server``;
3. every finished X or Bluesky pass stored an empty raw payload (a fake "cursor" page);
4. a failing X or Bluesky revisit was logged and dropped: no run, nothing in ``status``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select

from echochamber.config import BlueskySource, CollectSettings, Settings, TwitterSource
from echochamber.models import Stream
from echochamber.pipeline.collection import collect
from echochamber.pipeline.context import JobContext
from echochamber.store import get_cursor, status
from echochamber.store.schema import RawPayloadRow
from tests.conftest import fixture_path
from tests.replay import ReplayServer, serve

pytest.importorskip("twarc", reason="twarc is not installed")
pytest.importorskip("atproto", reason="atproto is not installed")

SEARCH = "/2/tweets/search/recent"
POSTS = "/xrpc/app.bsky.feed.searchPosts"
THREAD = "/xrpc/app.bsky.feed.getPostThread"


@dataclass(frozen=True)
class Recorded:
    """One real X search page and one real Bluesky search page, and when they were fresh."""

    tweets: dict[str, Any]
    skeets: dict[str, Any]
    now: datetime


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    tweets = json.loads(
        fixture_path("twarc_csv_test_data", "brexit.jsonl").read_bytes().split(b"\n")[0]
    )
    skeets = json.loads(
        fixture_path(
            "atrrr_recorded_responses", "app.bsky.feed.searchPosts_bb16d.body.json"
        ).read_text()
    )
    newest = max(
        datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")) for t in tweets["data"]
    )
    return Recorded(tweets, skeets, newest + timedelta(hours=1))


@pytest.fixture
def replay(recorded: Recorded) -> Iterator[ReplayServer]:
    with serve() as srv:
        srv.respond(SEARCH, recorded.tweets)
        last = {"next_token": recorded.tweets["meta"]["next_token"]}
        srv.respond(SEARCH, {"meta": {"result_count": 0}}, params=last)
        srv.respond(POSTS, recorded.skeets)
        yield srv


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHOCHAMBER_TWITTER_BEARER_TOKEN", "test-bearer")


def settings_for(base: str) -> Settings:
    """Both platforms on the replay server; the recordings are years apart, so every post is
    treated as still settling."""
    return Settings(
        twitter=TwitterSource(tags=("brexit",), api_base=base),
        bluesky=BlueskySource(tags=("rstats",), service=base),
        collect=CollectSettings(settle_days=100_000),
    )


def queries(replay: ReplayServer) -> list[str]:
    return [parse_qs(urlsplit(r).query)["query"][0] for r in replay.requests if SEARCH in r]


def test_the_revisit_job_of_the_daemon_revisits_x_and_bluesky(
    engine: Engine, replay: ReplayServer, recorded: Recorded
) -> None:
    """Bug 1: ``echochamber run``'s revisit job covers every platform, not Mastodon only."""
    from echochamber.collect.normalize_bluesky import normalize_records
    from echochamber.collect.normalize_twitter import normalize_page
    from echochamber.daemon import Daemon
    from echochamber.text import is_hashed

    settings = settings_for(replay.base_url)
    ctx = JobContext(engine=engine, clock=lambda: recorded.now, sleep=lambda s: None)
    first = collect(settings, ctx, revisit=False)
    assert {(r.platform, r.status) for r in first} == {("twitter", "ok"), ("bluesky", "ok")}
    replay.requests.clear()
    results = Daemon(settings, engine).jobs["enrich"](ctx)
    by_platform = {r.platform: r for r in results}
    assert set(by_platform) == {"twitter", "bluesky"}
    assert all(r.stream == "(conversations)" for r in results)
    tagged = {
        p.native_id for p in normalize_page(recorded.tweets, tracked=["brexit"]).posts if p.tagged
    }
    asked = {q.split(":", 1)[1] for q in queries(replay) if q.startswith("conversation_id:")}
    assert asked == tagged and len(tagged) > 30  # every tagged tweet's conversation, once
    skeets = {
        p.uri for p in normalize_records([recorded.skeets], tracked=["rstats"]).posts if p.tagged
    }
    threads = {parse_qs(urlsplit(r).query)["uri"][0] for r in replay.requests if THREAD in r}
    # an author labelled !no-unauthenticated keeps a pseudonymous URI, which is not asked for
    public = {u for u in skeets if not is_hashed(u)}
    assert threads == public and len(skeets) == 100 and len(public) == 99
    assert by_platform["bluesky"].status == "ok" and by_platform["twitter"].status == "ok"


def test_tag_and_server_narrow_every_platform(
    tmp_path: Path, replay: ReplayServer, recorded: Recorded
) -> None:
    """Bug 2: ``collect --source twitter --tag T`` collects that tag's stream only."""
    cfg = tmp_path / "echochamber.toml"
    cfg.write_text(
        f'[sources.twitter]\ntags = ["brexit", "hcsm"]\napi_base = "{replay.base_url}"\n'
        f'[sources.bluesky]\ntags = ["rstats", "hcsm"]\nservice = "{replay.base_url}"\n',
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'e.db'}"
    env = {**os.environ, "ECHOCHAMBER_TWITTER_BEARER_TOKEN": "test-bearer"}
    cli = [sys.executable, "-m", "echochamber", "--config", str(cfg), "--db", db]
    subprocess.run([*cli, "init"], check=True, capture_output=True, env=env)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], capture_output=True, text=True, env=env, timeout=120)

    r = run("collect", "--source", "twitter", "--tag", "brexit", "--no-conversations", "--json")
    assert r.returncode == 0, r.stderr
    streams = json.loads(r.stdout)["streams"]
    assert [(s["platform"], s["stream"]) for s in streams] == [("twitter", "#brexit")]
    assert set(queries(replay)) == {"#brexit"}
    replay.requests.clear()
    r = run("collect", "--source", "bluesky", "--tag", "#RStats", "--no-conversations", "--json")
    assert r.returncode == 0, r.stderr
    assert [s["stream"] for s in json.loads(r.stdout)["streams"]] == ["rstats"]
    asked = [parse_qs(urlsplit(u).query)["q"][0] for u in replay.requests if POSTS in u]
    assert asked and set(asked) == {"#rstats"}
    r = run("collect", "--server", "elsewhere.example", "--tag", "brexit")
    assert r.returncode == 2 and "no configured stream matches" in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_a_finished_pass_moves_the_cursor_without_a_fake_page(
    engine: Engine, replay: ReplayServer, recorded: Recorded
) -> None:
    """Bug 3: the cursor moves alone; every raw payload row is a page the server sent."""
    settings = settings_for(replay.base_url)
    ctx = JobContext(engine=engine, clock=lambda: recorded.now, sleep=lambda s: None)
    results = collect(settings, ctx, revisit=False)
    assert all(r.status == "ok" for r in results)
    with engine.connect() as conn:
        rows = conn.execute(select(RawPayloadRow.endpoint, RawPayloadRow.body)).all()
    assert rows and all(zlib.decompress(body) for _, body in rows)
    assert all(endpoint != "cursor" for endpoint, _ in rows)
    bluesky = [e for e, _ in rows if "searchPosts" in e]
    assert len(bluesky) == sum(1 for r in replay.requests if POSTS in r) == 2  # page, empty page
    assert len(rows) - len(bluesky) == 1  # the X page (twarc reads the empty last one itself)
    tw = get_cursor(engine, Stream("twitter", "api.twitter.com", "#brexit", "brexit"))
    assert tw.newest_id == recorded.tweets["meta"]["newest_id"]
    bs = get_cursor(engine, Stream("bluesky", replay.base_url, "rstats", "rstats"))
    assert bs.newest_id == max(p["indexedAt"] for p in recorded.skeets["posts"])


def test_a_failing_revisit_is_recorded_and_shown(
    engine: Engine, replay: ReplayServer, recorded: Recorded, tmp_path: Path
) -> None:
    """Bug 4: a Bluesky revisit that fails is a failed run that ``status`` names."""
    settings = settings_for(replay.base_url)
    ctx = JobContext(engine=engine, clock=lambda: recorded.now, sleep=lambda s: None)
    collect(settings, ctx, "bluesky", revisit=False)
    for _ in range(5 * 5):  # five posts, each tried five times (four retries)
        replay.fail_next(THREAD, 502)
    results = collect(settings, ctx, "bluesky")
    revisit = next(r for r in results if r.stream == "(conversations)")
    assert revisit.status == "failed" and len(revisit.errors) == 5  # five failures end the run
    assert all("at://" in e for e in revisit.errors)  # each names its post
    st = status(engine)
    [conv] = [c for c in st["conversations"] if c["platform"] == "bluesky"]
    assert conv["last_run"]["status"] == "failed" and "at://" in conv["last_run"]["message"]
    db = engine.url.render_as_string(hide_password=False)
    out = subprocess.run(
        [sys.executable, "-m", "echochamber", "--db", db, "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "bluesky" in out.stdout and "conversations: last run failed" in out.stdout
