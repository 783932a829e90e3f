r"""Degree-preserving null model with the core fixed: how high would the scores read by chance?

With two groups, E-I, conductance and assortativity depend on the graph only through how many
edge ends ("stubs") of core members pair with stubs of outsiders.  The null keeps every
account's degree and its core label and pairs all stubs uniformly at random (the configuration
model, Molloy & Reed 1995; multi-edges and self-loops allowed).

Under that null the number X of mixed pairs has a closed form.  With s stubs in M = s/2
pairs, k of them the core's, a pairing with x mixed pairs chooses the x mixed pairs, which
(k - x)/2 of the others are core–core, and the order inside each mixed pair:

.. math:: P(X = x) = \frac{\binom{M}{x}\binom{M - x}{(k - x)/2}\, 2^x}{\binom{s}{k}},
          \qquad x \equiv k \pmod 2,\ 0 \le x \le \min(k, s - k)

with :math:`E[X] = k(s-k)/(s-1)` and
:math:`Var[X] = M p_1 (1 - p_1) + M (M - 1)(p_2 - p_1^2)`, where
:math:`p_1 = 2k(s-k)/(s(s-1))` and :math:`p_2 = 4k(k-1)(s-k)(s-k-1)/(s(s-1)(s-2)(s-3))`
(the chances that one pair, and two given pairs, are mixed).  Every null mean and standard
deviation is the exact moment of the score over this distribution (summed where it is not
negligible: within 40 standard deviations of E[X]); nothing is simulated.  The scores:

* ``ei_index`` and ``conductance`` use weighted stubs (an edge of weight w contributes w stubs
  at each end, rounded, at least 1), like their observed values;
* ``core_assortativity`` uses the simple graph's stubs, like its observed value.

Salloum, Chen & Kivelä (2022), "Separating polarization from noise: comparison and
normalization of structural polarization measures", Proc. ACM HCI 6 (CSCW1), show raw scores
read high even on random graphs, hence the z-scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from echochamber.graph.net import Net, as_net
from echochamber.metrics.mixing import two_group_assortativity
from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx

SPREAD = 40  # standard deviations of X summed over on each side of its mean


@dataclass(frozen=True, slots=True)
class NullResult:
    mean: float | None
    z: float | None
    sd: float | None = None


def stubs(G: nx.Graph | nx.DiGraph | Net, core: Iterable[Node], weighted: bool) -> tuple[int, int]:
    """(core stubs, all stubs) of the undirected aggregate (self-loops left out).

    >>> stubs(nx.barbell_graph(3, 0), range(3), weighted=False)
    (7, 14)
    """
    net = as_net(G)
    inside = net.mask(core)
    p = net.pairs
    n = np.maximum(1, np.round(p.weight)).astype(np.int64) if weighted else np.ones(len(p.a))
    ends = inside[p.a].astype(np.int64) + inside[p.b]
    return int((n * ends).sum()), int(2 * n.sum())


def mixed_moments(k: int, s: int) -> tuple[float, float]:
    """``(E[X], Var[X])`` of the mixed pairs X when s stubs, k of them the core's, are paired
    uniformly at random.

    >>> [round(v, 12) for v in mixed_moments(2, 4)]  # {c c}{n n} (1/3) or two mixed (2/3)
    [1.333333333333, 0.888888888889]
    """
    if s < 2:
        return 0.0, 0.0
    M = s / 2
    p1 = 2 * k * (s - k) / (s * (s - 1))
    p2 = 4 * k * (k - 1) * (s - k) * (s - k - 1) / (s * (s - 1) * (s - 2) * (s - 3)) if s > 3 else 0
    return k * (s - k) / (s - 1), M * p1 * (1 - p1) + M * (M - 1) * (p2 - p1 * p1)


def mixed_distribution(k: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, P(X = x))`` over the values of X that carry any weight (see the module).

    >>> x, p = mixed_distribution(2, 4)
    >>> x.tolist(), [round(v, 12) for v in p.tolist()]
    ([0, 2], [0.333333333333, 0.666666666667])
    """
    M = s // 2
    mean, var = mixed_moments(k, s)
    half = SPREAD * math.sqrt(max(var, 0.0)) + 2
    lo = max(k % 2, int(mean - half))
    lo += (lo - k) % 2
    hi = min(k, s - k, int(mean + half) + 1)
    x = np.arange(lo, hi + 1, 2, dtype=np.int64)
    lg = math.lgamma
    logp = np.array(
        [
            lg(M + 1)
            - lg(v + 1)
            - lg((k - v) // 2 + 1)
            - lg(M - v - (k - v) // 2 + 1)
            + v * math.log(2)
            for v in x.tolist()
        ]
    )
    logp -= lg(s + 1) - lg(k + 1) - lg(s - k + 1)
    keep = (M - x - (k - x) // 2) >= 0
    x, logp = x[keep], logp[keep]
    p = np.exp(logp - logp.max())
    return x, p / p.sum()


def exact_null(
    k: int, s: int, score: Callable[[np.ndarray], np.ndarray], observed: float | None
) -> NullResult:
    """The mean and SD of ``score(X)`` under the null (undefined values, NaN, left out) and
    the z-score of ``observed``."""
    x, p = mixed_distribution(k, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = score(x.astype(float))
    ok = np.isfinite(f)
    if not ok.any():
        return NullResult(None, None)
    q = p[ok] / p[ok].sum()
    mean = float((q * f[ok]).sum())
    sd = math.sqrt(max(float((q * (f[ok] - mean) ** 2).sum()), 0.0))
    if observed is None or sd <= 1e-12 * max(1.0, abs(mean)):
        return NullResult(mean, None, sd)
    return NullResult(mean, (observed - mean) / sd, sd)


def null_models(
    G: nx.Graph | nx.DiGraph | Net,
    core: Iterable[Node],
    *,
    samples: int = 100,
    seed: int = 0,
    observed: dict[str, float | None] | None = None,
) -> dict[str, float | None]:
    """``*_null_mean`` and ``*_z`` for ``ei_index``, ``conductance`` and ``core_assortativity``.

    The moments are exact (the module's closed form); ``samples = 0`` turns the nulls off
    (every value ``None``), any other value computes them (``seed`` is not used: nothing is
    drawn; both are kept for the settings' sake).

    Examples
    --------
    >>> G = nx.barbell_graph(5, 0)
    >>> out = null_models(G, range(5), observed={"ei_index": -9 / 11, "conductance": 1 / 21,
    ...                                          "core_assortativity": 0.9})
    >>> out["ei_index_null_mean"] > -9 / 11 and out["ei_index_z"] < -3
    True
    """
    del seed
    C = set(core)
    observed = observed or {}
    net = as_net(G)
    out: dict[str, float | None] = dict.fromkeys(
        f"{key}_{part}"
        for key in ("ei_index", "conductance", "core_assortativity")
        for part in ("null_mean", "z")
    )
    if samples <= 0:
        return out
    k, s = stubs(net, C, weighted=True)
    if s > 0 and k > 0:
        ei = exact_null(k, s, lambda x: (3 * x - k) / (x + k), observed.get("ei_index"))
        out["ei_index_null_mean"], out["ei_index_z"] = ei.mean, ei.z
        low = min(k, s - k)
        if low > 0:
            cond = exact_null(k, s, lambda x: x / low, observed.get("conductance"))
            out["conductance_null_mean"], out["conductance_z"] = cond.mean, cond.z
    k2, s2 = stubs(net, C, weighted=False)
    if s2 > 0 and 0 < k2 < s2:

        def assort(x: np.ndarray) -> np.ndarray:
            r = [two_group_assortativity((k2 - v) / 2, v, (s2 - k2 - v) / 2) for v in x.tolist()]
            return np.array([math.nan if v is None else v for v in r])

        a = exact_null(k2, s2, assort, observed.get("core_assortativity"))
        out["core_assortativity_null_mean"], out["core_assortativity_z"] = a.mean, a.z
    return out
