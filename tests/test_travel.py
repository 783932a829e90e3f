"""Travel metrics on time-respecting chains (echochamber.metrics.travel), values derived by hand."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from echochamber.graph.acts import PASSING, TRAVEL
from echochamber.metrics.reach import hop_distances
from echochamber.metrics.travel import (
    Act,
    engaged,
    travel_bridges,
    travel_distances,
    travel_metrics,
    travel_tree,
)
from echochamber.metrics.travel_batch import chain_batch, encode_chains
from echochamber.metrics.uncertainty import intervals, ratio_keys, units_of

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def t(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def act(actor: str, kind: str, target: str, target_h: float | None, h: float, thread=None) -> Act:
    return Act(actor, kind, target, None if target_h is None else t(target_h), t(h), thread)


def static_hops(acts: list[Act], core: set[str]) -> dict[Hashable, int]:
    """The first edition: BFS over the week's static graph, actor -> target."""
    G = nx.DiGraph((a.actor, a.target) for a in acts if a.kind in TRAVEL)
    return hop_distances(G, core)


def test_step_backwards_in_time_is_not_travel() -> None:
    # a replies at 10:00 to c's 09:00 post: a reached at 10:00, distance 1.
    # b boosts at 09:00 a's 08:00 post: written before a was reached, so not a step.
    # d, e, b form another chain: d replies at 01:00 to c (distance 1, active 01:00), e quotes
    # at 03:00 d's 02:00 post (distance 2, active 03:00), b boosts at 05:00 e's 04:00 post:
    # distance 3.  The static BFS takes the backwards path c <- a <- b and says 2.
    acts = [
        act("a", "reply", "c", 9, 10),
        act("b", "boost", "a", 8, 9),
        act("d", "reply", "c", 0, 1),
        act("e", "quote", "d", 2, 3),
        act("b", "boost", "e", 4, 5),
    ]
    assert static_hops(acts, {"c"})["b"] == 2
    assert travel_distances(acts, {"c"}) == {"c": 0, "a": 1, "d": 1, "e": 2, "b": 3}
    # Without the second chain b is not reached at all.
    assert "b" not in travel_distances(acts[:2], {"c"})
    assert travel_metrics(acts[:2], {"c"}).outsiders_reached == 1


def test_favourite_ends_a_chain() -> None:
    # x favourites c's post at 10:00: x is reached (distance 1) but passes nothing on.
    # y replies at 12:00 to x's 11:00 post: no chain through x, y unreached.
    # z boosts x's post too: unreached.  w favourites y's post: y unreached, so w too.
    acts = [
        act("x", "favourite", "c", 9, 10),
        act("y", "reply", "x", 11, 12),
        act("z", "boost", "x", 11, 13),
        act("w", "favourite", "y", 12, 14),
    ]
    assert travel_distances(acts, {"c"}) == {"c": 0, "x": 1}
    m = travel_metrics(acts, {"c"})
    assert m.outsiders_reached == 1 and m.travel_profile == {"1": 1, "2": 0, "3+": 0}
    assert static_hops(acts, {"c"}) == {"c": 0, "x": 1, "y": 2, "z": 2, "w": 3}


def test_longer_chain_arriving_earlier() -> None:
    # Level 1: a replies to c at 20:00 (e1(a) = 20); p replies to c at 01:00 (e1(p) = 1).
    # Level 2: q replies at 03:00 to p's 02:00 post (e2(q) = 3);
    #          b2 replies at 26:00 to a's 25:00 post (25 >= e1(a) = 20): distance 2.
    # Level 3: a replies at 05:00 to q's 04:00 post: a keeps distance 1, but e3(a) = 5.
    # Level 4: b replies at 11:00 to a's 10:00 post: 10 < 20, only the three-step chain
    #          c <- p <- q <- a makes it time-respecting (10 >= 5), so b is at distance 4.
    # Level 5: nothing changes.  A search that fixes a's arrival at its shortest chain (20:00)
    # misses b; one that counts the hops of the earliest chain puts b2 at 4 instead of 2.
    acts = [
        act("a", "reply", "c", 19, 20),
        act("p", "reply", "c", 0, 1),
        act("q", "reply", "p", 2, 3),
        act("b2", "reply", "a", 25, 26),
        act("a", "reply", "q", 4, 5),
        act("b", "reply", "a", 10, 11),
    ]
    want = {"c": 0, "a": 1, "p": 1, "q": 2, "b2": 2, "b": 4}
    assert travel_distances(acts, {"c"}) == want
    assert travel_distances(reversed(acts), {"c"}) == want
    m = travel_metrics(acts, {"c"})
    assert m.travel_profile == {"1": 2, "2": 2, "3+": 1}
    assert m.mean_travel == pytest.approx((1 + 1 + 2 + 2 + 4) / 5)


