"""How far the core's content travels along time-respecting chains of acts (second edition).

Pure: standard library and numpy only, no I/O, no clock.  The caller passes one window's acts.
A step is time-respecting when u acts on a post of v written at or after v was reached
(Holme & Saramäki 2012).  See ``docs/metrics-travel.md`` for the reading of every key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

import numpy as np

PASSING = frozenset({"reply", "quote", "boost"})  # acts that pass content on
TRAVEL = PASSING | {"favourite"}  # acts that show content arrived
KINDS = TRAVEL | {"mention"}
SHARE_KEYS = ("engaged_outside_share", "core_outbound_share", "mean_travel")
_CELLS = 4_000_000  # resamples x steps held at once by the bootstrap


@dataclass(frozen=True, slots=True)
class Act:
    """One act of an account on a post: u replied to, quoted, boosted, favourited or mentioned."""

    actor: Hashable  # account id of who acted
    kind: str  # "reply" | "quote" | "boost" | "favourite" | "mention"
    target: Hashable  # author of the post acted on (for mention: the mentioned account)
    target_at: datetime | None  # when the post acted on was created (None if unknown)
    at: datetime  # when the act happened (reply/quote/boost: the acting post's time)
    thread: Hashable | None = None  # the conversation (root post) of the act, for the bootstrap

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown act kind {self.kind!r}; expected one of {sorted(KINDS)}")


@dataclass(frozen=True, slots=True)
class TravelMetrics:
    """The travel metrics of one window; :meth:`as_dict` gives the published keys."""

    engaged: frozenset[Hashable]
    engaged_outside_share: float | None
    outsiders_reached: int
    travel_profile: Mapping[str, int]
    mean_travel: float | None
    core_outbound_share: float | None
    core_mentions_outward: int
    travel_distance: Mapping[Hashable, int] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The seven published keys (``engaged`` as a count)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)[:-1]}  # not travel_distance
        return out | {"engaged": len(self.engaged), "travel_profile": dict(self.travel_profile)}


def travel_distances(acts: Iterable[Act], core: Iterable[Hashable]) -> dict[Hashable, int]:
    """Steps in the shortest time-respecting chain from a core post to each account.

    Level by level (Bellman-Ford over hop counts): ``e_0(c) = -inf`` for a core member c and
    ``e_k(u) = min(e_{k-1}(u), min{a.at : a = (u replies to/quotes/boosts v's post),
    e_{k-1}(v) <= a.target_at})``, the earliest time u can pass content on within k steps.
    u's distance is the first k at which some act of u (favourites included) meets
    ``e_{k-1}(target) <= target_at``; a favourite reaches u but sets no ``e``.  Iterate until
    ``e`` stops changing; O(levels x acts).  A step onto a non-core post whose ``target_at``
    is None cannot be checked and is not taken.  Mentions are not travel.  Returns core
    members at 0 and reached outsiders at k >= 1; unreached accounts are absent.

    References
    ----------
    Holme, P. & Saramäki, J. (2012). Temporal networks. Physics Reports 519(3):97-125.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(9), t(10)),  # a reached at 10:00
    ...         Act("b", "boost", "a", t(11), t(12)),  # a's 11:00 post: after a was reached
    ...         Act("x", "boost", "a", t(8), t(9))]  # a's 08:00 post: before, no travel
    >>> sorted(travel_distances(acts, {"c"}).items())
    [('a', 1), ('b', 2), ('c', 0)]
    """
    C = frozenset(core)
    dist: dict[Hashable, int] = dict.fromkeys(C, 0)
    steps = [a for a in acts if a.kind in TRAVEL and a.actor not in C]
    active: dict[Hashable, datetime] = {}  # e_{k-1} of outsiders; core members: always
    k = 0
    while True:
        k += 1
        new = dict(active)
        for a in steps:
            if a.target not in C:
                since = active.get(a.target)
                if since is None or a.target_at is None or a.target_at < since:
                    continue
            dist.setdefault(a.actor, k)
            if a.kind in PASSING:
                cur = new.get(a.actor)
                if cur is None or a.at < cur:
                    new[a.actor] = a.at
        if new == active:
            return dist
        active = new


def _engages(a: Act, C: frozenset[Hashable], roots: Mapping[Any, Hashable]) -> bool:
    if a.kind in TRAVEL and a.target in C:
        return True
    return a.kind in ("reply", "quote") and a.thread in roots and roots[a.thread] in C


def engaged(
    acts: Iterable[Act],
    core: Iterable[Hashable],
    thread_root_author: Mapping[Any, Hashable] | None = None,
) -> frozenset[Hashable]:
    """Accounts, core members included, that engaged with the core in the window.

    ``engaged = {a.actor : a.kind in {reply, quote, boost, favourite} and a.target in C}
    ∪ {a.actor : a.kind in {reply, quote} and thread_root_author[a.thread] in C}``.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "favourite", "c", t(9), t(10)),
    ...         Act("b", "reply", "a", t(10), t(11), thread="p1"),  # p1 is c's post
    ...         Act("d", "mention", "c", None, t(12))]
    >>> sorted(engaged(acts, {"c"}, {"p1": "c"}))
    ['a', 'b']
    """
    C = frozenset(core)
    roots = thread_root_author or {}
    return frozenset(a.actor for a in acts if _engages(a, C, roots))


def travel_metrics(
    acts: Iterable[Act],
    core: Iterable[Hashable],
    thread_root_author: Mapping[Any, Hashable] | None = None,
) -> TravelMetrics:
    """All travel metrics of a window's acts for core C.

    - ``engaged_outside_share = |engaged \\ C| / |engaged|`` (None if nobody engaged).
    - ``outsiders_reached = |{u not in C : travel distance finite}|``.
    - ``travel_profile``: those outsiders by distance, ``{"1", "2", "3+"}``.
    - ``mean_travel``: their mean travel distance (None if none).
    - ``core_outbound_share``: of the core's reply/quote/boost/favourite acts, the share whose
      target is an outsider (None if the core made none).
    - ``core_mentions_outward``: distinct outsiders a core member mentioned.

    References
    ----------
    Holme, P. & Saramäki, J. (2012). Temporal networks. Physics Reports 519(3):97-125.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(9), t(10)), Act("b", "boost", "a", t(11), t(12)),
    ...         Act("c", "reply", "a", t(10), t(13)), Act("c", "favourite", "c2", t(8), t(9)),
    ...         Act("c", "mention", "z", None, t(14))]
    >>> m = travel_metrics(acts, {"c", "c2"}).as_dict()
    >>> m["engaged"], m["engaged_outside_share"], m["travel_profile"], m["mean_travel"]
    (2, 0.5, {'1': 1, '2': 1, '3+': 0}, 1.5)
    >>> m["core_outbound_share"], m["core_mentions_outward"]
    (0.5, 1)
    """
    acts = list(acts)
    C = frozenset(core)
    eng = engaged(acts, C, thread_root_author)
    dist = travel_distances(acts, C)
    out = [d for u, d in dist.items() if u not in C]
    profile = {"1": 0, "2": 0, "3+": 0}
    for d in out:
        profile["1" if d == 1 else "2" if d == 2 else "3+"] += 1
    core_acts = [a for a in acts if a.kind in TRAVEL and a.actor in C]
    outbound = sum(a.target not in C for a in core_acts)
    mentioned = {a.target for a in acts if a.kind == "mention" and a.actor in C}
    return TravelMetrics(
        engaged=eng,
        engaged_outside_share=len(eng - C) / len(eng) if eng else None,
        outsiders_reached=len(out),
        travel_profile=profile,
        mean_travel=fmean(out) if out else None,
        core_outbound_share=outbound / len(core_acts) if core_acts else None,
        core_mentions_outward=len(mentioned - C),
        travel_distance=dist,
    )


Arrays = tuple[np.ndarray, ...]
_Draws = dict[str, np.ndarray]


@dataclass(frozen=True)
class _Encoded:
    """A window's acts as arrays for the bootstrap; a unit is a conversation.

    ``steps``: the outsiders' travel acts sorted by actor node, as (unit, target node,
    target_at, at, passes, actor node); times in microseconds, ``target_at`` -inf when
    unknown.  Nodes ``0 .. n_core - 1`` are the core.
    """

    n_units: int
    core_acts: np.ndarray  # per unit: the core's reply/quote/boost/favourite acts
    core_out: np.ndarray  # per unit: those whose target is an outsider
    eng: Arrays  # unit of each (engaging account, unit) pair, account starts, outsider?
    n_nodes: int
    n_core: int
    steps: Arrays


def _encode(acts: Sequence[Act], C: frozenset[Hashable], roots: Mapping[Any, Hashable]) -> _Encoded:
    units: dict[tuple[bool, Hashable], int] = {}
    unit = [
        units.setdefault((True, a.thread) if a.thread is not None else (False, i), len(units))
        for i, a in enumerate(acts)
    ]
    n = len(units)
    core_acts, core_out = np.zeros(n), np.zeros(n)
    by_actor: dict[Hashable, set[int]] = {}  # engaging account -> units where it engaged
    node: dict[Hashable, int] = {c: i for i, c in enumerate(C)}
    ref, micro = (acts[0].at if acts else datetime.min), timedelta(microseconds=1)
    rows: list[tuple[int, int, int, float, float, bool]] = []
    for a, u in zip(acts, unit, strict=True):
        if _engages(a, C, roots):
            by_actor.setdefault(a.actor, set()).add(u)
        if a.kind in TRAVEL and a.actor in C:
            core_acts[u] += 1
            core_out[u] += a.target not in C
        elif a.kind in TRAVEL:
            tat = -np.inf if a.target_at is None else (a.target_at - ref) / micro
            v, w = node.setdefault(a.actor, len(node)), node.setdefault(a.target, len(node))
            rows.append((v, u, w, tat, (a.at - ref) / micro, a.kind in PASSING))
    sizes = [len(us) for us in by_actor.values()]
    eng = (
        np.array([u for us in by_actor.values() for u in sorted(us)], dtype=np.int64),
        np.cumsum([0, *sizes], dtype=np.int64)[:-1],
        np.array([v not in C for v in by_actor], dtype=bool),
    )
    rows.sort(key=lambda r: r[0])
    cols = np.array(rows, dtype=float).reshape(-1, 6).T  # node indices < 2**53: exact
    actor, su, st = cols[:3].astype(np.int64)
    steps = (su, st, cols[3], cols[4], cols[5] > 0, actor)
    return _Encoded(n, core_acts, core_out, eng, len(node), len(C), steps)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def _batch(enc: _Encoded, W: np.ndarray) -> _Draws:
    """The share/mean keys for each row of unit multiplicities ``W`` (NaN = undefined)."""
    R = W.shape[0]
    drawn = W > 0
    res: _Draws = {"core_outbound_share": _ratio(W @ enc.core_out, W @ enc.core_acts)}
    eng_unit, eng_starts, eng_outsider = enc.eng
    hit = np.logical_or.reduceat(drawn[:, eng_unit], eng_starts, axis=1)  # draw x account
    res["engaged_outside_share"] = _ratio(
        (hit & eng_outsider).sum(axis=1).astype(float), hit.sum(axis=1).astype(float)
    )
    unit, target, target_at, at, passes, actor = enc.steps
    E = np.full((R, enc.n_nodes), np.inf)  # e_k: earliest time a node can pass content on
    E[:, : enc.n_core] = -np.inf
    D = np.zeros((R, enc.n_nodes), dtype=np.int64)  # first level reached; 0 = core/unreached
    changed = np.arange(enc.n_nodes) < enc.n_core  # nodes whose e changed at the last level
    for k in range(1, enc.n_nodes + 2):  # an earliest chain need not revisit a node
        sel = np.flatnonzero(changed[target])  # other steps would repeat their last outcome
        if not len(sel):
            break
        ok = drawn[:, unit[sel]] & (E[:, target[sel]] <= target_at[sel])
        starts = np.flatnonzero(np.r_[True, actor[sel][1:] != actor[sel][:-1]])
        reached = np.logical_or.reduceat(ok, starts, axis=1)
        best = np.minimum.reduceat(np.where(ok & passes[sel], at[sel], np.inf), starts, axis=1)
        nodes = actor[sel][starts]
        d, old = D[:, nodes], E[:, nodes]
        D[:, nodes] = np.where(reached & (d == 0), k, d)
        E[:, nodes] = np.minimum(old, best)
        changed = np.isin(np.arange(enc.n_nodes), nodes[(best < old).any(axis=0)])
    res["mean_travel"] = _ratio(D.sum(axis=1).astype(float), (D > 0).sum(axis=1).astype(float))
    return res


def _draws(enc: _Encoded, keys: Sequence[str], resamples: int, rng: np.random.Generator) -> _Draws:
    """Each key on ``resamples`` draws of the units with replacement (NaN = undefined)."""
    bad = [k for k in keys if k not in SHARE_KEYS]
    if bad or resamples < 1:
        raise ValueError(f"keys must be among {SHARE_KEYS} and resamples >= 1; got {bad}")
    n = enc.n_units
    if n == 0:
        return {k: np.full(resamples, np.nan) for k in keys}
    draws = rng.integers(0, n, size=(resamples, n))
    W = np.apply_along_axis(np.bincount, 1, draws, minlength=n)  # multiplicity of each unit
    chunk = max(1, _CELLS // max(1, len(enc.steps[0]), len(enc.eng[0]), n, enc.n_nodes))
    parts = [_batch(enc, W[i : i + chunk]) for i in range(0, resamples, chunk)]
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _interval(values: np.ndarray, level: float) -> tuple[float, float] | None:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    v = values[~np.isnan(values)]
    q = np.quantile(v, [(1 - level) / 2, (1 + level) / 2]) if len(v) else None
    return None if q is None else (float(q[0]), float(q[1]))


def bootstrap_ci(
    acts: Iterable[Act],
    core: Iterable[Hashable],
    thread_root_author: Mapping[Any, Hashable] | None = None,
    *,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    keys: Sequence[str] = SHARE_KEYS,
) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap intervals of the share/mean keys, resampling conversations.

    Units are the distinct ``thread`` values (an act with ``thread=None`` is its own unit).
    A draw takes as many units as there are, with replacement; a unit drawn m times brings
    its acts m times, which weighs act counts (``core_outbound_share``) but not sets of
    accounts.  Each key is recomputed per draw; the interval is the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles of the draws where it is defined (None if none is).

    A draw holds ~63% of the distinct conversations, which does not scale a set of distinct
    accounts evenly: accounts seen in many conversations (often the core) stay, those seen in
    one stay with probability ~0.63, and chains through a left-out conversation are cut
    (distances only grow).  So draws of ``engaged_outside_share`` and ``mean_travel`` can lean
    off the point estimate, the whole interval on one side of it; ``core_outbound_share``
    cannot.  Weeks of similar size lean alike in :func:`diff_ci`.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("c", "reply", "c", t(1), t(2), thread=1),
    ...         Act("c", "boost", "x", t(3), t(4), thread=2)]
    >>> bootstrap_ci(acts, {"c"}, keys=["core_outbound_share"], seed=1)
    {'core_outbound_share': (0.0, 1.0)}
    """
    enc = _encode(list(acts), frozenset(core), thread_root_author or {})
    draws = _draws(enc, keys, resamples, np.random.default_rng(seed))
    return {k: _interval(draws[k], level) for k in keys}


