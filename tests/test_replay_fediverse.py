"""The real recordings replayed per host: whole conversations asked at their home servers.

Every host the rtoot cassettes were recorded at (mastodon.social, fosstodon.org,
social.tchncs.de, mastodon.hk) gets a replay server of its own on loopback, and the run's
``routes`` send that public server's requests there.  The collector keeps its own notion of
each server (``https://mastodon.social``), so URIs, local ids, provenance and ``Link`` following
are those of production; a host that was never recorded is refused before anything is sent
(the run never leaves loopback) and its posts fall back to the configured instance.  A
replayed server also answers ``GET /api/v1/statuses/ID`` for each status its recordings hold
(what it said about that status through another endpoint).

What the recordings can and cannot show (measured here, every figure derived from the JSON):

* none of the 135 remote posts of #ichbinhanna, nor any of the 47 remote replies of the
  recorded mastodon.social thread, has a recording at its home server, so they keep the
  configured instance's view with home servers on as with them off: completeness is the same
  both ways, and each unrecorded home server is named in the run's notes (its breaker opened,
  nothing sent) or, for a recorded host that lacks the post, named as not having it;
* the #rstats tag timeline was recorded at both fosstodon.org and mastodon.social; one of its
  posts lives at mastodon.social, so with fosstodon.org configured it is the one post whose
  home server's view exists, and that view outlives fosstodon's later, lesser claims.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from echochamber.collect.consent import ConsentRules, mastodon_signal
from echochamber.collect.normalize_mastodon import normalize_statuses
from echochamber.config import CollectSettings, ConsentSettings, MastodonSource, Settings
from echochamber.pipeline.collection import collect, revisit
from echochamber.pipeline.context import JobContext
from echochamber.store import status
from echochamber.store.fediverse import completeness
from echochamber.store.ingest import store_batch
from echochamber.store.schema import (
    AccountRow,
    InteractionRow,
    PostObservationRow,
    PostRow,
    RawPayloadRow,
)
from echochamber.store.streams import add_watch
from echochamber.text import hashed_key, hashed_uri
from tests.conftest import fixture_path
from tests.replay import ReplayServer, load_cassette, serve_hosts

MS, FOSS, TCHNCS = "https://mastodon.social", "https://fosstodon.org", "https://social.tchncs.de"
RECORDED = datetime(2025, 7, 17, tzinfo=UTC)  # the rtoot cassettes' recorded_at
ROOT_ID = "109294719267373593"  # the mastodon.social thread: context, boosts, favourites


def bodies(name: str) -> list[Any]:
    return [
        json.loads(rec.body)
        for _key, rec, _host in load_cassette(fixture_path("rtoot_vcr_fixtures", name))
        if rec.body
    ]


def host(uri: str) -> str:
    return urlsplit(uri).netloc


@pytest.fixture(scope="module")
def hosts() -> Iterator[dict[str, ReplayServer]]:
    cassettes = sorted(fixture_path("rtoot_vcr_fixtures").glob("*.yml"))
    with serve_hosts(*cassettes) as replays:
        for replay in replays.values():
            replay.answer_statuses()
        yield replays


@pytest.fixture(autouse=True)
def fresh(hosts: dict[str, ReplayServer]) -> None:
    for replay in hosts.values():
        replay.requests.clear()


def settings(server: str, tag: str, **collect: Any) -> Settings:
    return Settings(
        mastodon=(MastodonSource(server, (tag,), None, None),),
        collect=CollectSettings(backoff_base=0.01, max_retries=1, **collect),
        # about collection, not consent: noindex alone, as before [consent] (the recorded and
        # mocked accounts read indexable: false); tests/test_consent.py covers the signals
        consent=ConsentSettings(indexable=False, discoverable=False),
    )


def opted_out(account: dict[str, Any]) -> bool:
    """Whether the collector anonymises this account under these tests' settings."""
    return mastodon_signal(account, ConsentRules.of(settings("https://x.example", "t"))) is not None


def job(engine: Engine, hosts: dict[str, ReplayServer], now: datetime) -> JobContext:
    routes = {public: replay.base_url for public, replay in hosts.items()}
    return JobContext(engine=engine, sleep=lambda s: None, clock=lambda: now, routes=routes)


