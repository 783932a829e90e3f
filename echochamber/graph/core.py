"""Core roster policies (``docs/metrics.md``, "The roster"): top-active, a list, the k-core."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from echochamber.graph.net import Net
from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx


def _order(node: Node) -> tuple[int, str]:
    return (0, f"{node:020d}") if isinstance(node, int) else (1, str(node))


def top_active(activity: Mapping[Node, float], size: int) -> frozenset[Node]:
    """The ``size`` most active accounts (ties broken by node order, deterministically).

    Examples
    --------
    >>> sorted(top_active({"a": 5, "b": 9, "c": 5, "d": 1}, 2))
    ['a', 'b']
    """
    ranked = sorted(
        (n for n, a in activity.items() if a > 0), key=lambda n: (-activity[n], _order(n))
    )
    return frozenset(ranked[:size])


def core_numbers(G: nx.Graph | nx.DiGraph | Net) -> dict[Node, int]:
    """Core number of every node of the undirected simple graph, by a set-based peel (a
    :class:`~echochamber.graph.net.Net`: igraph's ``coreness`` on its undirected aggregate).

    Equal to :func:`networkx.core_number` (Batagelj & Zaversnik 2003) without its
    list removals, which are quadratic in hub degree.

    Examples
    --------
    >>> core_numbers(nx.karate_club_graph()) == nx.core_number(nx.karate_club_graph())
    True
    >>> from echochamber.graph.net import as_net
    >>> core_numbers(as_net(nx.karate_club_graph())) == nx.core_number(nx.karate_club_graph())
    True
    """
    if isinstance(G, Net):
        if not G.n:
            return {}
        return dict(zip(G.nodes, G.undirected.coreness(), strict=True))
    nbrs: dict[Node, set[Node]] = {n: set() for n in G.nodes}
    for u, v in G.edges():
        if u != v:
            nbrs[u].add(v)
            nbrs[v].add(u)
    degree = {n: len(s) for n, s in nbrs.items()}
    buckets: dict[int, set[Node]] = {}
    for n, d in degree.items():
        buckets.setdefault(d, set()).add(n)
    core: dict[Node, int] = {}
    k = 0
    d = 0
    remaining = len(degree)
    while remaining:
        # neighbours only drop to degrees >= d, so the lowest bucket never moves below d
        while not buckets.get(d):
            d += 1
        k = max(k, d)
        node = buckets[d].pop()
        core[node] = k
        remaining -= 1
        for m in nbrs[node]:
            if m in core:
                continue
            dm = degree[m]
            if dm > d:
                buckets[dm].discard(m)
                degree[m] = dm - 1
                buckets.setdefault(dm - 1, set()).add(m)
        del degree[node]
    return core


def kcore_roster(
    G: nx.Graph | nx.DiGraph | Net,
    size: int,
    activity: Mapping[Node, float] | None = None,
    *,
    pad: bool = False,
) -> frozenset[Node]:
    """The main k-core, trimmed to the ``size`` most active members.

    With ``pad`` (the second edition), a main core smaller than ``size`` is filled up with the
    most active accounts outside it (``activity`` order, ties by node), so the roster has the
    configured size whatever the week's structure.

    Examples
    --------
    >>> sorted(kcore_roster(nx.karate_club_graph(), 100))
    [0, 1, 2, 3, 7, 8, 13, 30, 32, 33]
    >>> G = nx.Graph([(1, 2), (2, 3), (3, 1), (3, 4), (5, 6)])
    >>> sorted(kcore_roster(G, 5, {4: 3, 5: 2, 6: 9}, pad=True))
    [1, 2, 3, 4, 6]
    """
    cores = core_numbers(G)
    if not cores:
        return frozenset(top_active(activity or {}, size)) if pad else frozenset()
    kmax = max(cores.values())
    members = [n for n, c in cores.items() if c == kmax]
    if activity is None:
        graph = G.to_networkx() if isinstance(G, Net) else G
        activity = {n: graph.degree(n) for n in members}
    act = activity
    members.sort(key=lambda n: (-act.get(n, 0), _order(n)))
    chosen = members[:size]
    if pad and len(chosen) < size and activity:
        inside = set(chosen)
        rest = {n: a for n, a in activity.items() if n not in inside}
        chosen += sorted(top_active(rest, size - len(chosen)), key=lambda n: (-rest[n], _order(n)))
    return frozenset(chosen)


def roster_jaccard(a: Iterable[Node] | None, b: Iterable[Node] | None) -> float | None:
    """Jaccard overlap |A ∩ B| / |A ∪ B| of two rosters; ``None`` when either is missing.

    Examples
    --------
    >>> roster_jaccard({1, 2, 3}, {2, 3, 4})
    0.5
    """
    if a is None or b is None:
        return None
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else None
