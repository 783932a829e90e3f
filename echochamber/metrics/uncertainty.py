"""Intervals for the headline shares and indices, by resampling conversations (second edition).

A week's conversations are its sampling units: every act and every post belongs to one.  Two
kinds of key need two kinds of resampling (``docs/metrics.md``, "Uncertainty"):

* **Sums over conversations** (acts, tie weights, posts, conversations: ``ei_index``,
  ``conductance``, ``in_openness``, ``out_openness``, ``core_outbound_share``,
  ``outside_post_share``, ``escaped_share``): the **thread bootstrap**.  Each of ``resamples``
  draws takes as many conversations as there are, with replacement; a key is a ratio of
  per-conversation sums, so a draw costs one matrix product.  Interval: the percentile
  interval (Efron & Tibshirani 1993, ch. 13).
* **Sets of distinct accounts** (``engaged_outside_share``, ``outside_share``,
  ``mean_travel``): a draw holds ~63% of the distinct conversations, and a set of distinct
  accounts does not shrink evenly (regulars stay, outsiders seen once drop out, chains are
  cut), so bootstrap draws lean off the point estimate, often wholly to one side.  These keys
  use the **delete-a-group jackknife** over the same conversations: ``groups`` random groups,
  each left out once; ``se² = (G-1)/G Σ (θ₋g - θ̄)²``; interval ``θ ± t(G-1) se``.  Its
  variance estimate is conservative for any symmetric statistic of independent units (Efron &
  Stein 1981), whatever the statistic's shape, and it needs no rescaling of distinct counts.

Both are seeded (``numpy.random.default_rng(seed)``), so a snapshot is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from echochamber.graph.acts import TRAVEL, Act
from echochamber.metrics.travel_batch import CELLS, chain_rows, encode_chains

BOOTSTRAP_KEYS = (
    "core_outbound_share",
    "ei_index",
    "in_openness",
    "out_openness",
    "conductance",
    "outside_post_share",
    "escaped_share",
)
JACKKNIFE_KEYS = ("engaged_outside_share", "outside_share", "mean_travel")
CI_KEYS = (*JACKKNIFE_KEYS, *BOOTSTRAP_KEYS)
RANGE = {"mean_travel": (1.0, math.inf), "ei_index": (-1.0, 1.0)}  # others: [0, 1]


@dataclass(frozen=True, slots=True)
class Interval:
    """A key's interval and standard error (the bootstrap SD or the jackknife SE)."""

    lo: float
    hi: float
    se: float


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile by the Cornish-Fisher expansion (Hill 1970), |error| < 1e-4 for
    df >= 5.

    >>> round(t_quantile(0.975, 49), 3), round(t_quantile(0.975, 10), 3)
    (2.01, 2.228)
    """
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


@dataclass(frozen=True)
class Units:
    """The week's conversations as per-conversation sums (one entry per unit)."""

    n: int
    sums: Mapping[str, np.ndarray]
    engaged: tuple[np.ndarray, np.ndarray, np.ndarray]  # account index, unit, outsider?
    present: tuple[np.ndarray, np.ndarray, np.ndarray]  # participants: the same
    unit_of_act: list[int]


