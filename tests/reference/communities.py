"""Communities of the undirected aggregate (Louvain, fixed seed) and the outsiders they strand."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import networkx as nx

from echochamber.models import Node
from tests.reference.build import undirected_aggregate

IGRAPH_MIN_EDGES = 20_000


def louvain(
    G: nx.Graph | nx.DiGraph, seed: int = 0, weight: str | None = "weight"
) -> list[frozenset[Node]]:
    """Louvain communities of the undirected aggregate, deterministic for a seed.

    Graphs with at least ``IGRAPH_MIN_EDGES`` edges use igraph's ``community_multilevel`` when
    python-igraph is installed (about 25x faster; seeded through Python's ``random``, which
    igraph uses by default); smaller ones networkx's ``louvain_communities``.

    References
    ----------
    Blondel, Guillaume, Lambiotte & Lefebvre (2008), "Fast unfolding of communities in large
    networks", J. Stat. Mech. P10008.

    Examples
    --------
    >>> parts = louvain(nx.barbell_graph(3, 0))
    >>> sorted(sorted(p) for p in parts)
    [[0, 1, 2], [3, 4, 5]]
    """
    U = undirected_aggregate(G, weight) if G.is_directed() else G
    U = U.copy()
    U.remove_edges_from(nx.selfloop_edges(U))
    if U.number_of_edges() == 0:
        return [frozenset([n]) for n in U.nodes]
    if U.number_of_edges() >= IGRAPH_MIN_EDGES:
        try:
            import igraph as ig
        except ImportError:  # pragma: no cover - optional speed-up
            ig = None
        if ig is not None:
            nodes = list(U.nodes)
            index = {n: i for i, n in enumerate(nodes)}
            h = ig.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in U.edges()])
            ws = [float(d.get("weight", 1.0)) if weight else 1.0 for _, _, d in U.edges(data=True)]
            state = random.getstate()
            random.seed(seed)
            try:
                parts = h.community_multilevel(weights=ws)
            finally:
                random.setstate(state)
            return [frozenset(nodes[i] for i in p) for p in parts]
    comms = nx.community.louvain_communities(U, weight="weight" if weight else None, seed=seed)
    return [frozenset(c) for c in comms]


def modularity(
    G: nx.Graph | nx.DiGraph, parts: Iterable[Iterable[Node]], weight: str | None = "weight"
) -> float | None:
    r"""Newman–Girvan modularity of a partition of the undirected aggregate.

    .. math:: Q = \sum_c \left[\frac{L_c}{m} - \left(\frac{d_c}{2m}\right)^2\right]

    References
    ----------
    Newman & Girvan (2004), "Finding and evaluating community structure in networks",
    Phys. Rev. E 69, 026113.

    Examples
    --------
    >>> round(modularity(nx.barbell_graph(3, 0), [{0, 1, 2}, {3, 4, 5}]), 12)
    0.357142857143
    """
    U = undirected_aggregate(G, weight) if G.is_directed() else G
    if U.number_of_edges() == 0:
        return None
    return float(
        nx.community.modularity(U, [set(p) for p in parts], weight="weight" if weight else None)
    )


def community_of(G: nx.Graph | nx.DiGraph, seed: int = 0) -> dict[Node, int]:
    """Node -> community number (largest community first)."""
    parts = sorted(louvain(G, seed), key=lambda p: (-len(p), sorted(map(str, p))[:1]))
    return {n: i for i, p in enumerate(parts) for n in p}


def community_stats(
    G: nx.Graph | nx.DiGraph, core: Iterable[Node], seed: int = 0
) -> dict[str, Any]:
    """``modularity``, ``communities`` and ``detached_outsider_share``.

    The last is the share of outsiders in G whose community holds no core member.

    Examples
    --------
    >>> s = community_stats(nx.barbell_graph(3, 0), {0, 1, 2})
    >>> s["communities"], s["detached_outsider_share"]
    (2, 1.0)
    """
    C = set(core)
    if G.number_of_nodes() == 0:
        return {"modularity": None, "communities": 0, "detached_outsider_share": None}
    parts = louvain(G, seed)
    outsiders = [n for n in G.nodes if n not in C]
    detached = sum(len([n for n in p if n not in C]) for p in parts if not (p & C))
    return {
        "modularity": modularity(G, parts),
        "communities": len(parts),
        "detached_outsider_share": detached / len(outsiders) if outsiders else None,
    }
