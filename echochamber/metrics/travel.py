"""How far the core's content travels along time-respecting chains of acts (second edition).

Pure: standard library and numpy only, no I/O, no clock.  The caller passes one window's acts.
A step is time-respecting when u acts on a post of v written at or after v was reached
(Holme & Saramäki 2012).  See ``docs/metrics.md`` ("Travel") for the reading of every key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from statistics import fmean
from typing import Any

from echochamber.graph.acts import PASSING, TRAVEL, Act


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
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "travel_distance"}
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
    return travel_tree(acts, core)[0]


def travel_tree(
    acts: Iterable[Act], core: Iterable[Hashable]
) -> tuple[dict[Hashable, int], dict[Hashable, frozenset[Hashable]]]:
    """:func:`travel_distances` and each reached outsider's *parents*: the accounts whose
    posts it acted on at the level it was first reached (the last step of its shortest
    chains; several when chains tie).

    Each level looks only at the acts whose target's ``e`` changed at the level before (the
    others would repeat their outcome), so a level costs the acts it can change.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(1), t(2)), Act("b", "reply", "d", t(1), t(2)),
    ...         Act("x", "boost", "a", t(3), t(4)), Act("x", "favourite", "b", t(3), t(5))]
    >>> dist, parents = travel_tree(acts, {"c", "d"})
    >>> dist["x"], sorted(parents["x"])
    (2, ['a', 'b'])
    """
    C = frozenset(core)
    dist: dict[Hashable, int] = dict.fromkeys(C, 0)
    parents: dict[Hashable, set[Hashable]] = {}
    onto: dict[Hashable, list[Act]] = {}  # target -> the outsiders' travel acts on its posts
    for a in acts:
        if a.kind in TRAVEL and a.actor not in C:
            onto.setdefault(a.target, []).append(a)
    active: dict[Hashable, datetime] = {}  # e_{k-1} of outsiders; core members: always
    changed: set[Hashable] = set(C) & set(onto)
    k = 0
    while changed:
        k += 1
        new: dict[Hashable, datetime] = {}
        for v in changed:
            since = active.get(v)
            for a in onto[v]:
                if v not in C and (since is None or a.target_at is None or a.target_at < since):
                    continue
                if dist.setdefault(a.actor, k) == k:
                    parents.setdefault(a.actor, set()).add(v)
                if a.kind in PASSING:
                    cur = new.get(a.actor, active.get(a.actor))
                    if cur is None or a.at < cur:
                        new[a.actor] = a.at
        changed = {u for u, e in new.items() if u in onto and e != active.get(u)}
        active.update(new)
    return dist, {u: frozenset(p) for u, p in parents.items()}


Tree = tuple[Mapping[Hashable, int], Mapping[Hashable, frozenset[Hashable]]]


def travel_bridges(
    acts: Iterable[Act], core: Iterable[Hashable], tree: Tree | None = None
) -> dict[Hashable, float]:
    """Outsiders reached through each account: a bridge score that ignores account ids.

    Each reached outsider u passes ``1 + score(u)`` up to its parents (:func:`travel_tree`),
    split evenly when it has several, farthest accounts first; a core member's score counts
    every outsider reached through its content, an outsider's those reached beyond it.  Ties
    between equally short chains share the credit, so the scores do not depend on the order
    of account ids (the first edition's BFS forest kept the first parent in id order).

    References
    ----------
    The dependency accumulation of Brandes (2001), "A faster algorithm for betweenness
    centrality", J. Math. Sociol. 25(2), on the shortest time-respecting chains of Holme &
    Saramäki (2012).

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(1), t(2)), Act("b", "reply", "d", t(1), t(2)),
    ...         Act("x", "boost", "a", t(3), t(4)), Act("x", "favourite", "b", t(3), t(5))]
    >>> sorted(travel_bridges(acts, {"c", "d"}).items())
    [('a', 0.5), ('b', 0.5), ('c', 1.5), ('d', 1.5)]
    """
    C = frozenset(core)
    dist, parents = tree if tree is not None else travel_tree(acts, C)
    score: dict[Hashable, float] = {}
    for u in sorted((u for u in dist if u not in C), key=lambda n: -dist[n]):
        ps = parents.get(u, frozenset())
        share = (1 + score.get(u, 0.0)) / len(ps) if ps else 0.0
        for v in ps:
            score[v] = score.get(v, 0.0) + share
    return {n: x for n, x in score.items() if x > 0}


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

    References
    ----------
    Defined here (``docs/metrics.md``, "Travel"): the core's audience, the accounts that took up
    its content, as distinct from everyone who used the tag.

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
    *,
    tree: Tree | None = None,
) -> TravelMetrics:
    """All travel metrics of a window's acts for core C (``tree``: :func:`travel_tree` of
    the same acts and core, when the caller has it).

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
    dist = tree[0] if tree is not None else travel_distances(acts, C)
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
        travel_distance=dict(dist),
    )


__all__ = [
    "Act",
    "TravelMetrics",
    "engaged",
    "travel_bridges",
    "travel_distances",
    "travel_metrics",
    "travel_tree",
]
