"""The compact graph of a week: numpy arcs over dense node indices, and igraph views built once.

:class:`Net` is what the snapshot engine computes on.  Nodes are account ids mapped to
``0 .. n-1``; every arc ``u -> v`` (u acted on v's content) is one row of ``src``, ``dst``,
``weight`` and the per-kind ``counts``.  The undirected aggregate (weights summed over both
directions, the graph Louvain, modularity, conductance and the nulls read) and the igraph
graphs are derived once, on first use, and kept.  :func:`as_net` turns a networkx graph into a
:class:`Net` (the reference graphs of the tests and the doctests use networkx).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from echochamber.models import KINDS, Node


@dataclass(frozen=True, slots=True)
class Pairs:
    """The undirected aggregate: each connected pair once (``a < b`` by index), with the
    summed weight of its arcs and how many arcs it has (1, or 2 when reciprocated)."""

    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray
    arcs: np.ndarray


@dataclass(frozen=True, eq=False)
class Net:
    """A weighted graph as arrays.  ``directed`` is False for an undirected graph (each edge
    one row, in either orientation).  Self-loops are never stored."""

    nodes: tuple[Node, ...]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    counts: np.ndarray | None = None  # arcs x len(KINDS) ints, in KINDS order
    directed: bool = True

    @cached_property
    def index(self) -> dict[Node, int]:
        """Account id -> node index."""
        return {n: i for i, n in enumerate(self.nodes)}

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def m(self) -> int:
        return len(self.src)

    def mask(self, members: Iterable[Node]) -> np.ndarray:
        """A boolean array over the nodes: True for the members that are nodes."""
        out = np.zeros(self.n, dtype=bool)
        idx = self.index
        hit = [idx[c] for c in members if c in idx]
        out[hit] = True
        return out

    @cached_property
    def pairs(self) -> Pairs:
        """The undirected aggregate (computed once)."""
        lo, hi = np.minimum(self.src, self.dst), np.maximum(self.src, self.dst)
        key = lo.astype(np.int64) * max(1, self.n) + hi
        uniq, inv = np.unique(key, return_inverse=True)
        w = np.bincount(inv, weights=self.weight, minlength=len(uniq))
        arcs = np.bincount(inv, minlength=len(uniq))
        n = max(1, self.n)
        return Pairs(uniq // n, uniq % n, w, arcs)

    @cached_property
    def undirected(self) -> Any:
        """The undirected aggregate as an igraph graph with ``weight`` (built once)."""
        ig = load_igraph()
        p = self.pairs
        g = ig.Graph(n=self.n, edges=np.column_stack([p.a, p.b]).tolist(), directed=False)
        g.es["weight"] = p.weight.tolist()
        return g

    def strength(self) -> tuple[np.ndarray, np.ndarray]:
        """(weighted out-degree, weighted in-degree) of every node."""
        out = np.bincount(self.src, weights=self.weight, minlength=self.n)
        inn = np.bincount(self.dst, weights=self.weight, minlength=self.n)
        return out, inn

    def to_networkx(self) -> Any:
        """The networkx DiGraph of the first engine (for queries and exports), with the
        per-kind counts and ``weight`` on every edge."""
        import networkx as nx

        G = nx.DiGraph() if self.directed else nx.Graph()
        G.add_nodes_from(self.nodes)
        counts = self.counts if self.counts is not None else np.zeros((self.m, len(KINDS)))
        nodes = self.nodes
        G.add_edges_from(
            (
                nodes[u],
                nodes[v],
                {**{k: int(c[i]) for i, k in enumerate(KINDS)}, "weight": float(w)},
            )
            for u, v, w, c in zip(
                self.src.tolist(), self.dst.tolist(), self.weight.tolist(), counts, strict=True
            )
        )
        return G


def load_igraph() -> Any:
    """python-igraph, imported without the plotting stack it would otherwise load.

    igraph's drawing modules import ``matplotlib.pyplot`` when it is installed (about 0.7 s of
    a command's start-up); the engine never draws, so unless matplotlib is already loaded it
    is hidden for the duration of the import (igraph then keeps a placeholder for it).
    """
    import sys

    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    hidden = {name: sys.modules.get(name) for name in ("matplotlib", "matplotlib.pyplot")}
    try:
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]
        import igraph
    finally:
        for name, mod in hidden.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod
    return igraph


def net_from_arcs(
    arcs: Sequence[tuple[Node, Node, Sequence[float], float]], extra: Iterable[Node] = ()
) -> Net:
    """A directed :class:`Net` from ``(actor, target, per-kind counts, weight)`` rows (no
    self-ties, each pair once); ``extra`` nodes are added even without arcs.  Nodes are sorted
    (ints first, then by text), so the arrays do not depend on the order of the rows.

    >>> net = net_from_arcs([(2, 1, (1, 0, 0, 0, 0), 1.0)])
    >>> net.nodes, net.src.tolist(), net.dst.tolist()
    ((1, 2), [1], [0])
    """
    seen: set[Node] = set(extra)
    for u, v, _, _ in arcs:
        seen.add(u)
        seen.add(v)
    nodes = tuple(sorted(seen, key=_order))
    idx = {n: i for i, n in enumerate(nodes)}
    src = np.fromiter((idx[u] for u, _, _, _ in arcs), dtype=np.int64, count=len(arcs))
    dst = np.fromiter((idx[v] for _, v, _, _ in arcs), dtype=np.int64, count=len(arcs))
    weight = np.fromiter((w for *_, w in arcs), dtype=np.float64, count=len(arcs))
    counts = np.array([c for _, _, c, _ in arcs], dtype=np.int64).reshape(len(arcs), len(KINDS))
    return Net(nodes, src, dst, weight, counts)


def span_net(
    rows: Iterable[tuple[Node, Node, str, int, int]], leave_out: Iterable[Node] = ()
) -> Net:
    """The graph of a span's ``(actor, target, kind, n, n_via_reply)`` rows without mentions
    and without the accounts ``leave_out`` (the k-core roster's graph); weights are not kept.

    >>> span_net([(1, 2, "reply", 1, 0), (2, 3, "mention", 1, 0), (3, 1, "boost", 2, 0)]).m
    2
    """
    gone = set(leave_out)
    ties = {(a, b) for a, b, kind, _n, _v in rows if kind != "mention" and a != b}
    nodes = {n for pair in ties for n in pair} - gone  # kept alone when their ties are gone
    pairs = sorted((a, b) for a, b in ties if a not in gone and b not in gone)
    return net_from_arcs([(a, b, (0, 0, 0, 0, 0), 1.0) for a, b in pairs], extra=nodes)


def _order(node: Node) -> tuple[int, Any]:
    return (0, node) if isinstance(node, int) else (1, str(node))


def as_net(G: Any, weight: str | None = "weight") -> Net:
    """A networkx graph (or a :class:`Net`, returned as it is when ``weight`` is the default)
    as a :class:`Net`; ``weight=None`` counts every edge 1.  Self-loops are dropped.

    >>> import networkx as nx
    >>> net = as_net(nx.path_graph(3))
    >>> net.directed, net.m, net.weight.tolist()
    (False, 2, [1.0, 1.0])
    """
    if isinstance(G, Net):
        if weight is None:
            return Net(G.nodes, G.src, G.dst, np.ones(G.m), G.counts, G.directed)
        return G
    nodes = tuple(G.nodes)
    idx = {n: i for i, n in enumerate(nodes)}
    rows = [(idx[u], idx[v], d) for u, v, d in G.edges(data=True) if u != v]
    src = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    dst = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    w = np.fromiter((_w(r[2], weight) for r in rows), dtype=np.float64, count=len(rows))
    net = Net(nodes, src, dst, w, None, G.is_directed())
    net.__dict__["index"] = idx
    return net


def _w(d: dict[str, object], weight: str | None) -> float:
    if weight is None:
        return 1.0
    x = d.get(weight, 1.0)
    return float(x) if isinstance(x, int | float) else 1.0
