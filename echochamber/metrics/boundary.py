"""Boundary measures between the core C and everyone else N.

They use the undirected aggregate of G (weights summed over both directions), tallied in one
vectorised pass over the arcs of the week's :class:`~echochamber.graph.net.Net`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from echochamber.graph.net import Net, as_net
from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx


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


def boundary(
    G: nx.Graph | nx.DiGraph | Net,
    core: Iterable[Node],
    weight: str | None = "weight",
    *,
    volumes: bool = True,
) -> Boundary:
    """Tally the weights that the boundary measures need, in one vectorised pass over the arcs.

    On a DiGraph each arc counts once in the undirected aggregate (a reciprocated pair counts
    both arcs); an undirected graph is taken as it is.  Self-loops are ignored.  Without
    ``volumes`` the rest's volume is left at 0.

    Examples
    --------
    >>> b = boundary(nx.barbell_graph(5, 0), range(5))
    >>> b.internal, b.external, b.vol_core, b.vol_rest
    (10.0, 1.0, 21.0, 21.0)
    """
    net = as_net(G, weight)
    inside = net.mask(core)
    cs, cd = inside[net.src], inside[net.dst]
    w = net.weight
    both = float(w[cs & cd].sum())
    out_ = float(w[cs & ~cd].sum())
    in_ = float(w[~cs & cd].sum())
    if net.directed:
        internal, external, cc, cn, nc = both, out_ + in_, both, out_, in_
    else:  # each edge once: seen from both of its core ends in the first engine's tally
        internal, external, cc, cn, nc = both, out_ + in_, 2 * both, out_ + in_, 0.0
    vol_core = 2 * internal + external
    if not volumes:
        return Boundary(internal, external, vol_core, 0.0, cc, nc, cn)
    vol_rest = 2 * float(w.sum()) - vol_core
    return Boundary(internal, external, vol_core, vol_rest, cc, nc, cn)


def ei_index(
    G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node], weight: str | None = "weight"
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
    G: nx.DiGraph | Net, core: Iterable[Node], weight: str | None = "weight"
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
    G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node], weight: str | None = "weight"
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


def touched(G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node]) -> set[Node]:
    """Outsiders adjacent to the core in either direction."""
    net = as_net(G, None)
    inside = net.mask(core)
    cs, cd = inside[net.src], inside[net.dst]
    hit = np.union1d(net.dst[cs & ~cd], net.src[~cs & cd])
    return {net.nodes[i] for i in hit.tolist()}


def node_expansion(
    G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node]
) -> tuple[int, float | None]:
    r"""``(outsiders_touched, node_expansion)``: \|N ∩ Γ(C)\| and that over \|C\|.

    References
    ----------
    Hoory, Linial & Wigderson (2006), "Expander graphs and their applications", Bull. AMS 43.

    Examples
    --------
    >>> node_expansion(nx.barbell_graph(5, 0), range(5))
    (1, 0.2)
    """
    C = set(core)
    n = len(touched(G, C))
    return n, (n / len(C) if C else None)
