"""How far from the core: hop distances along the information flow, and the bridges."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from statistics import fmean
from typing import TYPE_CHECKING, Any

from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx


def _sorted(nodes: Iterable[Node]) -> list[Node]:
    return sorted(nodes, key=lambda n: (type(n).__name__, n))  # type: ignore[arg-type,return-value]


def bfs_forest(
    G: nx.Graph | nx.DiGraph, core: Iterable[Node]
) -> tuple[dict[Node, int], dict[Node, Node]]:
    """Hop distance and BFS parent of every node reached from the core.

    On a DiGraph the walk follows information flow: v's content reached u when ``u -> v``, so
    from v it steps to v's predecessors.  On an undirected graph it steps to neighbours.
    Neighbours are visited in sorted order, so the forest is deterministic.
    """
    dist: dict[Node, int] = {}
    parent: dict[Node, Node] = {}
    queue: deque[Node] = deque()
    for c in _sorted(c for c in core if c in G):
        dist[c] = 0
        queue.append(c)
    step = G.predecessors if G.is_directed() else G.neighbors
    while queue:
        v = queue.popleft()
        for u in _sorted(step(v)):
            if u not in dist:
                dist[u] = dist[v] + 1
                parent[u] = v
                queue.append(u)
    return dist, parent


def hop_distances(G: nx.Graph | nx.DiGraph, core: Iterable[Node]) -> dict[Node, int]:
    """Hops from the core along the information flow (core members: 0; unreached: absent).

    Examples
    --------
    >>> D = nx.DiGraph([("a", "c"), ("b", "a"), ("c", "z")])  # a acted on c, b on a
    >>> sorted(hop_distances(D, {"c"}).items())
    [('a', 1), ('b', 2), ('c', 0)]
    """
    return bfs_forest(G, core)[0]


def hop_profile(
    G: nx.Graph | nx.DiGraph,
    core: Iterable[Node],
    participants: Iterable[Node] | None = None,
) -> dict[str, int]:
    """Outsiders by hop distance from the core: ``{"1", "2", "3+", "unreached"}``.

    ``participants`` (default: the nodes of G) are the accounts counted; those outside G
    (posted, no ties) count as unreached.

    Examples
    --------
    >>> G = nx.karate_club_graph()
    >>> core = {n for n, c in nx.core_number(G).items() if c == 4}
    >>> hop_profile(G, core)
    {'1': 21, '2': 3, '3+': 0, 'unreached': 0}
    """
    C = set(core)
    dist = hop_distances(G, C)
    people = set(G.nodes) if participants is None else set(participants)
    prof = {"1": 0, "2": 0, "3+": 0, "unreached": 0}
    for n in people - C:
        d = dist.get(n)
        key = "unreached" if d is None else ("1" if d == 1 else "2" if d == 2 else "3+")
        prof[key] += 1
    return prof


def mean_hop(G: nx.Graph | nx.DiGraph, core: Iterable[Node]) -> float | None:
    """Mean hop distance of the outsiders the core's content reached (``None`` if none).

    Examples
    --------
    >>> round(mean_hop(nx.path_graph(4), {0}), 6)
    2.0
    """
    C = set(core)
    hops = [d for n, d in hop_distances(G, C).items() if n not in C]
    return fmean(hops) if hops else None


def bridges(
    G: nx.Graph | nx.DiGraph, core: Iterable[Node], top: int | None = 10
) -> list[tuple[Node, int]]:
    """Accounts through which the core's content reached outsiders, most first.

    In the BFS forest of :func:`bfs_forest` (each outsider hangs on the first account at the
    previous hop whose content reached it), an account's score is the number of outsiders
    below it: for a core member, every outsider reached through its content; for an outsider
    at hop h, the outsiders at hop > h (so >= 2) reached through it.

    Examples
    --------
    >>> D = nx.DiGraph([("a", "c"), ("b", "a"), ("d", "a"), ("e", "b")])
    >>> bridges(D, {"c"})
    [('c', 4), ('a', 3), ('b', 1)]
    """
    C = set(core)
    dist, parent = bfs_forest(G, C)
    score: dict[Node, int] = {}
    for n in dist:
        if n in C:
            continue
        p = parent.get(n)
        while p is not None:
            score[p] = score.get(p, 0) + 1
            p = parent.get(p)
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], type(kv[0]).__name__, str(kv[0])))
    return ranked if top is None else ranked[:top]


def reach_layers(G: nx.Graph | nx.DiGraph, core: Iterable[Node]) -> list[int]:
    """Sizes of the BFS layers from the core (layer 0 = the core members in G).

    Examples
    --------
    >>> G = nx.karate_club_graph()
    >>> reach_layers(G, {n for n, c in nx.core_number(G).items() if c == 4})
    [10, 21, 3]
    """
    dist = hop_distances(G, core)
    if not dist:
        return []
    out = [0] * (max(dist.values()) + 1)
    for d in dist.values():
        out[d] += 1
    return out


__all__: list[Any] = [
    "bfs_forest",
    "bridges",
    "hop_distances",
    "hop_profile",
    "mean_hop",
    "reach_layers",
]
