"""The travel chain search for many weightings of the conversations at once (numpy).

:func:`~echochamber.metrics.travel.travel_distances` follows one window's acts in Python.  The
intervals need the same search with some conversations left out (the jackknife) or drawn
several times (the bootstrap): :func:`encode_chains` turns the acts into arrays once, and
:func:`chain_batch` runs the level-by-level search for every row of a unit-weight matrix
together, looking at each level only at the steps whose target changed at the level before.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from echochamber.graph.acts import PASSING, TRAVEL, Act

CELLS = 4_000_000  # rows x steps held at once


@dataclass(frozen=True)
class Chains:
    """The outsiders' travel acts as arrays, sorted by actor node: ``unit`` (conversation
    index), ``target`` node, ``target_at`` and ``at`` (microseconds; ``target_at`` is -inf when
    unknown), ``passes`` (reply/quote/boost) and ``actor`` node.  Nodes ``0 .. n_core - 1``
    are the core."""

    n_nodes: int
    n_core: int
    unit: np.ndarray
    target: np.ndarray
    target_at: np.ndarray
    at: np.ndarray
    passes: np.ndarray
    actor: np.ndarray


def encode_chains(acts: Sequence[Act], core: Iterable[Hashable], units: Sequence[int]) -> Chains:
    """Arrays of the outsiders' travel acts; ``units[i]`` is the conversation index of act i.

    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> ch = encode_chains([Act("a", "reply", "c", t(1), t(2)), Act("c", "boost", "a", t(2), t(3))],
    ...                    {"c"}, [0, 0])
    >>> ch.n_nodes, ch.n_core, ch.actor.tolist()
    (2, 1, [1])
    """
    C = frozenset(core)
    node: dict[Hashable, int] = {c: i for i, c in enumerate(sorted(C, key=str))}
    ref, micro = (acts[0].at if acts else datetime.min), timedelta(microseconds=1)
    rows: list[tuple[int, int, int, float, float, bool]] = []
    for a, u in zip(acts, units, strict=True):
        if a.kind in TRAVEL and a.actor not in C:
            tat = -np.inf if a.target_at is None else (a.target_at - ref) / micro
            v, w = node.setdefault(a.actor, len(node)), node.setdefault(a.target, len(node))
            rows.append((v, u, w, tat, (a.at - ref) / micro, a.kind in PASSING))
    rows.sort(key=lambda r: r[0])
    cols = np.array(rows, dtype=float).reshape(-1, 6).T  # node indices < 2**53: exact
    actor, unit, target = cols[:3].astype(np.int64)
    return Chains(len(node), len(C), unit, target, cols[3], cols[4], cols[5] > 0, actor)


def chain_batch(ch: Chains, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(reached, distance sum)`` of the outsiders for each row of unit weights ``W``.

    A unit with weight 0 is left out; any positive weight keeps it (a conversation drawn twice
    adds no new chain).  Level k keeps ``E``, the earliest time each node can pass content on
    within k steps, and ``D``, the level at which each node was first reached.

    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(1), t(2)), Act("b", "boost", "a", t(3), t(4))]
    >>> ch = encode_chains(acts, {"c"}, [0, 1])
    >>> [x.tolist() for x in chain_batch(ch, np.array([[1, 1], [1, 0], [0, 1]]))]
    [[2, 1, 0], [3, 1, 0]]
    """
    R = W.shape[0]
    drawn = W > 0
    E = np.full((R, ch.n_nodes), np.inf)
    E[:, : ch.n_core] = -np.inf
    D = np.zeros((R, ch.n_nodes), dtype=np.int64)  # 0 = core or unreached
    changed = np.arange(ch.n_nodes) < ch.n_core  # nodes whose E changed at the last level
    for k in range(1, ch.n_nodes + 2):  # an earliest chain need not revisit a node
        sel = np.flatnonzero(changed[ch.target])  # other steps would repeat their last outcome
        if not len(sel):
            break
        actor = ch.actor[sel]
        ok = drawn[:, ch.unit[sel]] & (E[:, ch.target[sel]] <= ch.target_at[sel])
        starts = np.flatnonzero(np.r_[True, actor[1:] != actor[:-1]])
        reached = np.logical_or.reduceat(ok, starts, axis=1)
        best = np.minimum.reduceat(np.where(ok & ch.passes[sel], ch.at[sel], np.inf), starts, 1)
        nodes = actor[starts]
        d, old = D[:, nodes], E[:, nodes]
        D[:, nodes] = np.where(reached & (d == 0), k, d)
        E[:, nodes] = np.minimum(old, best)
        changed = np.isin(np.arange(ch.n_nodes), nodes[(best < old).any(axis=0)])
    return (D > 0).sum(axis=1), D.sum(axis=1)


def chain_rows(ch: Chains, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`chain_batch` over ``W`` in chunks that keep memory bounded."""
    chunk = max(1, CELLS // max(1, len(ch.unit), ch.n_nodes, W.shape[1]))
    parts = [chain_batch(ch, W[i : i + chunk]) for i in range(0, W.shape[0], chunk)]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
