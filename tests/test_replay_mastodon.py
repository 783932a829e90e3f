"""The real recordings in ../shared/fixtures, replayed over HTTP through the real collector.

Expected numbers are derived here from the recorded JSON itself (and agree with the fixtures'
README): the collector must store what the recordings hold, no more and no less.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from echochamber.collect.consent import ConsentRules, mastodon_signal
from echochamber.collect.normalize_mastodon import normalize_statuses
from echochamber.config import CollectSettings, ConsentSettings, MastodonSource, Settings
from echochamber.models import Post
from echochamber.pipeline.collection import collect, revisit
from echochamber.pipeline.context import JobContext
from echochamber.store import status
from echochamber.store.ingest import store_batch
from echochamber.store.schema import AccountRow, InteractionRow, PostRow, RawPayloadRow
from echochamber.store.streams import add_watch
from echochamber.text import hashed_key
from tests.conftest import fixture_path
from tests.replay import serve

ROOT_ID = "109294719267373593"


def bodies(path: Path) -> list[Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("http_interactions") or data.get("interactions")
    return [
        json.loads(i["response"]["body"]["string"])
        for i in items
        if i["response"]["body"]["string"]
    ]


def settings(url: str, tag: str) -> Settings:
    return Settings(
        mastodon=(MastodonSource(url, (tag,), None, None),),
        # the recordings' home servers are public hosts: their threads are served here alone
        collect=CollectSettings(backoff_base=0.01, max_retries=1, home_servers=False),
        # about collection, not consent: noindex alone, as before [consent] (the recorded and
        # mocked accounts read indexable: false); tests/test_consent.py covers the signals
        consent=ConsentSettings(indexable=False, discoverable=False),
    )


def opted_out(account: dict[str, Any]) -> bool:
    """Whether the collector anonymises this account under these tests' settings."""
    return mastodon_signal(account, ConsentRules.of(settings("https://x.example", "t"))) is not None


def job(engine: Engine) -> JobContext:
    return JobContext(engine=engine, sleep=lambda s: None)


def test_ichbinhanna_tag_timeline(engine: Engine) -> None:
    cassette = fixture_path("rtoot_vcr_fixtures", "handle_params_max_id.yml")
    statuses = [s for page in bodies(cassette) for s in page]
    assert len(statuses) == 160  # the README's figure
    authors = {s["account"]["url"] for s in statuses}
    replies = [s for s in statuses if s["in_reply_to_id"]]
    assert (len(authors), len(replies)) == (74, 57)
    # consent: an author who set noindex (or #nobot in the profile) is kept under a hashed key
    private = {s["account"]["url"] for s in statuses if opted_out(s["account"])}
    assert private
    keys = {hashed_key("mastodon", a) if a in private else a for a in authors}
    ids = {s["id"] for s in statuses}
    in_set = [s for s in replies if s["in_reply_to_id"] in ids]
    assert len(in_set) == 11

    with serve(cassette) as replay:
        results = collect(settings(replay.base_url, "IchBinHanna"), job(engine))
        assert results[0].status == "ok", results[0].errors
        s = status(engine)
        assert s["tagged_posts"] == 160
        with engine.connect() as conn:
            stored_authors = set(
                conn.scalars(
                    select(AccountRow.key)
                    .join(PostRow, PostRow.author_id == AccountRow.id)
                    .where(PostRow.tagged)
                )
            )
            with_parent = conn.scalar(
                select(func.count())
                .select_from(PostRow)
                .where(
                    PostRow.tagged,
                    (PostRow.in_reply_to_uri.is_not(None))
                    | (PostRow.in_reply_to_native.is_not(None)),
                )
            )
            linked = conn.scalar(
                select(func.count())
                .select_from(PostRow)
                .where(PostRow.tagged, PostRow.in_reply_to_uri.is_not(None))
            )
            raw = conn.scalar(select(func.count()).select_from(RawPayloadRow))
        assert stored_authors == keys
        assert with_parent == 57
        assert linked == 11  # parents inside the recording are linked by URI
        # a reply tie needs the replied-to account (the parent's author, a mention naming
        # in_reply_to_account_id, or the author itself) and is dropped when it is the author
        by_id = {st["id"]: st for st in statuses}

        def target(st: dict[str, Any]) -> str | None:
            if st["in_reply_to_id"] in by_id:
                return str(by_id[st["in_reply_to_id"]]["account"]["url"])
            acct = st["in_reply_to_account_id"]
            if acct == st["account"]["id"]:
                return str(st["account"]["url"])
            return next((m["url"] for m in st["mentions"] if m["id"] == acct), None)

        ties = [st for st in replies if target(st) not in (None, st["account"]["url"])]
        assert s["interactions"]["reply"] == len(ties) == 20
        assert raw >= 5  # four pages and the closing empty page at least
        tl_requests = [r for r in replay.requests if "/timelines/tag/" in r]
        assert len(tl_requests) == 5

        before = status(engine)
        collect(settings(replay.base_url, "ichbinhanna"), job(engine))
        after = status(engine)
        assert (after["posts"], after["accounts"], after["interactions"]) == (
            before["posts"],
            before["accounts"],
            before["interactions"],
        )


