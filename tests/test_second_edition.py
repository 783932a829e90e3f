"""The second edition's keys through the whole path (statuses -> store -> snapshot), on SQLite
and PostgreSQL, on a week built by hand; every value is derived in the comments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import networkx as nx
import pytest
from sqlalchemy import Engine

from echochamber.config import CoreSettings, MetricsSettings, Settings
from echochamber.metrics.reach import hop_distances
from echochamber.models import Window
from echochamber.pipeline.snapshot import compute
from tests.storebuild import MONDAY, Thread, handle

W47 = Window(MONDAY, MONDAY + timedelta(days=7))
W48 = W47.previous(-1)
LISTED = Settings(
    core=CoreSettings(policy="list", accounts=(handle(1), handle(2))),
    metrics=MetricsSettings(null_samples=0, bootstrap=50, jackknife_groups=50),
)


def week(engine: Engine) -> None:
    """Core: accounts 1 and 2.  Hours from Monday 00:00 UTC of 2026-W47.

    P1  1 posts (h1), a core root.
    P2  3 replies to P1 (h2), opening with @u1 (the composer's reply-all: the parent's author).
    P3  4 replies to P2 (h3), opening with @u3 @u1 (P2's author and P2's mention: reply-all).
    P4  5 posts (h1), an outsider's root.
    P5  3 posts (h1.5), its own root, *before* 3 was reached at h2.
    P7  7 replies to P5 (h4), opening with @u3.  7 -> 3 -> 1 is a static path, but P5 was
        written before 3 was reached: it runs backwards in time.
        2 favourites P2; 8 favourites P1.
    P8  2 replies to P1 (h5), opening with @u1.
        9 boosts P3 (h6).
    P6  2 posts (h7) and types @u6 at the end: a mention outward.
    P9  1 replies to P4 (h8), opening with @u5.
    P10 10 replies to P1 a week later (h173, in W48), opening with @u1: it counts in W47,
        the week of its conversation's root.
    P0  1 posts in W46 (h-10); 3 replies to it in W47 (h3): that conversation counts in W46.
    """
    t = Thread()
    p1 = t.post(1, 1)
    p2 = t.post(3, 2, to=p1, lead=(1,))
    p3 = t.post(4, 3, to=p2, lead=(3, 1))
    p4 = t.post(5, 1)
    p5 = t.post(3, 1.5)
    t.post(7, 4, to=p5, lead=(3,))
    t.favourite([2], p2)
    t.favourite([8], p1)
    t.post(2, 5, to=p1, lead=(1,))
    t.boost(9, 6, p3)
    t.post(2, 7, typed=(6,))
    t.post(1, 8, to=p4, lead=(5,))
    t.post(10, 173, to=p1, lead=(1,))
    p0 = t.post(1, -10)
    t.post(3, 3, to=p0, lead=(1,))
    t.store(engine)


def test_travel_keys_on_a_hand_built_week(engine: Engine) -> None:
    week(engine)
    m = compute(engine, LISTED, W47).metrics
    # Acts after hygiene (reply-all mentions gone), conversation in brackets:
    #   3 reply 1 [P1]   4 reply 3 [P1]   7 reply 3 [P5]   2 fav 3 [P1]   8 fav 1 [P1]
    #   2 reply 1 [P1]   9 boost 4 [P1]   2 mention 6 [P6]  1 reply 5 [P4]  10 reply 1 [P1]
    # (3's reply to P0 belongs to W46.)
    # Travel from the core {1, 2}: level 1: 3 (reply to P1, reached h2), 8 (favourite), 10;
    # level 2: 4 (acted at h3 on P2, written h2 >= 3's h2); level 3: 9 (boosted P3, written
    # h3 >= 4's h3).  7 acted on P5 (h1.5 < h2): unreached.
    assert m["outsiders_reached"] == 5
    assert m["travel_profile"] == {"1": 3, "2": 1, "3+": 1}
    assert m["mean_travel"] == pytest.approx((1 + 1 + 1 + 2 + 3) / 5)
    # engaged: acted on a core post (3, 2, 8, 10) or posted in a core-rooted conversation
    # (P1: 3, 4, 2, 10): {2, 3, 4, 8, 10}; outsiders 3, 4, 8, 10: 4 of 5.
    assert m["engaged"] == 5
    assert m["engaged_outside_share"] == pytest.approx(4 / 5)
    # The core's acts: 2 fav 3 (out), 2 reply 1 (in), 1 reply 5 (out): 2 of 3.
    assert m["core_outbound_share"] == pytest.approx(2 / 3)
    # The core's hygienic mentions: 2 -> 6 (typed); 1 -> 5 opened P9 as the reply-all.
    assert m["core_mentions_outward"] == 1
    # Mention objects dropped as reply-all: P2 @u1, P3 @u3 @u1, P7 @u3, P8 @u1, P9 @u5,
    # P10 @u1 (P0's reply is W46's).
    assert m["mentions_dropped_replyall"] == 7
    # Participants: posters 1, 2, 3, 4, 5, 7, 10 and actors 8, 9: 9; 6 was only mentioned.
    # Outsiders 3, 4, 5, 7, 8, 9, 10: hop_profile on the same chains, 5 and 7 unreached.
    assert m["participants"] == 9
    assert m["hop_profile"] == {"1": 3, "2": 1, "3+": 1, "unreached": 2}
    assert m["mean_hop"] == m["mean_travel"]
    # E-I on the graph: within the core 2 -> 1 (IL 1); across 3->1, 2->3, 8->1, 2->6, 1->5,
    # 10->1 (EL 6); the mentions of the addressee and the reply-all copies weigh nothing.
    assert m["ei_index"] == pytest.approx((6 - 1) / (6 + 1))
    # Posts: the ten tagged posts of W47's conversations (P1-P10, the boost is not a post).
    assert m["posts"] == 10 and m["conversation_posts"] == 10
    assert m["roster_source"] == "list" and m["edition"] == 2
    # completeness: no home server counted anything here (the posts carry no counts)
    assert m["instances"] == 1 and m["completeness"]["posts"] == 10
    assert m["completeness"]["replies"] is None


def test_static_path_backwards_in_time_is_not_travel(engine: Engine) -> None:
    week(engine)
    snap = compute(engine, LISTED, W47)
    # The first edition's static BFS over the same ties reaches 7 at hop 2 (7 -> 3 -> 1).
    G = nx.DiGraph([(3, 1), (4, 3), (7, 3), (2, 3), (8, 1), (2, 1), (9, 4), (2, 6), (1, 5)])
    assert hop_distances(G, {1, 2})[7] == 2
    # The snapshot's travel distance of 7 is none: P5 was written before 3 was reached.
    by_handle = {row["handle"]: row for row in snap.details.nodes.values()}
    assert by_handle[handle(7)]["hop"] is None
    assert by_handle[handle(9)]["hop"] == 3 and by_handle[handle(4)]["hop"] == 2


def test_conversations_count_in_their_roots_week_once(engine: Engine) -> None:
    week(engine)
    w48 = compute(engine, LISTED, W48).metrics
    # P10 was written in W48 but its conversation is rooted in W47: W48 has nothing.
    assert w48["posts"] == 0 and w48["engaged"] == 0 and w48["participants"] == 0
    w46 = compute(engine, LISTED, W47.previous()).metrics
    # W46: P0 (1) and 3's reply to it (written in W47): 3 engaged, an outsider.
    assert w46["posts"] == 2 and w46["engaged"] == 1 and w46["engaged_outside_share"] == 1.0


def test_intervals_and_sensitivity_are_stored(engine: Engine) -> None:
    week(engine)
    m = compute(engine, LISTED, W47).metrics
    assert set(m["ci"]) == set(m["ci_se"]) >= {"engaged_outside_share", "ei_index"}
    for key, interval in m["ci"].items():
        if interval is not None:
            lo, hi = interval
            assert lo <= m[key] <= hi, key
    # The list policy's sensitivity: the two automatic policies at the list's size (2).  The
    # trailing weeks hold one active account (1, P0 in W46), so both rosters are {1}: then
    # engaged {2, 3, 4, 8, 10} are all outsiders, and 2 -> 1 now crosses the boundary.
    assert set(m["sensitivity"]) == {"policy:top-active", "policy:kcore"}
    for s in m["sensitivity"].values():
        assert s["core_size"] == 1 and s["engaged_outside_share"] == 1.0


def rows(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in ("engaged", "outsiders_reached", "ei_index")}


def test_same_numbers_on_both_dialects(engine: Engine) -> None:
    week(engine)
    m = compute(engine, LISTED, W47).metrics
    assert rows(m) == {"engaged": 5, "outsiders_reached": 5, "ei_index": pytest.approx(5 / 7)}


def test_bridged_accounts_are_one_person_and_no_instance(engine: Engine) -> None:
    from echochamber.collect.normalize_bluesky import normalize_records
    from echochamber.collect.normalize_mastodon import normalize_statuses
    from echochamber.store.ingest import store_batch
    from tests.storebuild import INST, account

    t = Thread()
    p1 = t.post(1, 1)  # core member 1 on graph.example
    t.store(engine)
    alice = "did:plc:alice"
    at = (MONDAY + timedelta(hours=2)).isoformat()
    bluesky = normalize_records(
        [
            {
                "posts": [
                    {
                        "uri": f"at://{alice}/app.bsky.feed.post/3k",
                        "author": {"did": alice, "handle": "alice.bsky.social"},
                        "record": {"text": "#hcsm from Bluesky", "createdAt": at, "tags": ["hcsm"]},
                    }
                ]
            }
        ],
        tracked=["hcsm"],
    )
    mirror = {  # the same person seen from the fediverse through Bridgy Fed
        "id": "m1",
        "username": "alice.bsky.social",
        "acct": "alice.bsky.social@bsky.brid.gy",
        "url": f"https://bsky.brid.gy/ap/{alice}",
    }
    reply = {
        "id": "900",
        "uri": f"https://bsky.brid.gy/convert/ap/at://{alice}/app.bsky.feed.post/3l",
        "created_at": (MONDAY + timedelta(hours=3)).isoformat(),
        "account": mirror,
        "content": "<p>agreed</p>",
        "in_reply_to_id": p1["id"],
        "in_reply_to_account_id": account(1)["id"],
        "tags": [],
        "mentions": [],
    }
    fedi = normalize_statuses([p1, reply], server=INST, tracked=["hcsm"])
    with engine.begin() as conn:
        store_batch(conn, bluesky + fedi, now=MONDAY + timedelta(days=9))
    m = compute(
        engine, Settings(core=LISTED.core, metrics=MetricsSettings(null_samples=0)), W47
    ).metrics
    # scope all: 1 and alice (her Bluesky account and its mirror are one node): 2 participants,
    # alice engaged (she replied to 1's post) and an outsider; one Mastodon server counted
    # (graph.example): Bluesky is a platform and bsky.brid.gy a bridge.
    assert m["participants"] == 2 and m["engaged"] == 1
    assert m["engaged_outside_share"] == 1.0 and m["instances"] == 1
