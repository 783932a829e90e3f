"""Roster sensitivity: the headline keys recomputed with other rosters on the same week.

The roster is a modelling choice (``docs/metrics.md``, "Sensitivity"): E-I changed sign
with the roster size on the same data in the first edition.  The pipeline builds the other
rosters (size x0.5, x1.5, x2 and the other automatic policy); this module recomputes the
headline keys for each on the week's acts and graph, nothing else.  The acts are encoded as
arrays once (:class:`ActArrays`); each roster is then a boolean mask over the accounts, and
its chain search runs on the arrays (:func:`~echochamber.metrics.travel_batch.chain_batch`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from echochamber.graph.acts import PASSING, TRAVEL, Act
from echochamber.graph.net import Net, as_net
from echochamber.metrics.boundary import ei_index
from echochamber.metrics.travel_batch import Chains, chain_batch

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx

HEADLINE_KEYS = (
    "engaged_outside_share",
    "outsiders_reached",
    "mean_travel",
    "core_outbound_share",
    "core_mentions_outward",
    "ei_index",
)


@dataclass(frozen=True)
class ActArrays:
    """A week's acts as arrays over account indices (built once for every roster)."""

    accounts: tuple[Hashable, ...]
    actor: np.ndarray
    target: np.ndarray
    travel: np.ndarray  # reply, quote, boost, favourite
    passes: np.ndarray  # reply, quote, boost
    mention: np.ndarray
    answers: np.ndarray  # reply or quote
    root: np.ndarray  # account index of the act's conversation's root author, -1 unknown
    at: np.ndarray  # microseconds
    target_at: np.ndarray  # microseconds, -inf unknown

    @property
    def index(self) -> dict[Hashable, int]:
        return {a: i for i, a in enumerate(self.accounts)}


def act_arrays(acts: Sequence[Act], thread_author: Mapping[Hashable, Hashable]) -> ActArrays:
    """Encode the acts once.

    >>> t = datetime(2024, 1, 1)
    >>> a = act_arrays([Act("a", "reply", "c", t, t, 1)], {1: "c"})
    >>> a.accounts, a.actor.tolist(), a.root.tolist()
    (('a', 'c'), [0], [1])
    """
    idx: dict[Hashable, int] = {}
    m = len(acts)
    actor = np.fromiter((idx.setdefault(a.actor, len(idx)) for a in acts), np.int64, m)
    target = np.fromiter((idx.setdefault(a.target, len(idx)) for a in acts), np.int64, m)
    root = np.fromiter(
        (
            idx.setdefault(thread_author[a.thread], len(idx)) if a.thread in thread_author else -1
            for a in acts
        ),
        np.int64,
        m,
    )
    ref, micro = (acts[0].at if acts else datetime.min), timedelta(microseconds=1)
    at = np.fromiter(((a.at - ref) / micro for a in acts), float, m)
    target_at = np.fromiter(
        (-np.inf if a.target_at is None else (a.target_at - ref) / micro for a in acts), float, m
    )
    kind = [a.kind for a in acts]
    return ActArrays(
        tuple(idx),
        actor,
        target,
        np.fromiter((k in TRAVEL for k in kind), bool, m),
        np.fromiter((k in PASSING for k in kind), bool, m),
        np.fromiter((k == "mention" for k in kind), bool, m),
        np.fromiter((k in ("reply", "quote") for k in kind), bool, m),
        root,
        at,
        target_at,
    )


def _reach(arr: ActArrays, inside: np.ndarray) -> tuple[int, float | None]:
    """(outsiders reached, their mean travel distance) by the chain search on the arrays."""
    rows = np.flatnonzero(arr.travel & ~inside[arr.actor])
    n = len(arr.accounts)
    order = np.r_[np.flatnonzero(inside), np.flatnonzero(~inside)]  # the core first
    node = np.empty(n, dtype=np.int64)
    node[order] = np.arange(n)
    actor = node[arr.actor[rows]]
    keep = np.argsort(actor, kind="stable")
    rows, actor = rows[keep], actor[keep]
    ch = Chains(
        n,
        int(inside.sum()),
        np.zeros(len(rows), dtype=np.int64),
        node[arr.target[rows]],
        arr.target_at[rows],
        arr.at[rows],
        arr.passes[rows],
        actor,
    )
    if not len(rows):
        return 0, None
    reached, total = chain_batch(ch, np.ones((1, 1)))
    r = int(reached[0])
    return r, (float(total[0]) / r if r else None)


def headline(
    acts: Sequence[Act] | ActArrays,
    thread_author: Mapping[Hashable, Hashable],
    G: nx.DiGraph | Net,
    core: Iterable[Hashable],
) -> dict[str, Any]:
    """The headline keys of one week for roster ``core`` (with ``core_size``): the travel
    keys of :func:`~echochamber.metrics.travel.travel_metrics` and ``ei_index``.

    References
    ----------
    Salloum, Chen & Kivelä (2022) on how much structural polarisation scores owe to modelling
    choices; here the choice is the roster.

    Examples
    --------
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(1), t(2), 1), Act("c", "reply", "d", t(1), t(3), 1)]
    >>> G = nx.DiGraph([("a", "c", {"weight": 1.0}), ("c", "d", {"weight": 1.0})])
    >>> h = headline(acts, {1: "c"}, G, {"c", "d"})
    >>> h["core_size"], h["engaged_outside_share"], h["ei_index"]
    (2, 0.5, 0.0)
    """
    C = frozenset(core)
    arr = acts if isinstance(acts, ActArrays) else act_arrays(acts, thread_author)
    idx = arr.index
    inside = np.zeros(len(arr.accounts) + 1, dtype=bool)  # the last: an unknown root
    inside[[idx[c] for c in C if c in idx]] = True
    by_core, on_core = inside[arr.actor], inside[arr.target]
    eng = np.unique(arr.actor[(arr.travel & on_core) | (arr.answers & inside[arr.root])])
    core_acts = arr.travel & by_core
    outward = np.unique(arr.target[arr.mention & by_core & ~on_core])
    reached, mean = _reach(arr, inside[:-1])
    out_eng = int((~inside[eng]).sum())
    return {
        "engaged_outside_share": out_eng / len(eng) if len(eng) else None,
        "outsiders_reached": reached,
        "mean_travel": mean,
        "core_outbound_share": (
            int((core_acts & ~on_core).sum()) / int(core_acts.sum()) if core_acts.any() else None
        ),
        "core_mentions_outward": len(outward),
        "ei_index": ei_index(G, C),
        "core_size": len(C),
    }


def sensitivity(
    acts: Sequence[Act],
    thread_author: Mapping[Hashable, Hashable],
    G: nx.DiGraph | Net,
    rosters: Mapping[str, Iterable[Hashable]],
) -> dict[str, dict[str, Any]]:
    """``{"size:50": {...}, "policy:kcore": {...}, ...}``: the headline keys per roster.

    >>> acts = [Act("a", "reply", "c", datetime(2024, 1, 1, 1), datetime(2024, 1, 1, 2), 1)]
    >>> G = nx.DiGraph([("a", "c", {"weight": 1.0})])
    >>> s = sensitivity(acts, {1: "c"}, G, {"size:1": {"c"}, "size:2": {"a", "c"}})
    >>> s["size:1"]["outsiders_reached"], s["size:2"]["outsiders_reached"]
    (1, 0)
    """
    net = as_net(G)
    arr = act_arrays(acts, thread_author)
    return {name: headline(arr, thread_author, net, core) for name, core in rosters.items()}
