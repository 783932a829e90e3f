"""The live Twitter (twarc's Twarc2) and Bluesky (atproto) collectors over real HTTP.

Real recorded pages are served by a loopback replay server; the clients' own transport points
at it (Twarc2's requests session mounts a rebasing adapter; atproto takes a base URL).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from echochamber.collect.bluesky import BlueskyClient, collect_tag
from echochamber.collect.twitter import collect_query, make_client
from echochamber.models import Stream
from echochamber.store import StreamSink, get_cursor, status
from tests.conftest import fixture_path
from tests.replay import serve

pytest.importorskip("twarc", reason="twarc is not installed")
pytest.importorskip("atproto", reason="atproto is not installed")


def now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_twitter_search_pages_cursor_and_429(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twarc.decorators2

    slept: list[float] = []
    monkeypatch.setattr(twarc.decorators2.time, "sleep", slept.append)
    path = fixture_path("twarc_network_test_data", "blacklivesmatter_search_recent_5pages.jsonl")
    pages = [json.loads(x) for x in path.read_bytes().split(b"\n") if x.strip()]
    assert len(pages) == 5
    with serve() as replay:
        token = None
        for page in pages:
            params = {"next_token": token} if token else None
            replay.respond(
                "/2/tweets/search/recent",
                page,
                params=params,
                headers={
                    "x-rate-limit-remaining": "100",
                    "x-rate-limit-reset": str(int(time.time()) + 900),
                },
            )
            token = page["meta"].get("next_token")
        replay.respond(
            "/2/tweets/search/recent", {"meta": {"result_count": 0}}, params={"next_token": token}
        )
        replay.fail_next(
            "/2/tweets/search/recent",
            429,
            {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 1)},
        )
        client = make_client("test-bearer", api_base=replay.base_url)
        stream = Stream("twitter", "api.twitter.com", "blacklivesmatter")
        sink = StreamSink(engine, "twitter", "api.twitter.com", now, stream=stream)
        collect_query(client, "blacklivesmatter", None, sink, tracked=["blacklivesmatter"])
    assert slept, "twarc waited for the rate-limit reset"
    tweets = {t["id"] for p in pages for t in p["data"]}
    s = status(engine)
    assert s["posts_by_platform"]["twitter"] >= len(tweets) == 500
    # one boost per (retweeter, original), none for retweeting oneself
    originals = {t["id"]: t["author_id"] for p in pages for t in p["includes"]["tweets"]}
    boosts = {
        (t["author_id"], r["id"])
        for p in pages
        for t in p["data"]
        for r in t.get("referenced_tweets", [])
        if r["type"] == "retweeted" and originals[r["id"]] != t["author_id"]
    }
    assert s["interactions"]["boost"] == len(boosts) == 346
    cursor = get_cursor(engine, stream)
    assert cursor.newest_id == max((p["meta"]["newest_id"] for p in pages), key=int)


def test_bluesky_search_with_cursor(engine: Engine) -> None:
    body = json.loads(
        fixture_path(
            "atrrr_recorded_responses", "app.bsky.feed.searchPosts_bb16d.body.json"
        ).read_text()
    )
    with serve() as replay:
        replay.respond("/xrpc/app.bsky.feed.searchPosts", body)
        replay.fail_next(
            "/xrpc/app.bsky.feed.searchPosts", 429, {"ratelimit-reset": str(int(time.time()) + 1)}
        )
        waits: list[float] = []
        client = BlueskyClient(replay.base_url, sleep=waits.append)
        stream = Stream("bluesky", replay.base_url, "rstats", "rstats")
        sink = StreamSink(engine, "bluesky", replay.base_url, now, stream=stream)
        collect_tag(client, "rstats", None, sink, tracked=["rstats"])
        assert waits and client.requests == 3  # the 429, the page, the (empty) next page
        assert any("cursor=" in r for r in replay.requests)
    s = status(engine)
    assert s["posts_by_platform"]["bluesky"] >= 100 and s["tagged_posts"] == 100
    cursor = get_cursor(engine, stream).newest_id
    assert cursor == max(p["indexedAt"] for p in body["posts"])


def test_twitter_job_watches_and_expands_conversations(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from echochamber.config import Settings, TwitterSource
    from echochamber.pipeline.collection import collect
    from echochamber.pipeline.context import JobContext

    page = json.loads(
        fixture_path("twarc_csv_test_data", "brexit.jsonl").read_bytes().split(b"\n")[0]
    )
    monkeypatch.setenv("ECHOCHAMBER_TWITTER_BEARER_TOKEN", "test-bearer")
    settings = Settings(twitter=TwitterSource(tags=("brexit",), api_base="http://unused"))
    newest = max(
        datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")) for t in page["data"]
    )
    ctx = JobContext(engine=engine, clock=lambda: newest + timedelta(hours=1))
    with serve() as replay:
        replay.respond("/2/tweets/search/recent", page)
        replay.respond(
            "/2/tweets/search/recent",
            {"meta": {"result_count": 0}},
            params={"next_token": page["meta"]["next_token"]},
        )
        settings = replace(settings, twitter=replace(settings.twitter, api_base=replay.base_url))
        res = collect(settings, ctx, "twitter")
        searches = [r for r in replay.requests if "query=conversation_id%3A" in r]
    assert res[0].status == "ok" and res[0].posts_new >= 100
    from urllib.parse import parse_qs, urlsplit

    from echochamber.collect.normalize_twitter import normalize_page

    now = newest + timedelta(hours=1)
    tagged = {
        p.native_id
        for p in normalize_page(page, tracked=["brexit"]).posts
        if p.tagged and now - p.created_at <= timedelta(days=8)
    }  # still settling
    asked = {parse_qs(urlsplit(r).query)["query"][0].split(":", 1)[1] for r in searches}
    assert asked == tagged and len(tagged) > 30  # every tagged tweet's conversation, once
    assert newest.tzinfo is UTC or newest.utcoffset() is not None
