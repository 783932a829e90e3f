"""Every reference value of docs/metrics.md through the metric functions, plus properties."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from echochamber.graph.build import build_graph
from echochamber.graph.conversations import (
    build_trees,
    structural_virality,
    tree_depth,
    wiener_index,
)
from echochamber.graph.core import core_numbers, kcore_roster, top_active
from echochamber.metrics.audience import potential_impressions
from echochamber.metrics.boundary import boundary, conductance, ei_index, node_expansion
from echochamber.metrics.communities import louvain, modularity
from echochamber.metrics.mixing import core_assortativity
from echochamber.metrics.reach import hop_profile, reach_layers
from echochamber.metrics.snapshot import SnapshotInput, snapshot


def karate() -> nx.Graph:
    G = nx.karate_club_graph()
    for _, _, d in G.edges(data=True):
        d.pop("weight", None)  # textbook values need weight=None
    return G


def approx(x: float | None, y: float, tol: float = 1e-6) -> bool:
    return x is not None and abs(x - y) < tol


def test_barbell_5() -> None:
    G = nx.barbell_graph(5, 0)
    b = boundary(G, range(5))
    assert (b.internal, b.external) == (10, 1)
    assert ei_index(G, range(5)) == pytest.approx(-9 / 11)
    assert conductance(G, range(5)) == pytest.approx(1 / 21)


def test_barbell_3() -> None:
    G = nx.barbell_graph(3, 0)
    assert conductance(G, range(3)) == pytest.approx(1 / 7)
    assert modularity(G, [{0, 1, 2}, {3, 4, 5}]) == pytest.approx(0.35714285714285715)


def test_karate_clubs() -> None:
    G = karate()
    hi = {n for n, c in G.nodes(data="club") if c == "Mr. Hi"}
    b = boundary(G, hi, weight=None)
    assert (b.external, b.internal) == (11, 35)
    assert approx(ei_index(G, hi, weight=None), -0.521739)
    assert approx(conductance(G, hi, weight=None), 0.146667)
    officer = set(G) - hi
    assert approx(modularity(G, [hi, officer], weight=None), 0.358235)
    assert approx(core_assortativity(G, hi), 0.717531)
    assert approx(nx.attribute_assortativity_coefficient(G, "club"), 0.717531)


def test_karate_main_core() -> None:
    G = karate()
    core = kcore_roster(G, 100)
    assert len(core) == 10 and core == {n for n, c in nx.core_number(G).items() if c == 4}
    assert approx(ei_index(G, core, weight=None), 0.206349)
    assert approx(conductance(G, core, weight=None), 0.558824)
    assert node_expansion(G, core)[0] == 21
    assert reach_layers(G, core) == [10, 21, 3]
    assert hop_profile(G, core) == {"1": 21, "2": 3, "3+": 0, "unreached": 0}


def test_karate_louvain_reaches_the_optimum() -> None:
    G = karate()
    best = max(modularity(G, louvain(G, seed=s, weight=None), weight=None) or 0 for s in range(20))
    assert best == pytest.approx(0.4197896120973046, abs=1e-9)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 50])
def test_star_and_path_virality(n: int) -> None:
    star = build_trees([(0, None, 0, "root"), *[(i, 0, i, "reply") for i in range(1, n)]])[0]
    assert structural_virality(star) == pytest.approx(2 * (n - 1) / n)
    path = build_trees([(0, None, 0, "root"), *[(i, i - 1, i, "reply") for i in range(1, n)]])[0]
    assert structural_virality(path) == pytest.approx((n + 1) / 3)


def test_reference_tree() -> None:
    t = build_trees(
        [
            ("r", None, 1, "root"),
            ("a", "r", 2, "reply"),
            ("b", "r", 3, "reply"),
            ("c", "r", 4, "reply"),
            ("d", "c", 5, "reply"),
            ("e", "d", 6, "reply"),
        ]
    )[0]
    assert wiener_index(t) == 32
    assert structural_virality(t) == pytest.approx(2.133333, abs=1e-6)
    assert tree_depth(t) == 3
    # against networkx on the same tree
    T = nx.Graph([("r", "a"), ("r", "b"), ("r", "c"), ("c", "d"), ("d", "e")])
    assert nx.wiener_index(T) == 32


def test_potential_impressions_reference() -> None:
    assert potential_impressions({"A": 3, "B": 1}, {"A": 1000, "B": 50}) == 3050


def test_core_numbers_match_networkx_on_hub_graphs() -> None:
    for seed in range(5):
        G = nx.gnm_random_graph(200, 900, seed=seed)
        G.add_edges_from((0, i) for i in range(1, 200))  # a hub
        assert core_numbers(G) == nx.core_number(G)


def test_top_active_is_deterministic() -> None:
    assert top_active({3: 1, 1: 1, 2: 5}, 2) == {1, 2}


def test_reply_mention_of_replied_account_counts_once() -> None:
    G = build_graph([("u", "v", "reply", 1, 0), ("u", "v", "mention", 1, 1)])
    assert G["u"]["v"]["reply"] == 1 and G["u"]["v"]["mention"] == 1
    assert G["u"]["v"]["weight"] == 1.0


def test_directed_boundary_is_not_networkx_conductance() -> None:
    D = nx.DiGraph([("n1", "c1"), ("n2", "c1"), ("c1", "c2"), ("c2", "c1")])
    ours = conductance(D, {"c1", "c2"})
    # undirected aggregate: cut 2, vol(C) = 2 + 2 (c1<->c2 both ways) = 6, vol(N) = 2
    assert ours == pytest.approx(1.0)


# ---------------------------------------------------------------------------- properties

edges = st.lists(
    st.tuples(
        st.integers(0, 14),
        st.integers(0, 14),
        st.sampled_from(["reply", "mention", "boost", "quote", "favourite"]),
        st.integers(1, 3),
    ),
    max_size=60,
)
cores = st.sets(st.integers(0, 14), max_size=8)


def week(rows: list[tuple[int, int, str, int]], core: set[int]) -> dict[str, object]:
    G = build_graph([(a, b, k, n, 0) for a, b, k, n in rows])
    return snapshot(
        SnapshotInput(G=G, core=frozenset(core), tagged_posts_by_author={a: 1 for a, *_ in rows}),
        null_samples=5,
    )


@settings(max_examples=60, deadline=None)
@given(edges, cores)
def test_shares_and_indices_are_bounded(
    rows: list[tuple[int, int, str, int]], core: set[int]
) -> None:
    m = week(rows, core)
    json.dumps(m, allow_nan=False)
    for key in (
        "outside_share",
        "outside_post_share",
        "top10_share",
        "conductance",
        "escaped_share",
        "in_openness",
        "out_openness",
        "detached_outsider_share",
    ):
        v = m[key]
        assert v is None or 0 <= v <= 1 + 1e-12, (key, v)
    assert m["ei_index"] is None or -1 <= m["ei_index"] <= 1
    assert m["core_assortativity"] is None or -1 - 1e-9 <= m["core_assortativity"] <= 1 + 1e-9
    for v in m.values():
        assert not (isinstance(v, float) and math.isnan(v))


@settings(max_examples=40, deadline=None)
@given(edges, cores)
def test_relabelling_changes_nothing(rows: list[tuple[int, int, str, int]], core: set[int]) -> None:
    def relabel(x: int) -> str:
        return f"acct-{(x * 7 + 3) % 15}"

    a = week(rows, core)
    b = week(
        [(relabel(x), relabel(y), k, n) for x, y, k, n in rows],  # type: ignore[misc]
        {relabel(c) for c in core},
    )  # type: ignore[arg-type]
    for key in (
        "participants",
        "outside_share",
        "ei_index",
        "conductance",
        "hop_profile",
        "mean_hop",
        "core_assortativity",
        "outsiders_touched",
        "posts",
    ):
        x, y = a[key], b[key]
        if isinstance(x, float):
            assert y == pytest.approx(x), key
        else:
            assert x == y, key


@settings(max_examples=40, deadline=None)
@given(edges, cores, st.integers(0, 14))
def test_an_outside_reply_never_lowers_outside_share(
    rows: list[tuple[int, int, str, int]], core: set[int], target: int
) -> None:
    before = week(rows, core)["outside_share"]
    after = week([*rows, (99, target, "reply", 1)], core)["outside_share"]
    assert after is not None
    assert before is None or after >= before - 1e-12
