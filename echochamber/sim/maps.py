"""A synthetic week map of any size, for the browser tests and ``scripts/bench.py map``.

A core of ``core`` accounts; every outsider ties to one to three accounts on the ring inside
its own (so distances are consistent), plus a few random ties; kinds drawn with the mix a
hashtag week shows (favourites and boosts most).  Seeded: the same arguments give the same map.
"""

from __future__ import annotations

import numpy as np

from echochamber.graph.layout import ring_layout
from echochamber.models import KINDS, MapEdge, MapNode, WeekMap

_KIND_MIX = {"reply": 0.2, "mention": 0.1, "boost": 0.25, "quote": 0.05, "favourite": 0.4}
_RING_MIX = (0.45, 0.25, 0.15, 0.15)  # outsiders at 1, 2, 3+ steps and not reached


def synthetic_map(nodes: int = 20_000, *, core: int = 100, seed: int = 0) -> WeekMap:
    """A map of ``nodes`` accounts (``core`` of them the core) and about 2.5 ties each.

    >>> m = synthetic_map(500, core=20, seed=1)
    >>> m.participants, sum(n.is_core for n in m.nodes), m.nodes[0].distance
    (500, 20, 0)
    """
    rng = np.random.default_rng(seed)
    core = min(core, nodes)
    rings = np.concatenate(
        [np.zeros(core, np.int64), rng.choice(4, size=nodes - core, p=_RING_MIX) + 1]
    )
    rings.sort()
    src: list[int] = []
    dst: list[int] = []
    by_ring = [np.flatnonzero(rings == k) for k in range(5)]
    for k in range(1, 5):
        members = by_ring[k]
        inner = by_ring[k - 1] if k < 4 else np.concatenate(by_ring[:4])
        if not len(members) or not len(inner):
            continue
        for j in range(3):
            pick = members if j == 0 else members[rng.random(len(members)) < 0.4]
            src.extend(pick.tolist())
            dst.extend(rng.choice(inner, size=len(pick)).tolist())
    extra = nodes // 4
    src.extend(rng.integers(0, max(core, 1), size=extra).tolist())
    dst.extend(rng.integers(0, nodes, size=extra).tolist())
    kinds = rng.choice(len(KINDS), size=len(src), p=[_KIND_MIX[k] for k in KINDS])
    seen: set[tuple[int, int, int]] = set()
    edges = []
    for s, t, k in zip(src, dst, kinds.tolist(), strict=True):
        if s != t and (s, t, k) not in seen:
            seen.add((s, t, k))
            edges.append(MapEdge(s, t, KINDS[k], int(rng.integers(1, 4))))
    x, y = ring_layout(rings, [e.source for e in edges], [e.target for e in edges], seed=seed)
    degree = np.bincount([e.source for e in edges] + [e.target for e in edges], minlength=nodes)
    activity = rng.poisson(2.0, size=nodes) + degree
    step = max(nodes // 8, 1)  # a few numbered bridges, in node order
    out = tuple(
        MapNode(
            id=i,
            handle=f"user{i}@example.social",
            is_core=bool(rings[i] == 0),
            distance=None if rings[i] == 4 else int(rings[i]),
            activity=int(activity[i]),
            ties=int(degree[i]),
            x=round(float(x[i]), 4),
            y=round(float(y[i]), 4),
            bridge=int(i // step + 1) if 0 < rings[i] < 4 and i % step == 0 else 0,
        )
        for i in range(nodes)
    )
    return WeekMap("2026-W47", "all", out, tuple(edges), title="#synthetic")
