"""The interaction graph of a window, from edge counts aggregated in SQL.

``u -> v`` means u acted on v's content (replied to, mentioned, boosted, quoted or favourited
v); information flows the other way.  Each edge carries one count per kind and ``weight``, the
weighted sum, where a mention of the very account a reply answers counts once, as the reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from echochamber.models import KINDS, Node

Row = tuple[Node, Node, str, int, int]


def build_graph(
    rows: Iterable[Row],
    *,
    weights: Mapping[str, float] | None = None,
    nodes: Mapping[Node, Mapping[str, Any]] | None = None,
) -> nx.DiGraph:
    """Build the weighted interaction digraph.

    Parameters
    ----------
    rows : iterable of (actor, target, kind, n, n_via_reply)
        Counts per (actor, target, kind); ``n_via_reply`` counts the ``mention`` ties that
        duplicate a reply to the same account from the same post.
    weights : mapping, optional
        Weight per kind (default 1 each).
    nodes : mapping, optional
        Node attributes; listed nodes are added even when isolated.

    Returns
    -------
    networkx.DiGraph
        Edge attributes: ``reply``, ``mention``, ``boost``, ``quote``, ``favourite`` (counts)
        and ``weight`` = sum_k w_k n_k - w_mention n_via_reply.  Self-ties are dropped.

    Examples
    --------
    >>> G = build_graph([("a", "b", "reply", 2, 0), ("a", "b", "mention", 2, 1),
    ...                  ("b", "b", "boost", 1, 0)])
    >>> G["a"]["b"]["reply"], G["a"]["b"]["mention"], G["a"]["b"]["weight"]
    (2, 2, 3.0)
    >>> G.number_of_edges()
    1
    """
    w: dict[str, float] = {k: 1.0 for k in KINDS}
    if weights:
        w.update({k: float(v) for k, v in weights.items() if k in w})
    index: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
    acc: dict[tuple[Node, Node], list[float]] = {}
    for actor, target, kind, n, via in rows:
        if actor == target:
            continue
        slot = acc.get((actor, target))
        if slot is None:
            slot = acc[(actor, target)] = [0, 0, 0, 0, 0, 0.0]
        slot[index[kind]] += n
        slot[5] += w[kind] * n - (w["mention"] * via if kind == "mention" else 0.0)
    G = nx.DiGraph()
    if nodes:
        G.add_nodes_from((n, dict(attrs)) for n, attrs in nodes.items())
    G.add_edges_from(
        (
            u,
            v,
            {
                "reply": int(s[0]),
                "mention": int(s[1]),
                "boost": int(s[2]),
                "quote": int(s[3]),
                "favourite": int(s[4]),
                "weight": float(s[5]),
            },
        )
        for (u, v), s in acc.items()
    )
    return G


def undirected_aggregate(G: nx.DiGraph, weight: str | None = "weight") -> nx.Graph:
    """The undirected graph with weights summed over both directions.

    With ``weight=None`` every directed edge counts 1, so a reciprocated pair weighs 2.

    Examples
    --------
    >>> D = nx.DiGraph([(1, 2, {"weight": 2.0}), (2, 1, {"weight": 1.0}), (2, 3, {"weight": 1.0})])
    >>> U = undirected_aggregate(D)
    >>> U[1][2]["weight"], U[2][3]["weight"]
    (3.0, 1.0)
    """
    U = nx.Graph()
    U.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        x = 1.0 if weight is None else float(d.get(weight, 1.0))
        if U.has_edge(u, v):
            U[u][v]["weight"] += x
        else:
            U.add_edge(u, v, weight=x)
    return U