def _root_post(context: dict[str, Any]) -> dict[str, Any]:
    who = next(
        m
        for s in context["descendants"]
        if s["in_reply_to_id"] == ROOT_ID
        for m in s["mentions"]
        if m["id"] == s["in_reply_to_account_id"]
    )
    return {
        "id": ROOT_ID,
        "uri": f"https://mastodon.social/users/{who['username']}/statuses/{ROOT_ID}",
        "created_at": "2022-11-07T12:00:00Z",
        "content": "<p>root</p>",
        "account": {
            "id": who["id"],
            "username": who["username"],
            "acct": who["acct"],
            "url": who["url"],
        },
        "tags": [{"name": "ichbinhanna"}],
        "mentions": [],
    }


def test_recorded_conversation_boosts_and_favourites(engine: Engine) -> None:
    ctx_file = fixture_path("rtoot_vcr_fixtures", "get_context_default.yml")
    boosts = fixture_path("rtoot_vcr_fixtures", "get_reblogged_by_default.yml")
    favs = fixture_path("rtoot_vcr_fixtures", "get_favourited_by_default.yml")
    context = bodies(ctx_file)[0]
    desc = context["descendants"]
    assert len(desc) == 59 and sum(s["in_reply_to_id"] == ROOT_ID for s in desc) == 43

    def keys(accounts: list[dict[str, Any]]) -> set[str]:
        return {hashed_key("mastodon", a["url"]) if opted_out(a) else a["url"] for a in accounts}

    booster_urls = keys(bodies(boosts)[0])
    faver_urls = keys(bodies(favs)[0])
    assert len(booster_urls) == len(faver_urls) == 40

    root = _root_post(context)
    now = datetime(2022, 11, 8, tzinfo=UTC)
    batch = normalize_statuses([root], server="https://mastodon.social", tracked=["ichbinhanna"])
    with serve(ctx_file, boosts, favs) as replay:
        # a revisit asks for the status itself first (its latest text and counts; a 404 would
        # mean it was deleted): the recording has none, so the root answers as itself
        replay.respond(f"/api/v1/statuses/{ROOT_ID}", root)
        for reply in desc:  # and the replies, which the revisit watches too
            replay.respond(f"/api/v1/statuses/{reply['id']}", reply)
        batch = normalize_statuses([root], server=replay.base_url, tracked=["ichbinhanna"])
        with engine.begin() as conn:
            store_batch(conn, batch, now=now)
            add_watch(conn, replay.base_url, list(batch.posts), now)
        s = settings(replay.base_url, "ichbinhanna")
        ctx = JobContext(engine=engine, sleep=lambda x: None, clock=lambda: now)
        res = revisit(s, ctx)
        assert res[0].status == "ok", res[0].errors
        # the next page of each list (Link rel=next) was not recorded: 404, handled
        assert any("max_id" in r for r in replay.requests)
    st = status(engine)
    assert st["posts"] == 1 + 59
    author = root["account"]["url"]
    with engine.connect() as conn:

        def actors(kind: str) -> set[str]:
            return set(
                conn.scalars(
                    select(AccountRow.key)
                    .join(InteractionRow, InteractionRow.actor_id == AccountRow.id)
                    .where(InteractionRow.kind == kind)
                )
            )

        assert actors("boost") == booster_urls - {author}
        assert actors("favourite") == faver_urls - {author}
        replies_to_root = conn.scalar(
            select(func.count())
            .select_from(InteractionRow)
            .where(InteractionRow.kind == "reply", InteractionRow.target_uri == root["uri"])
        )
    self_direct = sum(
        1 for s_ in desc if s_["in_reply_to_id"] == ROOT_ID and s_["account"]["url"] == author
    )
    assert replies_to_root == 43 - self_direct
    nested = [s_ for s_ in desc if s_["in_reply_to_id"] != ROOT_ID]
    assert len(nested) == 16


@pytest.mark.parametrize("cassette", ["test_fetch_remaining.yaml", "test_pagination_iterator.yaml"])
def test_mastodon_py_paging_cassettes(engine: Engine, cassette: str) -> None:
    path = fixture_path("mastodon_py_cassettes", cassette)
    pages = [b for b in bodies(path) if isinstance(b, list)]
    tagged = {s["uri"] for page in pages for s in page}
    tag = pages[0][0]["tags"][0]["name"]
    with serve(path) as replay:
        res = collect(settings(replay.base_url, tag), job(engine), revisit=False)
    assert res[0].status == "ok"
    assert status(engine)["tagged_posts"] == len(tagged) == 30
    assert status(engine)["streams"][0]["backfill_done"] is True