def test_tie_at_reaching_time_counts_and_unknown_target_time() -> None:
    # a reached at 10:00; b acts on a's post written at exactly 10:00: "at or after", distance 2.
    # d acts on a post of a with unknown time: cannot be checked, not a step.
    # e replies to core c with unknown post time: core posts are sources at any time, distance 1.
    acts = [
        act("a", "reply", "c", 9, 10),
        act("b", "reply", "a", 10, 10),
        act("d", "reply", "a", None, 12),
        act("e", "reply", "c", None, 12),
        act("m", "mention", "c", None, 12),  # mentions are not travel
    ]
    assert travel_distances(acts, {"c"}) == {"c": 0, "a": 1, "b": 2, "e": 1}


def test_core_outbound_share_and_mentions_outward() -> None:
    # Core acts (reply/quote/boost/favourite): c1->c2 reply (in), c1->x boost (out),
    # c2->y favourite (out), c2->c1 quote (in), c1->x favourite (out), c1->c1 reply (in):
    # 3 out of 6 = 0.5.  x's acts do not count; mentions do not count.
    # Mentions by the core: x (twice), z, c1 (core, not counted): 2 outsiders.  x's mention of w
    # is not the core's.
    acts = [
        act("c1", "reply", "c2", 1, 2),
        act("c1", "boost", "x", 1, 2),
        act("c2", "favourite", "y", 1, 2),
        act("c2", "quote", "c1", 1, 2),
        act("c1", "favourite", "x", 1, 2),
        act("c1", "reply", "c1", 1, 2),
        act("x", "reply", "c1", 1, 2),
        act("c1", "mention", "x", None, 2),
        act("c1", "mention", "x", None, 3),
        act("c2", "mention", "z", None, 2),
        act("c2", "mention", "c1", None, 2),
        act("x", "mention", "w", None, 2),
    ]
    m = travel_metrics(acts, {"c1", "c2"})
    assert m.core_outbound_share == 0.5
    assert m.core_mentions_outward == 2
    # engaged: c1 (replied to c2), c2 (quoted c1), x (replied to c1); y was only acted upon
    assert m.engaged == {"c1", "c2", "x"}
    assert m.engaged_outside_share == pytest.approx(1 / 3)
    assert travel_metrics([], {"c1"}).core_outbound_share is None


def test_engaged_in_core_rooted_conversations() -> None:
    # Thread "k" is rooted at core c's post, thread "o" at outsider o's post.
    # p replies to q inside k: engaged (posted in a core conversation).
    # r quotes q inside k: engaged.  s boosts / u favourites q inside k: no (not a post).
    # v replies inside o: no.  f favourites c's post: engaged.  g mentions c: no.
    roots = {"k": "c", "o": "o"}
    acts = [
        act("p", "reply", "q", 1, 2, thread="k"),
        act("r", "quote", "q", 1, 2, thread="k"),
        act("s", "boost", "q", 1, 2, thread="k"),
        act("u", "favourite", "q", 1, 2, thread="k"),
        act("v", "reply", "o", 1, 2, thread="o"),
        act("f", "favourite", "c", 1, 2),
        act("g", "mention", "c", None, 2),
    ]
    assert engaged(acts, {"c"}, roots) == {"p", "r", "f"}
    assert engaged(acts, {"c"}) == {"f"}
    m = travel_metrics(acts, {"c"}, roots).as_dict()
    assert m == {
        "engaged": 3,
        "engaged_outside_share": 1.0,
        "outsiders_reached": 1,  # f, by a favourite; p, r act on q who was never reached
        "travel_profile": {"1": 1, "2": 0, "3+": 0},
        "mean_travel": 1.0,
        "core_outbound_share": None,
        "core_mentions_outward": 0,
    }


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown act kind"):
        act("a", "like", "c", 1, 2)


# --- properties -------------------------------------------------------------------------

ACCOUNTS = ["c1", "c2", "c3", "a", "b", "d", "e", "f"]