def units_of(
    acts: Sequence[Act],
    posts: Iterable[tuple[Hashable, Hashable]],
    thread_author: Mapping[Hashable, Hashable],
    core: Iterable[Hashable],
    weights: Mapping[str, float] | None = None,
) -> Units:
    """Per-conversation sums for the bootstrap keys and (account, conversation) pairs for the
    jackknife keys.  ``posts`` are the conversation posts as (author, conversation)."""
    C = frozenset(core)
    w = {k: 1.0 for k in ("reply", "mention", "boost", "quote", "favourite")} | dict(weights or {})
    acts, posts = list(acts), list(posts)
    index: dict[Hashable, int] = {}
    threads = sorted({a.thread for a in acts} | {t for _, t in posts}, key=str)
    for t in threads:
        index[t] = len(index)
    n, m = len(index), len(acts)
    unit = np.fromiter((index[a.thread] for a in acts), dtype=np.int64, count=m)
    by_core = np.fromiter((a.actor in C for a in acts), dtype=bool, count=m)
    on_core = np.fromiter((a.target in C for a in acts), dtype=bool, count=m)
    travel = np.fromiter((a.kind in TRAVEL for a in acts), dtype=bool, count=m)
    weight = np.fromiter((w[a.kind] if a.counted else 0.0 for a in acts), dtype=float, count=m)
    in_core_thread = np.fromiter(
        (a.kind in ("reply", "quote") and thread_author.get(a.thread) in C for a in acts),
        dtype=bool,
        count=m,
    )

    def tally(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(
            unit[mask], weights=None if weights is None else weights[mask], minlength=n
        ).astype(float)

    sums = {
        "core_acts": tally(travel & by_core),
        "core_out": tally(travel & by_core & ~on_core),
        "cc": tally(by_core & on_core, weight),
        "cn": tally(by_core & ~on_core, weight),
        "nc": tally(~by_core & on_core, weight),
        "nn": tally(~by_core & ~on_core, weight),
    }
    accounts: dict[Hashable, int] = {}
    actor = np.fromiter(
        (accounts.setdefault(a.actor, len(accounts)) for a in acts), dtype=np.int64, count=m
    )
    author = np.fromiter(
        (accounts.setdefault(a, len(accounts)) for a, _ in posts), dtype=np.int64, count=len(posts)
    )
    post_unit = np.fromiter((index[t] for _, t in posts), dtype=np.int64, count=len(posts))
    outsider = np.fromiter((a not in C for a in accounts), dtype=bool, count=len(accounts))
    sums["posts"] = np.bincount(post_unit, minlength=n).astype(float)
    sums["posts_out"] = np.bincount(post_unit[outsider[author]], minlength=n).astype(float)
    rooted, escaped = np.zeros(n), np.zeros(n)
    out_units = np.zeros(n, dtype=bool)
    out_units[post_unit[outsider[author]]] = True
    for t, root in thread_author.items():
        if root in C and t in index:
            rooted[index[t]] = 1
            escaped[index[t]] = out_units[index[t]]
    sums["rooted"], sums["escaped"] = rooted, escaped
    eng = (travel & on_core) | in_core_thread
    return Units(
        n,
        sums,
        _pairs(actor[eng], unit[eng], outsider),
        _pairs(np.r_[actor, author], np.r_[unit, post_unit], outsider),
        unit.tolist(),
    )


def _pairs(
    acc: np.ndarray, unit: np.ndarray, outsider: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (account, conversation) pairs, accounts renumbered to those present."""
    n = max(1, int(unit.max()) + 1) if len(unit) else 1
    keys = np.unique(acc.astype(np.int64) * n + unit)
    seen, acc_c = np.unique(keys // n, return_inverse=True)
    return acc_c.astype(np.int64), (keys % n).astype(np.int64), outsider[seen]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(np.shape(num), np.nan), where=np.asarray(den) > 0)


def ratio_keys(s: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The bootstrap keys from (weighted) sums: each array holds one value per draw."""
    el, il = s["cn"] + s["nc"], s["cc"]
    low = np.minimum(2 * s["cc"] + el, 2 * s["nn"] + el)
    return {
        "core_outbound_share": _ratio(s["core_out"], s["core_acts"]),
        "ei_index": _ratio(el - il, el + il),
        "in_openness": _ratio(s["nc"], s["nc"] + s["cc"]),
        "out_openness": _ratio(s["cn"], s["cn"] + s["cc"]),
        "conductance": _ratio(el, low),
        "outside_post_share": _ratio(s["posts_out"], s["posts"]),
        "escaped_share": _ratio(s["escaped"], s["rooted"]),
    }


def _bootstrap(units: Units, resamples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each draw's weighted sums, the draws made in blocks of rows so the weight matrix
    never holds more than about ``CELLS`` cells (a 1M-conversation week: 4 rows at once)."""
    n = units.n
    block = max(1, CELLS // max(1, n))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in units.sums}
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        W = np.empty((rows, n), dtype=np.float64)
        for i in range(rows):
            W[i] = np.bincount(rng.integers(0, n, size=n), minlength=n)
        for k, v in units.sums.items():
            parts[k].append(W @ v)
    return ratio_keys({k: np.concatenate(v) for k, v in parts.items()})


def _share_without(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray], group: np.ndarray, G: int
) -> tuple[float, np.ndarray]:
    """The outsider share of the accounts in ``pairs``, and the same with each group left out
    (an account leaves with group g when all its conversations are in g)."""
    acc, unit, outsider = pairs
    if not len(acc):
        return math.nan, np.full(G, np.nan)
    g = group[unit]
    n_acc = len(outsider)
    lo = np.full(n_acc, G, dtype=np.int64)
    hi = np.full(n_acc, -1, dtype=np.int64)
    np.minimum.at(lo, acc, g)
    np.maximum.at(hi, acc, g)
    only = lo == hi  # all of the account's conversations lie in one group
    gone_all = np.bincount(lo[only], minlength=G).astype(float)
    gone_out = np.bincount(lo[only & outsider], minlength=G).astype(float)
    total, out = float(n_acc), float(outsider.sum())
    return out / total, _ratio(out - gone_out, total - gone_all)


def _jackknife(
    acts: Sequence[Act], units: Units, core: frozenset[Hashable], G: int, rng: np.random.Generator
) -> dict[str, tuple[float, np.ndarray]]:
    group = rng.permutation(units.n) % G
    out = {
        "engaged_outside_share": _share_without(units.engaged, group, G),
        "outside_share": _share_without(units.present, group, G),
    }
    chains = encode_chains(acts, core, units.unit_of_act)
    W = np.ones((G + 1, units.n), dtype=bool)
    W[1 + group, np.arange(units.n)] = False  # row 0: every conversation; row 1 + g: without g
    reached, total = chain_rows(chains, W)
    mean = _ratio(total.astype(float), reached.astype(float))
    out["mean_travel"] = (float(mean[0]), mean[1:])
    return out


def _clip(key: str, lo: float, hi: float) -> tuple[float, float]:
    a, b = RANGE.get(key, (0.0, 1.0))
    return max(a, lo), min(b, hi)


def intervals(
    acts: Sequence[Act],
    posts: Iterable[tuple[Hashable, Hashable]],
    thread_author: Mapping[Hashable, Hashable],
    core: Iterable[Hashable],
    *,
    weights: Mapping[str, float] | None = None,
    resamples: int = 200,
    groups: int = 50,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Interval | None]:
    """The interval of every key in :data:`CI_KEYS` (``None`` where it cannot be had).

    Bootstrap keys: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the key over
    ``resamples`` draws of the conversations with replacement, ``se`` their SD.  Jackknife keys:
    ``θ ± t(G-1) se`` with ``se² = (G-1)/G Σ_g (θ₋g - θ̄)²`` over ``G = min(groups, n)`` random
    groups of conversations, clipped to the key's range.  A snapshot stores the intervals as
    ``ci`` and the standard errors as ``ci_se``.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 11 and 13.
    Efron, B. & Stein, C. (1981). The jackknife estimate of variance. Ann. Stat. 9(3).
    Kott, P. S. (2001). The delete-a-group jackknife. J. Official Statistics 17(4).

    Examples
    --------
    >>> from datetime import datetime
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("c", "reply", "c2", t(1), t(2), k) for k in range(6)]
    >>> acts += [Act(f"o{k}", "reply", "c", t(2), t(3), k) for k in range(3)]
    >>> ci = intervals(acts, [("c", k) for k in range(6)], {k: "c" for k in range(6)},
    ...                {"c", "c2"}, resamples=50, groups=6)
    >>> ci["core_outbound_share"], ci["ei_index"].lo < -1 / 3 < ci["ei_index"].hi
    (Interval(lo=0.0, hi=0.0, se=0.0), True)
    """
    if not 0 < level < 1 or resamples < 0 or groups < 0:
        raise ValueError("need 0 < level < 1 and non-negative resamples and groups")
    acts = list(acts)
    C = frozenset(core)
    units = units_of(acts, posts, thread_author, C, weights)
    out: dict[str, Interval | None] = dict.fromkeys(CI_KEYS)
    rng = np.random.default_rng(seed)
    if units.n and resamples:
        for key, draws in _bootstrap(units, resamples, rng).items():
            v = draws[~np.isnan(draws)]
            if len(v):
                lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
                se = float(v.std(ddof=1)) if len(v) > 1 else 0.0
                out[key] = Interval(float(lo), float(hi), se)
    G = min(groups, units.n)
    if G >= 2:
        q = t_quantile((1 + level) / 2, G - 1)
        for key, (point, rows) in _jackknife(acts, units, C, G, rng).items():
            v = rows[~np.isnan(rows)]
            if math.isnan(point) or len(v) < 2:
                continue
            se = math.sqrt((len(v) - 1) / len(v) * float(((v - v.mean()) ** 2).sum()))
            lo, hi = _clip(key, point - q * se, point + q * se)
            out[key] = Interval(lo, hi, se)
    return out