def test_replayed_429_then_success(engine: Engine) -> None:
    path = fixture_path("mastodon_py_cassettes", "test_fetch_remaining.yaml")
    first_page = next(b for b in bodies(path) if isinstance(b, list))
    tag = first_page[0]["tags"][0]["name"]
    waits: list[float] = []
    with serve(path) as replay:
        replay.fail_next(f"/api/v1/timelines/tag/{tag}", 429)
        replay.fail_next(f"/api/v1/timelines/tag/{tag}", 503)
        ctx = JobContext(engine=engine, sleep=waits.append)
        res = collect(settings(replay.base_url, tag), ctx, revisit=False)
    assert res[0].status == "ok" and status(engine)["tagged_posts"] == 30
    assert len(waits) >= 2


def test_malformed_stream_import(db_url: str, tmp_path: Path) -> None:
    from echochamber.cli.main import cli

    path = fixture_path("rtoot_vcr_fixtures", "malformed_stream.jsonl")
    good = []
    for line in path.read_bytes().split(b"\n"):
        try:
            good.append(json.loads(line)["uri"])
        except ValueError:
            continue
    assert len(good) == 49
    runner = CliRunner()
    args = ["--db", db_url, "import", str(path), "--format", "mastodon"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 1
    assert f"{path}:50:" in first.stderr
    assert "49 of 50 records imported, 1 skipped" in first.stdout
    second = runner.invoke(cli, [*args, "--json"])
    assert second.exit_code == 1
    summary = json.loads(second.stdout)["files"][0]
    assert summary["posts_new"] == 0 and summary["posts_seen"] == len(set(good))
    from echochamber.store.engine import make_engine

    engine = make_engine(db_url)
    assert status(engine)["posts"] == len(set(good)) == 48
    engine.dispose()


def test_malformed_status_names_the_field() -> None:
    from echochamber.errors import ImportFormatError

    with pytest.raises(ImportFormatError, match="'uri'"):
        normalize_statuses([{"id": "1", "created_at": "2026-01-01T00:00:00Z"}], server="x")


def test_boost_status_normalises_to_a_boost() -> None:
    path = fixture_path("rtoot_vcr_fixtures", "post_status_success.yml")
    boost = bodies(path)[0]
    batch = normalize_statuses([boost], server="https://fosstodon.org")
    kinds = [t.kind for t in batch.interactions]
    if boost["account"]["url"] != boost["reblog"]["account"]["url"]:
        assert kinds.count("boost") == 1
    assert {p.uri for p in batch.posts} >= {boost["reblog"]["uri"]}
    assert isinstance(batch.posts[0], Post)


def test_ichbinhanna_collected_then_measured(engine: Engine) -> None:
    """The real recording through collect -> snapshot; every number explained from the JSON."""
    from datetime import timedelta

    from echochamber.config import CoreSettings, MetricsSettings
    from echochamber.models import Window
    from echochamber.pipeline.snapshot import compute

    cassette = fixture_path("rtoot_vcr_fixtures", "handle_params_max_id.yml")
    statuses = [s for page in bodies(cassette) for s in page]
    with serve(cassette) as replay:
        base = settings(replay.base_url, "ichbinhanna")
        collect(base, job(engine), revisit=False)
    first = min(datetime.fromisoformat(s["created_at"].replace("Z", "+00:00")) for s in statuses)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    window = Window(start, start + timedelta(days=200))  # the whole recording, 2025-01-01 on
    s = Settings(
        mastodon=base.mastodon,
        core=CoreSettings(policy="top-active", size=10),
        metrics=MetricsSettings(null_samples=20),
    )
    m = compute(engine, s, window).metrics
    again = compute(engine, s, window).metrics
    assert m == again  # stable: same store, same seed, same numbers

    # posts: every recorded status carries the tag and lies in the window
    assert m["posts"] == 160
    # participants: the 74 authors; the accounts they mention or answer only received ties
    assert m["participants"] == 74 and m["core_size"] == 10
    # the core is the 10 most active by tagged posts + ties made (no weeks before: the window)
    posts_by_author: dict[str, int] = {}
    for st in statuses:
        posts_by_author[st["account"]["url"]] = posts_by_author.get(st["account"]["url"], 0) + 1
    top_posts = sorted(posts_by_author.values(), reverse=True)[:10]
    assert m["top10_share"] == pytest.approx(sum(top_posts) / 160)
    # with only 20 reply ties, 1 quote and the mentions, most authors never touch the core
    assert m["outside_participants"] == 64
    assert 0 <= m["outside_share"] <= 1 and m["outside_share"] == pytest.approx(64 / 74)
    assert (
        m["hop_profile"]["unreached"]
        + m["hop_profile"]["1"]
        + m["hop_profile"]["2"]
        + m["hop_profile"]["3+"]
        == 64
    )
