"""Boundary measures between the core C and everyone else N.

They use the undirected aggregate of G (weights summed over both directions), computed from the
core's incident edges only, so their cost is proportional to the core's volume.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from echochamber.models import Node


@dataclass(frozen=True, slots=True)
class Boundary:
    """Weights around the core: ``internal`` (C–C), ``external`` (C–N) on the undirected
    aggregate; ``vol_core``, ``vol_rest`` the weighted degree sums; directed ``cc``, ``nc``
    (N→C) and ``cn`` (C→N)."""

    internal: float
    external: float
    vol_core: float
    vol_rest: float
    cc: float
    nc: float
    cn: float


def _w(d: dict[str, object], weight: str | None) -> float:
    if weight is None:
        return 1.0
    x = d.get(weight, 1.0)
    return float(x) if isinstance(x, int | float) else 1.0


def boundary(
    G: nx.Graph | nx.DiGraph,
    core: Iterable[Node],
    weight: str | None = "weight",
    *,
    volumes: bool = True,
) -> Boundary:
    """Tally the weights that the boundary measures need.

    On a DiGraph each arc counts once in the undirected aggregate (a reciprocated pair counts
    both arcs); an undirected graph is taken as it is.  Self-loops are ignored.  Without
    ``volumes`` the rest's volume (a pass over every edge) is left at 0: E-I and openness
    need only the core's incident edges.

    Examples
    --------
    >>> b = boundary(nx.barbell_graph(5, 0), range(5))
    >>> b.internal, b.external, b.vol_core, b.vol_rest
    (10.0, 1.0, 21.0, 21.0)
    """
    C = {c for c in core if c in G}
    internal = external = vol_core = cc = nc = cn = 0.0
    directed = G.is_directed()
    for u in C:
        out = G.out_edges(u, data=True) if directed else G.edges(u, data=True)
        for _, v, d in out:
            if v == u:
                continue
            x = _w(d, weight)
            vol_core += x
            if v in C:
                cc += x
                internal += x if directed else x / 2
            else:
                cn += x
                external += x
        if directed:
            for v, _, d in G.in_edges(u, data=True):
                if v == u:
                    continue
                x = _w(d, weight)
                vol_core += x
                if v not in C:  # C–C arcs were counted from their tail's side
                    nc += x
                    external += x
    if not volumes:
        return Boundary(internal, external, vol_core, 0.0, cc, nc, cn)
    total = 0.0
    for _, _, d in G.edges(data=True):
        total += _w(d, weight)
    loops = sum(_w(d, weight) for u, v, d in G.edges(data=True) if u == v)
    vol_rest = 2 * (total - loops) - vol_core
    return Boundary(internal, external, vol_core, vol_rest, cc, nc, cn)


def ei_index(
    G: nx.Graph | nx.DiGraph, core: Iterable[Node], weight: str | None = "weight"
) -> float | None:
    r"""The core's group E-I index.

    .. math:: EI = \frac{EL - IL}{EL + IL}

    EL is the weight of ties between the core and the rest, IL the weight of ties within the
    core, on the undirected aggregate; ties among outsiders do not enter.  −1: the core talks
    only to itself; +1: only outward.  ``None`` when the core has no ties.

    References
    ----------
    Krackhardt & Stern (1988), "Informal networks and organizational crises: an experimental
    simulation", Social Psychology Quarterly 51(2).

    Examples
    --------
    >>> ei_index(nx.barbell_graph(5, 0), range(5))  # (1 - 10) / 11
    -0.8181818181818182
    """
    b = boundary(G, core, weight, volumes=False)
    total = b.external + b.internal
    return None if total == 0 else (b.external - b.internal) / total


def openness(
    G: nx.DiGraph, core: Iterable[Node], weight: str | None = "weight"
) -> tuple[float | None, float | None]:
    r"""``(in_openness, out_openness)`` on the directed graph.

    .. math:: in = \frac{w(N\to C)}{w(N\to C) + w(C\to C)},\quad
              out = \frac{w(C\to N)}{w(C\to N) + w(C\to C)}

    In-openness: of the attention the core's content receives, the share from outsiders;
    out-openness: of the attention the core gives, the share that goes outside.

    References
    ----------
    Defined here (docs/metrics.md), after the directed mixing matrix of Newman (2003),
    "Mixing patterns in networks", Phys. Rev. E 67.

    Examples
    --------
    >>> D = nx.DiGraph([("n", "c1"), ("c1", "c2"), ("c2", "c1"), ("c1", "m")])
    >>> openness(D, {"c1", "c2"})
    (0.3333333333333333, 0.3333333333333333)
    """
    b = boundary(G, core, weight, volumes=False)
    i = b.nc + b.cc
    o = b.cn + b.cc
    return (None if i == 0 else b.nc / i, None if o == 0 else b.cn / o)


def conductance(
    G: nx.Graph | nx.DiGraph, core: Iterable[Node], weight: str | None = "weight"
) -> float | None:
    r"""Conductance of the core's cut on the undirected aggregate.

    .. math:: \phi(C) = \frac{cut(C, N)}{\min(vol(C), vol(N))}

    with vol the sum of weighted degrees.  The share of the smaller side's volume that crosses
    the boundary.  Not :func:`networkx.conductance` on a DiGraph, which mixes directions.

    References
    ----------
    Kannan, Vempala & Vetta (2004), "On clusterings: good, bad and spectral", JACM 51(3).

    Examples
    --------
    >>> conductance(nx.barbell_graph(5, 0), range(5))  # 1 / 21
    0.047619047619047616
    >>> conductance(nx.barbell_graph(3, 0), range(3))  # 1 / 7
    0.14285714285714285
    """
    b = boundary(G, core, weight)
    low = min(b.vol_core, b.vol_rest)
    return None if low == 0 else b.external / low


def touched(G: nx.Graph | nx.DiGraph, core: Iterable[Node]) -> set[Node]:
    """Outsiders adjacent to the core in either direction."""
    C = {c for c in core if c in G}
    out: set[Node] = set()
    for u in C:
        nbrs = set(G.successors(u)) | set(G.predecessors(u)) if G.is_directed() else set(G[u])
        out |= nbrs - C
    return out


def node_expansion(G: nx.Graph | nx.DiGraph, core: Iterable[Node]) -> tuple[int, float | None]:
    r"""``(outsiders_touched, node_expansion)``: \|N ∩ Γ(C)\| and that over \|C\|.

    References
    ----------
    Hoory, Linial & Wigderson (2006), "Expander graphs and their applications", Bull. AMS 43.

    Examples
    --------
    >>> node_expansion(nx.barbell_graph(5, 0), range(5))
    (1, 0.2)
    """
    C = [c for c in core]
    n = len(touched(G, C))
    return n, (n / len(C) if C else None)
