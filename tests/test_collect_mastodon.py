"""The Mastodon collector over real HTTP against mastodon-mock, driven by the real Mastodon.py.

A small community is built through the server's API (tagged and untagged posts, nested replies,
boosts, favourites, a quote, another hashtag, enough posts to page); the store must then hold
exactly what the server holds: with faults injected, when rerun, when new posts arrive, and
when a collecting process is killed mid-way and started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select

from echochamber.collect.mastodon_client import MastodonClient
from echochamber.config import CollectSettings, ConsentSettings, MastodonSource, Settings
from echochamber.pipeline.collection import collect
from echochamber.pipeline.context import JobContext
from echochamber.store import status
from echochamber.store.schema import AccountRow, InteractionRow, PostRow, RawPayloadRow

mock = pytest.importorskip("mastodon_mock.testing", reason="mastodon-mock is not installed")
from mastodon_mock.config import SeedAccount, SeedConfig  # noqa: E402

USERS = ("ana", "ben", "cat", "dan", "eve", "fay")
TOKEN_ENV = "ECHOCHAMBER_TEST_MOCK_TOKEN"


@dataclass
class Community:
    server: Any
    url: str
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    bulk: int = 0

    def client(self, user: str) -> Any:
        return self.server.client(user)

    def post(self, key: str, user: str, text: str, **kw: Any) -> dict[str, Any]:
        st = self.client(user).status_post(text, **kw)
        self.posts[key] = st
        return st


def build(server: Any, bulk: int = 85) -> Community:
    c = Community(server, server.base_url.rstrip("/"))
    p1 = c.post("p1", "ana", "Welcome to #hcsm chat")
    r1 = c.post("r1", "ben", "@ana thanks for hosting", in_reply_to_id=p1["id"])
    r2 = c.post("r2", "cat", "@ben @ana agreed", in_reply_to_id=r1["id"])
    c.post("r3", "dan", "@cat yes, and #hcsm should say so", in_reply_to_id=r2["id"])
    p2 = c.post("p2", "ben", "#HCSM question: who reads the EHR notes?")
    c.post("q1", "eve", "interesting question", quoted_status_id=p2["id"])
    p3 = c.post("p3", "fay", "#other unrelated topic")
    c.post("r4", "fay", "more on that", in_reply_to_id=p3["id"])
    c.client("cat").status_reblog(p1["id"])
    c.client("eve").status_reblog(p1["id"])
    c.client("dan").status_reblog(p2["id"])
    c.client("ben").status_favourite(p1["id"])
    c.client("fay").status_favourite(p1["id"])
    c.client("ana").status_favourite(p2["id"])
    for i in range(bulk):
        c.post(f"b{i}", USERS[i % len(USERS)], f"bulk note {i} #hcsm")
    c.bulk = bulk
    return c


def expected(c: Community, *, with_quotes: bool = True) -> dict[str, Any]:
    """What the store must hold, derived from what we built (not from the collector)."""
    tagged = {"p1", "r3", "p2", *(f"b{i}" for i in range(c.bulk))}
    posts = tagged | {"r1", "r2"} | ({"q1"} if with_quotes else set())
    ties = {"reply": 3, "mention": 4, "boost": 3, "favourite": 3, "quote": 1 if with_quotes else 0}
    return {"posts": {c.posts[k]["uri"] for k in posts}, "tagged": len(tagged), "ties": ties}


def start_server() -> Any:
    seed = SeedConfig(
        accounts=[
            SeedAccount(username=u, display_name=u.title(), access_token=f"{u}_token")
            for u in USERS
        ]
    )
    return mock.MockServer(seed=seed).start()


@pytest.fixture(scope="module")
def community() -> Iterator[Community]:
    server = start_server()
    try:
        yield build(server)
    finally:
        server.stop()


def settings_for(c: Community, *, token: bool = True, **collect: Any) -> Settings:
    return Settings(
        mastodon=(MastodonSource(c.url, ("hcsm",), None, TOKEN_ENV if token else None),),
        # the mock's URIs name an unreachable domain; home servers are tested in test_fediverse
        collect=CollectSettings(backoff_base=0.01, **{"home_servers": False, **collect}),
        # about collection, not consent: noindex alone, as before [consent] (the recorded and
        # mocked accounts read indexable: false); tests/test_consent.py covers the signals
        consent=ConsentSettings(indexable=False, discoverable=False),
    )


def fast_sleep(seconds: float) -> None:
    time.sleep(min(seconds, 0.02))


def job(engine: Engine) -> JobContext:
    return JobContext(engine=engine, sleep=fast_sleep)


def stored_uris(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(PostRow.uri).where(PostRow.boost_of_uri.is_(None))))


def check(engine: Engine, exp: dict[str, Any]) -> dict[str, Any]:
    s = status(engine)
    assert stored_uris(engine) == exp["posts"]
    assert s["tagged_posts"] == exp["tagged"]
    assert s["interactions"] == exp["ties"]
    return s


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "ana_token")


def faults(url: str, *rules: dict[str, Any]) -> None:
    requests.delete(f"{url}/api/v1/_mock/faults", timeout=5).raise_for_status()
    for rule in rules:
        requests.post(f"{url}/api/v1/_mock/faults", json=rule, timeout=5).raise_for_status()


def test_store_equals_what_the_server_holds(
    engine: Engine, community: Community, token: None
) -> None:
    faults(community.url)
    results = collect(settings_for(community), job(engine))
    assert [r.status for r in results] == ["ok", "ok"]
    s = check(engine, expected(community))
    with engine.connect() as conn:
        keys = dict(conn.execute(select(AccountRow.handle, AccountRow.key)).all())
        # local accts are qualified with their home: the host of their profile URL, not the
        # address the server happened to answer on
        for u in USERS:
            [handle] = [h for h in keys if h and h.split("@")[0] == u]
            assert handle == f"{u}@{keys[handle].split('//', 1)[1].split('/', 1)[0]}"
            assert community.url.split("//", 1)[1] not in handle
        assert conn.scalar(select(func.count()).select_from(RawPayloadRow)) >= 4
        via = conn.scalar(
            select(func.count()).select_from(InteractionRow).where(InteractionRow.via_reply)
        )
    assert via == 3  # r1 -> ana, r2 -> ben, r3 -> cat mention the account they reply to
    # paging: 88 tagged posts at 40 a page = 3 pages on the first (backfill) run
    stream = s["streams"][0]
    assert stream["backfill_done"] and stream["cursor"] == max(
        (p["id"] for p in community.posts.values()), key=int
    )

    # rerun: nothing changes, one request for the (empty) forward page
    before = status(engine)
    again = collect(settings_for(community), job(engine))
    assert again[0].requests == 1 and again[0].posts_new == 0
    after = status(engine)
    assert (after["posts"], after["accounts"], after["interactions"]) == (
        before["posts"],
        before["accounts"],
        before["interactions"],
    )


def test_without_token_quotes_are_asked_where_offered(engine: Engine, community: Community) -> None:
    """Quotes are asked anonymously too: the mock offers them (Mastodon 4.5 asks for a token,
    and the run then says the server did not offer them)."""
    faults(community.url)
    results = collect(settings_for(community, token=False), job(engine))
    assert [r.status for r in results] == ["ok", "ok"]
    check(engine, expected(community, with_quotes=True))


def test_faults_give_the_same_result(engine: Engine, community: Community, token: None) -> None:
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    faults(
        community.url,
        {
            "match": {"path": "/api/v1/timelines/tag/hcsm"},
            "effect": {"type": "status", "status": 503},
            "count": 2,
        },
        {
            "match": {"path_regex": "/context$"},
            "effect": {"type": "ratelimit", "headers": {"X-RateLimit-Reset": reset}},
            "count": 1,
        },
        {"match": {"path_regex": "/reblogged_by$"}, "effect": {"type": "malformed"}, "count": 2},
        {
            "match": {"path_regex": "/favourited_by$"},
            "effect": {"type": "status", "status": 502},
            "count": 1,
        },
        {
            "match": {"path_regex": "/quotes$"},
            "effect": {"type": "latency", "delay_ms": 300},
            "count": 1,
        },
    )
    results = collect(settings_for(community), job(engine))
    faults(community.url)
    assert [r.status for r in results] == ["ok", "ok"]
    check(engine, expected(community))


def test_a_stream_that_keeps_failing_is_reported(
    engine: Engine, community: Community, token: None
) -> None:
    faults(
        community.url,
        {
            "match": {"path": "/api/v1/timelines/tag/hcsm"},
            "effect": {"type": "status", "status": 503},
        },
    )
    try:
        results = collect(settings_for(community, max_retries=2), job(engine))
    finally:
        faults(community.url)
    assert results[0].status == "failed"
    assert "kept failing after 2 retries" in results[0].errors[0]
    assert status(engine)["streams"][0]["last_run"]["status"] == "failed"


def test_budget_stops_a_run_and_the_next_resumes(
    engine: Engine, community: Community, token: None
) -> None:
    faults(community.url)
    first = collect(settings_for(community, request_budget=2), job(engine))
    assert "budget" in first[0].errors[0]
    assert 0 < status(engine)["tagged_posts"] < expected(community)["tagged"]
    collect(settings_for(community), job(engine))
    check(engine, expected(community))


def test_new_posts_add_exactly_those(engine: Engine, token: None) -> None:
    server = start_server()
    try:
        c = build(server, bulk=5)
        collect(settings_for(c), job(engine))
        check(engine, expected(c))
        before = stored_uris(engine)
        n1 = c.post("n1", "fay", "late #hcsm news")
        n2 = c.post("n2", "ana", "@fay welcome", in_reply_to_id=n1["id"])
        res = collect(settings_for(c), job(engine))
        assert res[0].posts_new == 1 and res[0].requests == 1
        assert stored_uris(engine) - before == {n1["uri"], n2["uri"]}
    finally:
        server.stop()


def test_client_honours_rate_limit_reset(community: Community) -> None:
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    faults(
        community.url,
        {
            "match": {"path": "/api/v1/timelines/tag/hcsm"},
            "effect": {"type": "ratelimit", "headers": {"X-RateLimit-Reset": reset}},
            "count": 1,
        },
    )
    waits: list[float] = []
    client = MastodonClient(community.url, sleep=waits.append, backoff_base=0.01)
    page = client.tag_page("hcsm")
    assert isinstance(page.data, list) and page.data
    assert waits and 0 < waits[0] <= 3  # waited for the reset, not a fixed backoff
    assert client.requests == 2


def test_killed_collection_resumes_exactly_once(
    db_url: str, tmp_path: Path, community: Community
) -> None:
    cfg = tmp_path / "echochamber.toml"
    cfg.write_text(
        f'[[sources.mastodon]]\nserver = "{community.url}"\ntags = ["hcsm"]\n'
        f'token_env = "{TOKEN_ENV}"\n'
        # about collection, not consent (the mock's accounts read indexable: false)
        "[consent]\nindexable = false\ndiscoverable = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, TOKEN_ENV: "ana_token"}
    cmd = [sys.executable, "-m", "echochamber", "--config", str(cfg), "--db", db_url, "collect"]
    # slow every API call down so the process is caught mid-way
    faults(
        community.url,
        {
            "match": {"path_regex": "^/api/v1/(timelines|statuses)/"},
            "effect": {"type": "latency", "delay_ms": 150},
        },
    )
    from echochamber.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            with engine.connect() as conn:
                if conn.scalar(select(func.count()).select_from(RawPayloadRow)):
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        partial = status(engine)["posts"]
        assert partial < len(expected(community)["posts"])
        faults(community.url)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        check(engine, expected(community))
    finally:
        faults(community.url)
        engine.dispose()
