"""A deterministic ring layout of a week's map: the core at the centre, outsiders on rings.

Pure: numpy only, no I/O, no clock.  Ring 0 is the core (a disc of radius 1); ring ``k`` holds
the accounts at travel distance ``k`` (``RINGS`` names them: 1, 2, 3+ and "not reached"), a
band around radius ``k + 1``.  Within a ring accounts follow their neighbours further in (the
circular mean of their angles), so ties between rings stay short; the core is ordered by
group (community) so each group is one slice.  Cost O(nodes log nodes + edges).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

RINGS: tuple[str, ...] = ("core", "1 step", "2 steps", "3+ steps", "not reached")
UNREACHED = len(RINGS) - 1
BAND = 0.35  # half the width of a ring's band, in units of the ring step
MIN_GAP = 0.02  # the arc (in radius units) between neighbours on one row of a crowded ring
ARC = 0.3  # the arc between neighbours on a sparse ring

Floats = npt.NDArray[np.float64]


def ring_of(is_core: bool, distance: int | None) -> int:
    """The ring an account is drawn on: 0 the core, 1-3 its travel distance (3 is 3+),
    :data:`UNREACHED` when its content chain never reached it.

    >>> ring_of(True, 0), ring_of(False, 1), ring_of(False, 5), ring_of(False, None)
    (0, 1, 3, 4)
    """
    if is_core:
        return 0
    if distance is None:
        return UNREACHED
    return max(1, min(int(distance), 3))


def ring_radius(ring: int) -> float:
    """The radius of a ring's centre line: the core disc has radius 1, ring k sits at k + 1.

    >>> [ring_radius(k) for k in range(5)]
    [0.0, 2.0, 3.0, 4.0, 5.0]
    """
    return 0.0 if ring == 0 else float(ring + 1)


def ring_layout(
    rings: Sequence[int] | npt.NDArray[np.int_],
    sources: Sequence[int] | npt.NDArray[np.int_],
    targets: Sequence[int] | npt.NDArray[np.int_],
    groups: Sequence[int] | npt.NDArray[np.int_] | None = None,
    *,
    seed: int = 0,
) -> tuple[Floats, Floats]:
    """Positions ``(x, y)`` of nodes ``0..n-1`` given their rings and ties.

    Parameters
    ----------
    rings : node -> ring (0 core, 1, 2, 3 for 3+, 4 not reached), see :func:`ring_of`
    sources, targets : the ties as node indices (direction is ignored)
    groups : node -> group (a community); orders the core, then breaks ties on a ring
    seed : the only source of randomness (tie-breaks and the core's radii)

    Returns
    -------
    x, y : float arrays.  A core node lies within radius 1; a node of ring k >= 1 within
    ``k + 1 ± BAND``.  A node of ring k wants the circular mean angle ``atan2(Σ sin θ_v,
    Σ cos θ_v)`` of its neighbours v on inner rings (else of its same-ring neighbours' wanted
    angles, else a seeded random angle).  Sorted by that angle, nodes keep it when they are at
    least ``ARC / r`` apart and are pushed apart as little as possible when not; a ring too
    full for that is spread evenly, turned to the wanted angles.  A crowded ring is split
    into rows of at most ``2 pi r / MIN_GAP`` nodes, interleaved.

    Examples
    --------
    Two core members, one outsider replying to core member 0, one boosting that outsider:

    >>> x, y = ring_layout([0, 0, 1, 2], [2, 3], [0, 2], seed=1)
    >>> [round(float(math.hypot(a, b)), 3) for a, b in zip(x, y)][2:]
    [2.0, 3.0]
    >>> a = [round(math.atan2(b, a), 6) for a, b in zip(x, y)]
    >>> a[0] == a[2] == a[3]
    True
    """
    ring = np.asarray(rings, dtype=np.int64)
    n = len(ring)
    src = np.asarray(sources, dtype=np.int64)
    dst = np.asarray(targets, dtype=np.int64)
    group = np.zeros(n, np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    rng = np.random.default_rng(seed)
    tiebreak = rng.random(n)
    spread = rng.random(n)
    random_angle = rng.random(n) * 2 * math.pi
    angle = np.zeros(n)
    radius = np.zeros(n)
    # both directions of every tie: (node, neighbour)
    a_end = np.concatenate([src, dst])
    b_end = np.concatenate([dst, src])
    core = np.flatnonzero(ring == 0)
    if len(core):
        order = core[np.lexsort((tiebreak[core], group[core]))]
        angle[order] = 2 * math.pi * (np.arange(len(order)) + 0.5) / len(order)
        # a filled disc, each group a slice: radius spread over [0.3, 1] by sqrt (even area)
        radius[order] = np.sqrt(0.09 + 0.91 * spread[order]) if len(order) > 1 else 0.0
    for k in range(1, int(ring.max(initial=0)) + 1):
        members = np.flatnonzero(ring == k)
        if not len(members):
            continue
        m = len(members)
        r = ring_radius(k)
        want = _wanted(k, members, ring, angle, a_end, b_end, random_angle[members])
        order = np.lexsort((tiebreak[members], group[members], want))
        placed = members[order]
        rows = max(1, math.ceil(m * MIN_GAP / (2 * math.pi * r)))
        angle[placed] = _spread(want[order], min(2 * math.pi / m, ARC / r / rows))
        row = np.arange(m) % rows
        offset = (row + 0.5) / rows * 2 * BAND - BAND if rows > 1 else np.zeros(m)
        radius[placed] = r + offset
    return radius * np.cos(angle), radius * np.sin(angle)


def _wanted(
    k: int,
    members: npt.NDArray[np.int64],
    ring: npt.NDArray[np.int64],
    angle: Floats,
    a_end: npt.NDArray[np.int64],
    b_end: npt.NDArray[np.int64],
    fallback: Floats,
) -> Floats:
    """Each member's wanted angle: the circular mean of its inner neighbours' angles; else
    of its same-ring neighbours' wanted angles; else ``fallback``."""
    n = len(ring)

    def mean_of(node: npt.NDArray[np.int64], theta: Floats) -> tuple[Any, Any]:
        cs = np.bincount(node, weights=np.cos(theta), minlength=n)[members]
        sn = np.bincount(node, weights=np.sin(theta), minlength=n)[members]
        return np.arctan2(sn, cs), np.bincount(node, minlength=n)[members] > 0

    inner = (ring[a_end] == k) & (ring[b_end] < k)
    first, has = mean_of(a_end[inner], angle[b_end[inner]])
    full = np.full(n, np.nan)
    full[members] = np.where(has, first, np.nan)
    same = (ring[a_end] == k) & (ring[b_end] == k) & ~np.isnan(full[b_end])
    second, near = mean_of(a_end[same], full[b_end[same]])
    want = np.where(has, first, np.where(near, second, fallback))
    return np.asarray(want % (2 * math.pi), dtype=np.float64)


def _spread(want: Floats, gap: float) -> Floats:
    """Sorted wanted angles moved apart to at least ``gap``, as little as possible:
    ``a_i = i gap + max_{j <= i}(w_j - j gap)``, then shifted back by the mean push.  When
    they cannot fit in one turn they are spread evenly, turned to the wanted angles."""
    m = len(want)
    i = np.arange(m)
    if m * gap < 2 * math.pi - gap:
        a = i * gap + np.maximum.accumulate(want - i * gap)
        return np.asarray(a - (a - want).mean() / 2, dtype=np.float64)
    base = 2 * math.pi * (i + 0.5) / m
    d = want - base
    turn = math.atan2(float(np.sin(d).sum()), float(np.cos(d).sum()))
    return np.asarray(base + turn, dtype=np.float64)


__all__ = ["BAND", "RINGS", "UNREACHED", "ring_layout", "ring_of", "ring_radius"]
