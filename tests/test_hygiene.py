"""Mention hygiene on real recordings and by hand: reply-all runs are the composer's, not ties."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from echochamber.collect.normalize_bluesky import normalize_records as bluesky_records
from echochamber.collect.normalize_mastodon import normalize_statuses
from echochamber.collect.normalize_twitter import normalize_records as twitter_records
from echochamber.config import CoreSettings, MetricsSettings, Settings
from echochamber.config.weeks import zone_week
from echochamber.graph.hygiene import replyall
from echochamber.models import WeekPost, WeekTie
from echochamber.pipeline.snapshot import week_graph
from echochamber.store import graph_reader
from echochamber.store.ingest import store_batch
from tests.conftest import fixture_path

THREAD_WEEK = zone_week(datetime(2022, 11, 6, 12, tzinfo=UTC))  # the thread's posts: W44


def thread_statuses() -> list[dict[str, Any]]:
    """The 59 descendants of mastodon.social status 109294719267373593, as recorded (the root
    itself was not fetched)."""
    path = fixture_path("rtoot_vcr_fixtures", "get_context_default.yml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(data["http_interactions"][0]["response"]["body"]["string"])["descendants"]


def mention_acts(engine: Engine, settings: Settings) -> list[tuple[str, str]]:
    with graph_reader(engine) as reader:
        wk = week_graph(reader, settings, THREAD_WEEK, "all")
    h = {i: str(wk.info[i]["handle"]) for i in wk.info}
    return sorted((h[a.actor], h[a.target]) for a in wk.acts if a.kind == "mention")  # type: ignore[index]


def test_the_real_thread_keeps_only_typed_mentions(engine: Engine) -> None:
    desc = thread_statuses()
    batch = normalize_statuses(desc, server="https://mastodon.social", tracked=["x"])
    with engine.begin() as conn:
        store_batch(conn, batch, now=datetime(2022, 11, 8, tzinfo=UTC))
    # The recording: 184 mention objects, 56 of them name the account the post replies to,
    # 128 do not.  The most mentioned accounts never posted in the thread.
    objects = [(s["account"]["acct"], m["acct"], s) for s in desc for m in s["mentions"]]
    addressee = [o for o in objects if o[2]["in_reply_to_account_id"] == _id(o[1], desc)]
    assert (len(objects), len(addressee)) == (184, 56)
    others = Counter(o[1] for o in objects if o not in addressee)
    assert others.most_common(2) == [("Mastodon", 54), ("Gargron", 53)]
    settings = Settings(
        core=CoreSettings(policy="list", accounts=("austinkocher@mastodon.social",)),
        metrics=MetricsSettings(null_samples=0, bootstrap=0),
    )
    # After hygiene the mention acts are the typed ones only:
    # * leading mentions of accounts outside the parent's set: Curious_now's
    #   @Pwnallthethings, heades's @ryanstraight, reid24hrs's @paul_bentham and ondra's @hugo
    #   (ondra answers OliKockova, whose post mentions austinkocher, Gargron and Mastodon);
    # * mentions typed after the text: austinkocher's two replies to his own post end with
    #   @Gargron @Mastodon; ondra moved the pre-filled @austinkocher @Gargron @Mastodon to the
    #   end and names @OliKockova mid-sentence (the addressee: an act, but no graph weight).
    # The direct replies to the root (not fetched) open with @austinkocher @Gargron
    # @Mastodon: austinkocher is the addressee, and Gargron and Mastodon lead the replies of
    # 36 distinct authors, so they are taken as the root's own mentions and dropped.
    assert mention_acts(engine, settings) == [
        ("Curious_now@mastodon.social", "Pwnallthethings@mastodon.social"),
        ("austinkocher@mastodon.social", "Gargron@mastodon.social"),
        ("austinkocher@mastodon.social", "Gargron@mastodon.social"),
        ("austinkocher@mastodon.social", "Mastodon@mastodon.social"),
        ("austinkocher@mastodon.social", "Mastodon@mastodon.social"),
        ("heades@hci.social", "ryanstraight@hci.social"),
        ("ondra@unextro.net", "Gargron@mastodon.social"),
        ("ondra@unextro.net", "Mastodon@mastodon.social"),
        ("ondra@unextro.net", "OliKockova@toot.whatever.cz"),
        ("ondra@unextro.net", "austinkocher@mastodon.social"),
        ("ondra@unextro.net", "hugo@masto.pt"),
        ("reid24hrs@infosec.exchange", "paul_bentham@infosec.exchange"),
    ]
    with graph_reader(engine) as reader:
        wk = week_graph(reader, settings, THREAD_WEEK, "all")
    # 184 - 12 = 172 mention objects dropped: 55 of the 56 that name the addressee and
    # 117 of the other 128.
    assert wk.replyall == 172


def _id(acct: str, desc: list[dict[str, Any]]) -> str | None:
    for s in desc:
        for m in s["mentions"]:
            if m["acct"] == acct:
                return str(m["id"])
    return None


def test_reply_all_by_hand() -> None:
    t0 = datetime(2026, 1, 5, tzinfo=UTC)

    def post(i: int, parent: int | None, author: int, ref: str | None = None) -> WeekPost:
        kind = "reply" if ref else "root"
        return WeekPost(i, f"p{i}", parent, kind, author, t0, False, 1, None, ref)

    def mention(actor: int, target: int, post: int) -> WeekTie:
        return WeekTie("mention", actor, target, t0, None, post, False)

    handles = {1: "ann@a.example", 2: "bob@b.example", 3: "cat@c.example", 4: "dan@d.example"}
    posts = [post(1, None, 1), post(2, 1, 2, "p1"), post(3, 2, 3, "p2"), post(4, 1, 4, "p1")]
    ties = [
        mention(1, 2, 1),  # 0: ann's root mentions bob: a root's mentions are always ties
        mention(2, 1, 2),  # 1: bob opens with @ann, the parent's author: reply-all
        mention(2, 3, 2),  # 2: bob opens with @cat, not in {ann, bob}: typed, a tie
        mention(3, 2, 3),  # 3: cat opens with @bob (P2's author): reply-all
        mention(3, 1, 3),  # 4: cat opens with @ann (P2's mention): reply-all
        mention(3, 4, 3),  # 5: cat names @dan after the text: a tie
        mention(4, 2, 4),  # 6: dan's text does not open with @bob: a tie
    ]
    texts = {2: "@ann @cat hello", 3: "@bob @ann yes, cc @dan", 4: "I agree @bob"}
    assert replyall(posts, ties, texts, handles) == {1, 3, 4}
    # An account without a known handle cannot be matched to the text: it stays a tie.
    assert replyall(posts, ties, texts, {**handles, 1: None}) == {3}


def test_unknown_parent_needs_two_authors_to_guess_its_mentions() -> None:
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    # Replies to a post "gone" we never fetched, by ann (1) and bob (2); it answered cat (3).
    posts = [
        WeekPost(i, f"p{i}", None, "root", a, t0, False, i, 3, "gone") for i, a in ((1, 1), (2, 2))
    ]
    ties = [
        WeekTie("mention", 1, 3, t0, None, 1, True),  # 0: ann @cat: the addressee
        WeekTie("mention", 1, 4, t0, None, 1, False),  # 1: ann @dan
        WeekTie("mention", 1, 5, t0, None, 1, False),  # 2: ann @eve
        WeekTie("mention", 2, 3, t0, None, 2, True),  # 3: bob @cat: the addressee
        WeekTie("mention", 2, 4, t0, None, 2, False),  # 4: bob @dan
    ]
    texts = {1: "@cat @dan @eve hi", 2: "@cat @dan yes"}
    handles = {3: "cat@x", 4: "dan@x", 5: "eve@x"}
    # dan leads the replies of two authors: taken as the unknown post's mention, dropped;
    # eve leads one reply only: kept.
    assert replyall(posts, ties, texts, handles) == {0, 1, 3, 4}


def test_twitter_mentions_keep_the_username_of_their_entity() -> None:
    path = fixture_path("twarc_network_test_data", "blacklivesmatter_search_recent_5pages.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    batch = twitter_records(records, tracked=["blacklivesmatter"])
    accounts = {a.key: a for a in batch.accounts}
    mentioned = {t.target for t in batch.interactions if t.kind == "mention"}
    assert all(accounts[k].handle for k in mentioned)
    # A reply to @BarackObama, whose eight leading mentions name accounts the page never
    # describes (no profile in includes.users): each keeps the username of its entity.
    tweet = "https://twitter.com/i/web/status/1408654908576894978"
    named = sorted(
        str(accounts[t.target].handle)
        for t in batch.interactions
        if t.kind == "mention" and t.subject == tweet
    )
    assert named == sorted(
        [
            "@BarackObama",
            "@MichelleObama",
            "@joekennedy",
            "@Kennedy_School",
            "@ObamaFoundation",
            "@apsBAMOAcademy",
            "@UofAlabama",
            "@justicedems",
        ]
    )


def test_bluesky_mentions_keep_the_handle_their_facet_covers() -> None:
    path = fixture_path("atrrr_recorded_responses", "app.bsky.feed.searchPosts_bb16d.body.json")
    batch = bluesky_records([json.loads(path.read_text(encoding="utf-8"))])
    accounts = {a.key: a for a in batch.accounts}
    # rladies-bot's post credits "(@nrennie.bsky.social)": the recorded facet starts two bytes
    # early, at " (", and the handle is found inside it.
    targets = {
        accounts[t.target].handle
        for t in batch.interactions
        if t.kind == "mention" and accounts[t.actor].handle == "rladies-bot.bsky.social"
    }
    assert targets == {"nrennie.bsky.social"}


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("@a @b@x.org: hi @c", ["a", "b@x.org"]),
        ("hi @a", []),
        ("@a\n@b\nhello", ["a", "b"]),
    ],
)
def test_leading_run(text: str, run: list[str]) -> None:
    from echochamber.graph.hygiene import leading_run

    assert leading_run(text) == run