def stored(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """uri -> (replies, boosts, favourites, counts_server, counts_home)."""
    p = PostRow
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                p.uri,
                p.replies_count,
                p.boosts_count,
                p.favourites_count,
                p.counts_server,
                p.counts_home,
            ).where(p.boost_of_uri.is_(None))
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def replies_fetched(statuses: list[dict[str, Any]]) -> int:
    """Σ min(stored replies, counted replies) over the statuses: what completeness counts."""
    children: dict[str, int] = {}
    for s in statuses:
        if s.get("in_reply_to_id"):
            children[s["in_reply_to_id"]] = children.get(s["in_reply_to_id"], 0) + 1
    return sum(min(children.get(s["id"], 0), s["replies_count"]) for s in statuses)


def figures(engine: Engine) -> dict[str, Any]:
    comp = completeness(engine).as_dict()
    assert status(engine)["completeness"] == comp
    return comp


def status_json(db_url: str) -> dict[str, Any]:
    from echochamber.cli.main import cli

    res = CliRunner().invoke(cli, ["--db", db_url, "status", "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_the_recorded_hosts(hosts: dict[str, ReplayServer]) -> None:
    assert set(hosts) == {MS, FOSS, TCHNCS, "https://mastodon.hk"}  # the README's four


def test_ichbinhanna_at_home_servers_off_then_on(
    engine: Engine, db_url: str, hosts: dict[str, ReplayServer]
) -> None:
    statuses = [s for page in bodies("handle_params_max_id.yml") for s in page]
    local = [s for s in statuses if host(s["uri"]) == "mastodon.social"]
    remote = [s for s in statuses if host(s["uri"]) != "mastodon.social"]
    assert (len(statuses), len(local)) == (160, 25)
    ctx = job(engine, hosts, RECORDED)

    off = collect(settings(MS, "ichbinhanna", settle_days=200, home_servers=False), ctx)
    assert [r.status for r in off] == ["ok", "ok"], [r.errors for r in off]
    before = figures(engine)
    views = stored(engine)
    # home servers off: the configured instance alone was asked
    assert {p for p, r in hosts.items() if r.requests} == {MS}

    on = collect(settings(MS, "ichbinhanna", settle_days=200), ctx, refresh=True)
    assert [r.status for r in on] == ["ok", "ok"], [r.errors for r in on]
    after = figures(engine)
    assert stored(engine) == views

    # mastodon.social's own posts: its view is the home server's, counts and all
    def uri(s: dict[str, Any]) -> str:  # an opted-out author's URIs (they name him) are hashed
        return hashed_uri("mastodon", s["uri"]) if opted_out(s["account"]) else s["uri"]

    for s in local:
        counts = (s["replies_count"], s["reblogs_count"], s["favourites_count"])
        assert views[uri(s)] == (*counts, "mastodon.social", True)
    # the rest keep the configured instance's view: no recording of their home exists
    assert all(views[uri(s)][3:] == ("mastodon.social", False) for s in remote)

    counted = (93, 617, 329)  # the README's sums of replies_count, reblogs_count, favourites
    assert tuple(before["counted"].values()) == counted
    # replies answering a post within the recording; no boost or favourite list was recorded
    assert tuple(before["fetched"].values()) == (replies_fetched(statuses), 0, 0) == (10, 0, 0)
    assert (before["posts"], before["home_counted"]) == (160, 25)
    assert after == before

    # where the home server was not recorded, its breaker opened before anything was sent
    notes = on[-1].skipped
    # (an opted-out author's post, its URI a pseudonym, is not looked up at home)
    asked = {host(s["uri"]) for s in remote if not opted_out(s["account"])}
    unrecorded = asked - {"social.tchncs.de"}
    assert len({host(s["uri"]) for s in remote} - {"social.tchncs.de"}) == 29
    assert len(unrecorded) == 28
    for h in unrecorded:
        assert any(
            n.startswith(f"{h}: not routed to loopback") and "skipped until" in n for n in notes
        )
    # social.tchncs.de was recorded, but not these posts: asked, and it answered 404
    at_tchncs = [s for s in remote if host(s["uri"]) == "social.tchncs.de"]
    assert len(at_tchncs) == 2
    for s in at_tchncs:
        assert f"social.tchncs.de: {s['uri']} not found" in notes
        assert any(
            f"/api/v1/statuses/{s['uri'].rsplit('/', 1)[1]}" in r for r in hosts[TCHNCS].requests
        )

    shown = status_json(db_url)
    assert shown["completeness"] == after
    failing = {srv["host"]: srv for srv in shown["servers"]}
    assert set(failing) == unrecorded  # social.tchncs.de answers: it is not failing
    assert all(
        "not routed" in srv["last_error"] and srv["skipped_until"] for srv in failing.values()
    )


def _root(context: dict[str, Any]) -> dict[str, Any]:
    """The thread's root as mastodon.social would serve it: it was not recorded, so this
    stand-in carries its id, URI and author (named by the replies) and no counts."""
    who = next(
        m
        for s in context["descendants"]
        if s["in_reply_to_id"] == ROOT_ID
        for m in s["mentions"]
        if m["id"] == s["in_reply_to_account_id"]
    )
    assert "@" not in who["acct"]  # a mastodon.social account
    return {
        "id": ROOT_ID,
        "uri": f"{MS}/users/{who['username']}/statuses/{ROOT_ID}",
        "created_at": "2022-11-06T03:00:00Z",
        "content": "<p>root</p>",
        "account": {k: who[k] for k in ("id", "username", "acct", "url")},
        "tags": [],
        "mentions": [],
    }


def test_the_recorded_thread_at_home_servers_off_then_on(
    engine: Engine, db_url: str, hosts: dict[str, ReplayServer]
) -> None:
    context = bodies("get_context_default.yml")[0]
    desc = context["descendants"]
    boosters, favers = (
        bodies("get_reblogged_by_default.yml")[0],
        bodies("get_favourited_by_default.yml")[0],
    )
    root = _root(context)
    hosts[MS].respond(f"/api/v1/statuses/{ROOT_ID}", root)
    now = datetime(2022, 11, 8, tzinfo=UTC)
    ctx = job(engine, hosts, now)
    batch = normalize_statuses([root], server=MS, tracked=["ichbinhanna"])
    with engine.begin() as conn:
        store_batch(conn, batch, now=now, server="mastodon.social")
        add_watch(conn, MS, list(batch.posts), now)

    off = revisit(settings(MS, "ichbinhanna", home_servers=False), ctx)
    assert off[0].status == "ok", off[0].errors
    before = figures(engine)
    on = revisit(settings(MS, "ichbinhanna"), ctx, refresh=True)
    assert on[0].status == "ok", on[0].errors
    after = figures(engine)

    # the store holds the thread as its home server has it: the 59 replies of its context,
    # its boosters and favouriters (the first recorded page; the next, not recorded, is 404)
    author = root["account"]["url"]

    def keys(accounts: list[dict[str, Any]]) -> set[str]:
        return {hashed_key("mastodon", a["url"]) if opted_out(a) else a["url"] for a in accounts}

    with engine.connect() as conn:

        def actors(kind: str) -> set[str]:
            return set(
                conn.scalars(
                    select(AccountRow.key)
                    .join(InteractionRow, InteractionRow.actor_id == AccountRow.id)
                    .where(InteractionRow.kind == kind, InteractionRow.subject_uri == root["uri"])
                )
            )

        assert actors("boost") == keys(boosters) - {author}
        assert actors("favourite") == keys(favers) - {author}
        in_thread = conn.scalar(
            select(func.count()).select_from(PostRow).where(PostRow.root_uri == root["uri"])
        )
        endpoints = set(
            conn.scalars(
                select(RawPayloadRow.endpoint).where(RawPayloadRow.source == "mastodon.social")
            )
        )
    assert in_thread == len(desc) == 59
    # the public URL throughout: routes change where a request goes, not what it is
    assert endpoints and all(e.startswith(f"{MS}/api/v1/") for e in endpoints)
    assert any("reblogged_by?" in r and "max_id=" in r for r in hosts[MS].requests)  # Link

    views = stored(engine)
    local = [s for s in desc if host(s["uri"]) == "mastodon.social"]
    assert len(local) == 12
    assert views[root["uri"]] == (None, None, None, "mastodon.social", True)
    for s in desc:
        home = host(s["uri"]) == "mastodon.social"
        counts = (s["replies_count"], s["reblogs_count"], s["favourites_count"])
        assert views[s["uri"]] == (*counts, "mastodon.social", home)

    # completeness: the root counts nothing (its status was not recorded); the replies'
    # boosts and favourites lists were not recorded either
    counted = tuple(
        sum(s[k] for s in desc) for k in ("replies_count", "reblogs_count", "favourites_count")
    )
    assert tuple(after["counted"].values()) == counted
    assert tuple(after["fetched"].values()) == (replies_fetched(desc), 0, 0)
    assert (after["posts"], after["home_counted"]) == (60, 13)
    assert after == before

    notes = on[0].skipped
    at_foss = [s for s in desc if host(s["uri"]) == "fosstodon.org"]
    assert len(at_foss) == 2
    for s in at_foss:  # recorded host, but not these replies: 404 there, the fallback answered
        assert f"fosstodon.org: {s['uri']} not found" in notes
    unrecorded = {host(s["uri"]) for s in desc} - {"mastodon.social", "fosstodon.org"}
    for h in unrecorded:
        assert any(n.startswith(f"{h}: not routed to loopback") for n in notes), h
    assert not off[0].skipped or all("not routed" not in n for n in off[0].skipped)
    assert status_json(db_url)["completeness"] == after


def test_rstats_home_view_outlives_the_configured_view(
    engine: Engine, db_url: str, hosts: dict[str, ReplayServer]
) -> None:
    """fosstodon.org configured; the one #rstats post that lives at mastodon.social is asked
    there, and fosstodon's view of it, seen again, does not replace the home's."""
    mine = bodies("get_timeline_hashtag_default.yml")[0]
    theirs = {s["uri"]: s for s in bodies("get_timeline_hashtag_instance.yml")[0]}
    assert len(mine) == 5 and set(theirs) == {s["uri"] for s in mine}
    at_home = [s for s in mine if host(s["uri"]) == "mastodon.social"]
    assert len(at_home) == 1
    uri = at_home[0]["uri"]
    home_view = theirs[uri]
    ctx = job(engine, hosts, RECORDED)

    off = collect(settings(FOSS, "rstats", home_servers=False), ctx)
    assert [r.status for r in off] == ["ok", "ok"], [r.errors for r in off]
    before = figures(engine)
    assert (before["posts"], before["home_counted"]) == (5, 0)
    assert stored(engine)[uri][3:] == ("fosstodon.org", False)

    on = collect(settings(FOSS, "rstats"), ctx, refresh=True)
    assert [r.status for r in on] == ["ok", "ok"], [r.errors for r in on]
    after = figures(engine)
    counts = (home_view["replies_count"], home_view["reblogs_count"], home_view["favourites_count"])
    assert stored(engine)[uri] == (*counts, "mastodon.social", True)
    assert any(r.startswith(f"/api/v1/statuses/{home_view['id']}") for r in hosts[MS].requests)
    assert (after["posts"], after["home_counted"]) == (5, 1)

    # the configured instance's view again, home servers off: the home's view stays
    again = collect(settings(FOSS, "rstats", home_servers=False), ctx, refresh=True)
    assert [r.status for r in again] == ["ok", "ok"]
    assert stored(engine)[uri] == (*counts, "mastodon.social", True)
    assert figures(engine) == after
    with engine.connect() as conn:
        seen = dict(
            conn.execute(
                select(PostObservationRow.server, PostObservationRow.home)
                .join(PostRow, PostRow.id == PostObservationRow.post_id)
                .where(PostRow.uri == uri)
            ).all()
        )
    assert seen == {"fosstodon.org": False, "mastodon.social": True}
    assert status_json(db_url)["completeness"] == after


def test_routes_never_leave_loopback(tmp_path: Path) -> None:
    from echochamber.collect.mastodon_client import MastodonClient
    from echochamber.collect.routes import check_routes
    from echochamber.config import load_settings
    from echochamber.errors import ConfigError, SourceUnavailable

    for bad in (
        {MS: "http://10.0.0.1:8080"},
        {MS: "https://mastodon.example"},
        {MS: "http://127.0.0.1:8080/api"},
        {f"{MS}/api": "http://127.0.0.1:8080"},
    ):
        with pytest.raises(ConfigError, match="route"):
            check_routes(bad)
    # a host without a route is refused before anything is sent, and not retried
    client = MastodonClient(MS, routes={}, max_retries=3, sleep=lambda s: None)
    with pytest.raises(SourceUnavailable, match="not routed to loopback"):
        client.status("1")
    assert client.requests == 1
    # routes are a hook for tests and operations scripts: the configuration file cannot set them
    config = tmp_path / "echochamber.toml"
    config.write_text('[collect]\nroutes = { "https://mastodon.social" = "http://127.0.0.1:9" }\n')
    with pytest.raises(ConfigError, match=r"collect\.routes: unknown setting"):
        load_settings(config, env={})