@st.composite
def acts_st(draw, accounts=ACCOUNTS, max_size: int = 14) -> list[Act]:
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        kind = draw(st.sampled_from(["reply", "quote", "boost", "favourite", "mention"]))
        posted = draw(st.none() | st.integers(0, 12)) if kind != "mention" else None
        at = (posted or 0) + draw(st.integers(0, 4))
        out.append(
            Act(
                draw(st.sampled_from(accounts)),
                kind,
                draw(st.sampled_from(accounts)),
                None if posted is None else t(posted),
                t(at),
                draw(st.none() | st.integers(0, 4)),
            )
        )
    return out


def chain_bfs(acts: list[Act], core: set[str]) -> dict[Hashable, int]:
    """An independent reference: BFS over acts, a -> b when b acts on a post of a's actor
    written at or after a (a passes content); start acts are those on core posts."""
    steps = [a for a in acts if a.kind in TRAVEL and a.actor not in core]
    depth: dict[int, int] = {}
    queue: deque[int] = deque()
    for i, a in enumerate(steps):
        if a.target in core:
            depth[i] = 1
            queue.append(i)
    while queue:
        i = queue.popleft()
        a = steps[i]
        if a.kind not in PASSING:
            continue
        for j, b in enumerate(steps):
            ok = b.target == a.actor and b.target_at is not None and b.target_at >= a.at
            if ok and j not in depth:
                depth[j] = depth[i] + 1
                queue.append(j)
    dist: dict[Hashable, int] = dict.fromkeys(core, 0)
    for i, d in sorted(depth.items(), key=lambda kv: kv[1]):
        dist.setdefault(steps[i].actor, d)
    return dist


@settings(max_examples=300, deadline=None)
@given(acts_st(), st.sets(st.sampled_from(ACCOUNTS), max_size=3))
def test_levels_match_chain_search(acts: list[Act], core: set[str]) -> None:
    assert travel_distances(acts, core) == chain_bfs(acts, core)


@settings(max_examples=200, deadline=None)
@given(acts_st(), acts_st(max_size=5), st.sets(st.sampled_from(ACCOUNTS), max_size=3))
def test_adding_acts_never_shortens_reach(acts: list[Act], more: list[Act], core: set) -> None:
    before, after = travel_distances(acts, core), travel_distances(acts + more, core)
    assert all(u in after and after[u] <= d for u, d in before.items())
    assert travel_metrics(acts + more, core).outsiders_reached >= len(set(before) - core)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(ACCOUNTS), min_size=1, unique=True),
    st.data(),
)
def test_closed_core(core_list: list[str], data: st.DataObject) -> None:
    # Whatever the roster: acts only inside the core or only among outsiders, conversations of
    # either side rooted on that side, mentions too.
    core = set(core_list)
    outsiders = [a for a in ACCOUNTS if a not in core]
    acts = data.draw(acts_st(accounts=sorted(core)))
    acts = [Act(a.actor, a.kind, a.target, a.target_at, a.at, ("in", a.thread)) for a in acts]
    c = sorted(core)[0]
    acts.append(act(c, "reply", c, 0, 1))  # the core made at least one act
    if outsiders:
        out_acts = data.draw(acts_st(accounts=outsiders))
        acts += [
            Act(a.actor, a.kind, a.target, a.target_at, a.at, ("out", a.thread)) for a in out_acts
        ]
    roots = {("in", i): c for i in [*range(5), None]}
    if outsiders:
        roots |= {("out", i): outsiders[0] for i in [*range(5), None]}
    m = travel_metrics(acts, core, roots)
    assert m.engaged_outside_share == 0
    assert m.outsiders_reached == 0
    assert m.core_outbound_share == 0
    assert m.core_mentions_outward == 0


# --- bridges ---------------------------------------------------------------------------


