"""Roster sensitivity: the headline keys recomputed with other rosters on the same week.

The roster is a modelling choice (``docs/metrics.md``, "Sensitivity"): E-I changed sign
with the roster size on the same data in the first edition.  The pipeline builds the other
rosters (size x0.5, x1.5, x2 and the other automatic policy); this module recomputes the
headline keys for each on the week's acts and graph, nothing else.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from echochamber.graph.acts import Act
from echochamber.metrics.travel import travel_metrics
from tests.reference.boundary import ei_index

HEADLINE_KEYS = (
    "engaged_outside_share",
    "outsiders_reached",
    "mean_travel",
    "core_outbound_share",
    "core_mentions_outward",
    "ei_index",
)


def headline(
    acts: Sequence[Act],
    thread_author: Mapping[Hashable, Hashable],
    G: nx.DiGraph,
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
    >>> from datetime import datetime
    >>> t = lambda h: datetime(2024, 1, 1, h)
    >>> acts = [Act("a", "reply", "c", t(1), t(2), 1), Act("c", "reply", "d", t(1), t(3), 1)]
    >>> G = nx.DiGraph([("a", "c", {"weight": 1.0}), ("c", "d", {"weight": 1.0})])
    >>> h = headline(acts, {1: "c"}, G, {"c", "d"})
    >>> h["core_size"], h["engaged_outside_share"], h["ei_index"]
    (2, 0.5, 0.0)
    """
    C = frozenset(core)
    m = travel_metrics(acts, C, thread_author).as_dict()
    out = {k: m[k] for k in HEADLINE_KEYS if k in m}
    out["ei_index"] = ei_index(G, C)
    out["core_size"] = len(C)
    return out


def sensitivity(
    acts: Sequence[Act],
    thread_author: Mapping[Hashable, Hashable],
    G: nx.DiGraph,
    rosters: Mapping[str, Iterable[Hashable]],
) -> dict[str, dict[str, Any]]:
    """``{"size:50": {...}, "policy:kcore": {...}, ...}``: the headline keys per roster.

    >>> from datetime import datetime
    >>> acts = [Act("a", "reply", "c", datetime(2024, 1, 1, 1), datetime(2024, 1, 1, 2), 1)]
    >>> G = nx.DiGraph([("a", "c", {"weight": 1.0})])
    >>> s = sensitivity(acts, {1: "c"}, G, {"size:1": {"c"}, "size:2": {"a", "c"}})
    >>> s["size:1"]["outsiders_reached"], s["size:2"]["outsiders_reached"]
    (1, 0)
    """
    return {name: headline(acts, thread_author, G, core) for name, core in rosters.items()}