def diff_ci(
    acts_a: Iterable[Act],
    acts_b: Iterable[Act],
    core: Iterable[Hashable],
    thread_root_author: Mapping[Any, Hashable] | None = None,
    *,
    key: str = "engaged_outside_share",
    core_b: Iterable[Hashable] | None = None,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Bootstrap interval of ``key(week b) - key(week a)``; one containing 0 is no clear change.

    Each week's conversations are resampled independently as in :func:`bootstrap_ci` (week a
    first, from one ``numpy.random.default_rng(seed)``), draw i of b is paired with draw i of
    a, and the interval is taken over the pairs where both are defined.  ``core_b`` is week
    b's core when the roster changed (default: ``core``).

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> a = [Act("c", "reply", "c", t(1), t(2), thread=i) for i in range(5)]
    >>> b = a + [Act("c", "reply", "x", t(1), t(2), thread=9)]
    >>> diff_ci(a, a, {"c"}, key="core_outbound_share")
    (0.0, 0.0)
    >>> lo, hi = diff_ci(a, b, {"c"}, key="core_outbound_share")
    >>> lo <= 1 / 6 <= hi
    True
    """
    rng, roots, ca = np.random.default_rng(seed), thread_root_author or {}, frozenset(core)
    cb = ca if core_b is None else frozenset(core_b)
    va = _draws(_encode(list(acts_a), ca, roots), [key], resamples, rng)[key]
    vb = _draws(_encode(list(acts_b), cb, roots), [key], resamples, rng)[key]
    return _interval(vb - va, level)


__all__ = [
    "Act",
    "TravelMetrics",
    "bootstrap_ci",
    "diff_ci",
    "engaged",
    "travel_distances",
    "travel_metrics",
]