def test_bridges_share_tied_chains_and_ignore_ids() -> None:
    # c1 and c2 are the core.  a replies to c1 (distance 1), b replies to c2 (distance 1);
    # x boosts a's later post and favourites b's later post: two chains of length 2 tie.
    # y replies to x's post written after x was reached (distance 3).  Farthest first: y
    # passes 1 to its one parent x (score x = 1); x passes 1 + 1 = 2, split 1 / 1 between a
    # and b (a = b = 1); a passes 1 + 1 = 2 to c1, b 2 to c2.  The core's scores add up to the
    # 4 outsiders reached (a, b, x, y).
    acts = [
        act("a", "reply", "c1", 0, 1),
        act("b", "reply", "c2", 0, 1),
        act("x", "boost", "a", 2, 3),
        act("x", "favourite", "b", 2, 3),
        act("x", "reply", "c9", 0, 4),  # c9 is no one's: no step
        act("y", "reply", "x", 4, 5),
    ]
    dist, parents = travel_tree(acts, {"c1", "c2"})
    assert dist["y"] == 3 and parents["x"] == {"a", "b"} and parents["y"] == {"x"}
    want = {"x": 1.0, "a": 1.0, "b": 1.0, "c1": 2.0, "c2": 2.0}
    assert travel_bridges(acts, {"c1", "c2"}) == pytest.approx(want)
    # The first edition kept the first parent in id order: renaming b so that it sorts first
    # moved all of x's credit.  Here renaming changes nothing but the names.
    rename = {"a": "z9", "b": "a0"}
    moved = [
        Act(rename.get(a.actor, a.actor), a.kind, rename.get(a.target, a.target), a.target_at, a.at)
        for a in acts
    ]
    got = travel_bridges(moved, {"c1", "c2"})
    assert got == pytest.approx({rename.get(k, k): v for k, v in want.items()})


@settings(max_examples=200, deadline=None)
@given(acts_st(), st.sets(st.sampled_from(ACCOUNTS), max_size=3))
def test_tree_distances_and_parents(acts: list[Act], core: set[str]) -> None:
    dist, parents = travel_tree(acts, core)
    assert dist == chain_bfs(acts, core)
    for u, ps in parents.items():
        assert all(dist[v] < dist[u] for v in ps)  # parents are nearer the core
    scores = travel_bridges(acts, core)
    reached = len([u for u in dist if u not in core])
    assert sum(scores.get(c, 0.0) for c in core) == pytest.approx(reached)


# --- resampling --------------------------------------------------------------------------


def expand(acts: list[Act], w: np.ndarray, index: dict) -> list[Act]:
    """The multiset of acts of a draw: each conversation's acts w[conversation] times."""
    out = []
    for a in acts:
        out += [a] * int(w[index[a.thread]])
    return out


@st.composite
def threaded_st(draw) -> list[Act]:
    acts = draw(acts_st())
    return [
        Act(a.actor, a.kind, a.target, a.target_at, a.at, draw(st.integers(0, 4))) for a in acts
    ]


@settings(max_examples=200, deadline=None)
@given(threaded_st(), st.sets(st.sampled_from(ACCOUNTS), max_size=3), st.data())
def test_vectorised_rows_equal_recomputation(acts: list[Act], core: set, data) -> None:
    roots = {0: "c1", 1: "a", 2: "c2"}
    units = units_of(acts, [], roots, core)
    index = {k: i for i, k in enumerate(sorted({a.thread for a in acts}, key=str))}
    ch = encode_chains(acts, core, units.unit_of_act)
    w = np.array(data.draw(st.lists(st.integers(0, 3), min_size=units.n, max_size=units.n)))
    W = np.vstack([w, np.ones_like(w)]).reshape(2, units.n)
    reached, total = chain_batch(ch, W)
    keys = ratio_keys({k: W @ v for k, v in units.sums.items()})
    for row, ww in enumerate([w, np.ones_like(w)]):
        want = travel_metrics(expand(acts, ww, index), core, roots).as_dict()
        assert reached[row] == want["outsiders_reached"]
        mean = total[row] / reached[row] if reached[row] else None
        assert mean == pytest.approx(want["mean_travel"])
        v = keys["core_outbound_share"][row]
        assert (np.isnan(v) and want["core_outbound_share"] is None) or v == pytest.approx(
            want["core_outbound_share"]
        )


def week(seed: int, threads: int = 60, p_out: float = 0.4) -> list[Act]:
    """A synthetic week: core c0..c99, outsiders o0..o299; each thread is rooted at a core post
    and answered by a mix of core members and outsiders, some of whom answer each other."""
    rng = np.random.default_rng(seed)
    acts = []
    for k in range(threads):
        last, last_at = f"c{rng.integers(100)}", float(k)
        for _ in range(rng.integers(1, 6)):
            who = f"o{rng.integers(300)}" if rng.random() < p_out else f"c{rng.integers(100)}"
            at = last_at + float(rng.random() * 3)
            kind = str(rng.choice(["reply", "quote", "boost", "favourite"]))
            acts.append(act(who, kind, last, last_at, at, thread=k))
            if kind in PASSING:
                last, last_at = who, at
    return acts


