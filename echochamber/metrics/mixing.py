"""Assortativity of core membership and the concentration of posting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from echochamber.graph.net import Net, as_net
from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx


def two_group_assortativity(cc: float, cn: float, nn: float) -> float | None:
    r"""Newman's assortativity r for two groups from undirected edge counts.

    With m = cc + cn + nn, e_CC = cc/m, e_NN = nn/m, e_CN = e_NC = cn/(2m) and
    a_i = \sum_j e_ij:  r = (\sum_i e_ii - \sum_i a_i^2) / (1 - \sum_i a_i^2).

    Examples
    --------
    >>> two_group_assortativity(10, 0, 10)
    1.0
    >>> two_group_assortativity(0, 4, 0)
    -1.0
    """
    m = cc + cn + nn
    if m == 0:
        return None
    e_cc, e_nn, e_cn = cc / m, nn / m, cn / (2 * m)
    a_c, a_n = e_cc + e_cn, e_nn + e_cn
    s = a_c * a_c + a_n * a_n
    if s >= 1:
        return None
    return (e_cc + e_nn - s) / (1 - s)


def core_assortativity(G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node]) -> float | None:
    r"""Newman's attribute assortativity of ``is_core`` on the undirected simple graph.

    Each connected pair counts once, whatever its weight or direction.  > 0: ties run within
    the groups (insular); < 0: across them.  ``None`` when undefined (one group only, no ties).

    References
    ----------
    Newman (2003), "Mixing patterns in networks", Phys. Rev. E 67, 026126.

    Examples
    --------
    >>> G = nx.karate_club_graph()
    >>> hi = {n for n, club in G.nodes(data="club") if club == "Mr. Hi"}
    >>> round(core_assortativity(G, hi), 6)
    0.717531
    """
    net = as_net(G, None)
    inside = net.mask(core)
    p = net.pairs
    ins = inside[p.a].astype(np.int64) + inside[p.b]
    cc, cn = int((ins == 2).sum()), int((ins == 1).sum())
    return two_group_assortativity(cc, cn, len(ins) - cc - cn)


def top_share(posts: Mapping[Node, int], k: int = 10) -> float | None:
    """Share of posts written by the ``k`` most active authors.

    Examples
    --------
    >>> top_share({"a": 6, "b": 2, "c": 2}, k=1)
    0.6
    """
    total = sum(posts.values())
    if total <= 0:
        return None
    return sum(sorted(posts.values(), reverse=True)[:k]) / total


def gini(values: Iterable[float]) -> float | None:
    r"""Gini coefficient of non-negative values.

    .. math:: G = \frac{\sum_i \sum_j |x_i - x_j|}{2 n^2 \bar x}
              = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}

    References
    ----------
    Gini (1912), *Variabilità e mutabilità*; the sorted form as in Damgaard & Weiner (2000).

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])
    0.75
    """
    xs = sorted(float(v) for v in values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return None
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n
