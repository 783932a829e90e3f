"""Communities of the undirected aggregate (Louvain, fixed seed) and the outsiders they strand.

Louvain is igraph's ``community_multilevel`` on the week's undirected aggregate
(:attr:`~echochamber.graph.net.Net.undirected`, built once), seeded through Python's
``random`` (which igraph draws from); each (graph, seed) is partitioned once and kept.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from echochamber.graph.net import Net, as_net
from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx


def membership(net: Net, seed: int = 0) -> np.ndarray:
    """Louvain community number of every node of ``net`` (computed once per seed).

    >>> membership(as_net(nx.barbell_graph(3, 0))).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    key = f"louvain:{seed}"
    done = net.__dict__.get(key)
    if done is not None:
        return np.asarray(done)
    if not len(net.pairs.a):
        out = np.arange(net.n)
    else:
        state = random.getstate()
        random.seed(seed)
        try:
            parts = net.undirected.community_multilevel(weights="weight")
        finally:
            random.setstate(state)
        out = np.asarray(parts.membership, dtype=np.int64)
    net.__dict__[key] = out
    return out


def louvain(
    G: nx.Graph | nx.DiGraph | Net, seed: int = 0, weight: str | None = "weight"
) -> list[frozenset[Node]]:
    """Louvain communities of the undirected aggregate, deterministic for a seed.

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
    net = as_net(G, weight)
    member = membership(net, seed)
    groups: dict[int, list[Node]] = {}
    for node, c in zip(net.nodes, member.tolist(), strict=True):
        groups.setdefault(c, []).append(node)
    return [frozenset(g) for g in groups.values()]


def _modularity(net: Net, member: np.ndarray) -> float | None:
    p = net.pairs
    m = float(p.weight.sum())
    if not len(p.a) or m == 0:
        return None
    inside = member[p.a] == member[p.b]
    within = np.bincount(member[p.a][inside], weights=p.weight[inside], minlength=net.n)
    deg = np.bincount(p.a, weights=p.weight, minlength=net.n)
    deg += np.bincount(p.b, weights=p.weight, minlength=net.n)
    d = np.bincount(member, weights=deg, minlength=net.n)
    return float((within / m).sum() - ((d / (2 * m)) ** 2).sum())


def modularity(
    G: nx.Graph | nx.DiGraph | Net,
    parts: Iterable[Iterable[Node]],
    weight: str | None = "weight",
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
    net = as_net(G, weight)
    member = np.arange(net.n, dtype=np.int64) + net.n  # nodes in no part: alone
    idx = net.index
    for c, part in enumerate(parts):
        for node in part:
            if node in idx:
                member[idx[node]] = c
    _, member = np.unique(member, return_inverse=True)
    return _modularity(net, member)


def community_of(G: nx.Graph | nx.DiGraph | Net, seed: int = 0) -> dict[Node, int]:
    """Node -> community number (largest community first)."""
    parts = sorted(louvain(G, seed), key=lambda p: (-len(p), sorted(map(str, p))[:1]))
    return {n: i for i, p in enumerate(parts) for n in p}


def community_stats(
    G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node], seed: int = 0
) -> dict[str, Any]:
    """``modularity``, ``communities`` and ``detached_outsider_share``.

    The last is the share of outsiders in G whose community holds no core member.

    Examples
    --------
    >>> s = community_stats(nx.barbell_graph(3, 0), {0, 1, 2})
    >>> s["communities"], s["detached_outsider_share"]
    (2, 1.0)
    """
    net = as_net(G)
    if net.n == 0:
        return {"modularity": None, "communities": 0, "detached_outsider_share": None}
    member = membership(net, seed)
    inside = net.mask(core)
    held = np.zeros(int(member.max()) + 1, dtype=bool)
    held[member[inside]] = True
    outsiders = int((~inside).sum())
    detached = int((~inside & ~held[member]).sum())
    return {
        "modularity": _modularity(net, member),
        "communities": len(held),
        "detached_outsider_share": detached / outsiders if outsiders else None,
    }