CORE100 = {f"c{i}" for i in range(100)}


def test_intervals_reproducible_and_cover_the_point() -> None:
    acts = week(1)
    roots = dict.fromkeys(range(60), "c0")
    ci = intervals(acts, [], roots, CORE100, seed=7)
    assert ci == intervals(acts, [], roots, CORE100, seed=7)
    assert ci != intervals(acts, [], roots, CORE100, seed=8)
    point = travel_metrics(acts, CORE100, roots)
    for key in ("engaged_outside_share", "core_outbound_share", "mean_travel"):
        iv = ci[key]
        assert iv is not None and iv.lo < getattr(point, key) < iv.hi and iv.se > 0, key


def test_jackknife_does_not_lean_where_the_bootstrap_does() -> None:
    # K = 5 core members reply in each of n = 20 conversations, each conversation has one
    # outsider of its own.  Point: 20 / (20 + 5) = 0.8.  A bootstrap draw holding D distinct
    # conversations gives D / (D + 5) <= 0.8 (equality only when all 20 are distinct, chance
    # 20!/20^20 ~ 2e-8): a percentile interval lies wholly below the point.  The jackknife
    # with G = 20 groups (one conversation each) leaves one outsider out at a time: every
    # delete-one value is 19 / 24, so the jackknife se is 0 and the interval is [0.8, 0.8],
    # centred on the point.  (Efron-Stein: the jackknife never understates the variance on
    # average; here a conversation's outsider is its own, so leaving one out is all that can
    # happen.)  The act share core_outbound_share (1 of 6 acts per conversation) is exact.
    core = {f"c{j}" for j in range(5)}
    acts = [act(f"c{j}", "reply", "c0", k, k + 1, thread=k) for k in range(20) for j in range(5)]
    acts += [act(f"o{k}", "reply", "c0", k, k + 2, thread=k) for k in range(20)]
    acts += [act("c0", "favourite", f"o{k}", k + 2, k + 3, thread=k) for k in range(20)]
    assert travel_metrics(acts, core).engaged_outside_share == 0.8
    rng = np.random.default_rng(0)
    W = np.stack([np.bincount(rng.integers(0, 20, 20), minlength=20) for _ in range(200)])
    distinct = (W > 0).sum(axis=1)  # each outsider is in one conversation only
    assert (distinct / (distinct + 5) < 0.8).all()  # every bootstrap draw leans low
    ci = intervals(acts, [], {}, core, groups=20)
    share = ci["engaged_outside_share"]
    assert share is not None and (share.lo, share.hi) == pytest.approx((0.8, 0.8))
    out = ci["core_outbound_share"]
    assert out is not None and (out.lo, out.hi) == pytest.approx((1 / 6, 1 / 6))


def test_intervals_degenerate() -> None:
    # One conversation: every bootstrap draw is that conversation (zero width); a jackknife
    # needs two groups, so the distinct-account keys have no interval.
    acts = [
        act("a", "reply", "c", 0, 1, thread="k"),
        act("c", "reply", "a", 1, 2, thread="k"),
        act("b", "boost", "a", 1, 3, thread="k"),
    ]
    ci = intervals(acts, [], {"k": "c"}, {"c"})
    assert ci["core_outbound_share"] is not None
    assert (ci["core_outbound_share"].lo, ci["core_outbound_share"].hi) == (1.0, 1.0)
    assert ci["engaged_outside_share"] is None and ci["mean_travel"] is None
    # Five identical conversations (same accounts, same times): no key moves when any one is
    # left out or drawn twice, so every interval has zero width.
    copies = [Act(a.actor, a.kind, a.target, a.target_at, a.at, i) for i in range(5) for a in acts]
    ci5 = intervals(copies, [], dict.fromkeys(range(5), "c"), {"c"}, groups=5)
    share = ci5["engaged_outside_share"]
    assert share is not None and (share.lo, share.hi, share.se) == (0.5, 0.5, 0.0)
    mean = ci5["mean_travel"]
    assert mean is not None and (mean.lo, mean.hi) == (1.5, 1.5)
    # Nothing at all: no interval anywhere.
    assert set(intervals([], [], {}, {"c"}).values()) == {None}
    with pytest.raises(ValueError):
        intervals(acts, [], {}, {"c"}, level=1.5)
