"""One week's metrics (``docs/metrics.md``) from the week's graph, acts, roster and posts.

The second edition adds the travel keys (:mod:`echochamber.metrics.travel`) on time-respecting
chains of acts, computes ``hop_profile``/``mean_hop`` on the same chains, and counts Mastodon
servers only in ``instances``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from echochamber.graph.acts import Act
from echochamber.graph.conversations import ConversationTree
from echochamber.graph.core import roster_jaccard
from echochamber.graph.net import Net, as_net
from echochamber.metrics import EDITION
from echochamber.metrics.audience import instance_count, potential_impressions, voices
from echochamber.metrics.boundary import conductance, ei_index, node_expansion, openness
from echochamber.metrics.cascades import cascade_stats
from echochamber.metrics.communities import community_stats
from echochamber.metrics.mixing import core_assortativity, gini, top_share
from echochamber.metrics.nulls import null_models
from echochamber.metrics.reach import bridges, hop_distances
from echochamber.metrics.travel import travel_metrics
from echochamber.models import Node

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx

__all__ = ["EDITION", "SnapshotInput", "bridges", "hop_distances", "snapshot"]


@dataclass(frozen=True)
class SnapshotInput:
    """Everything a week's snapshot needs; the caller reads it from the store.

    ``G`` is the week's compact graph (a networkx DiGraph is converted); ``travel``, when
    given, is :func:`~echochamber.metrics.travel.travel_tree` of the acts and the core,
    computed once and shared with the details.
    """

    G: nx.DiGraph | Net
    core: frozenset[Node]
    tagged_posts_by_author: Mapping[Node, int] = field(default_factory=dict)
    conversation_posts_by_author: Mapping[Node, int] = field(default_factory=dict)
    trees: Sequence[ConversationTree] = ()
    followers: Mapping[Node, int] = field(default_factory=dict)
    seen_before: frozenset[Node] = frozenset()
    first_seen_in_window: frozenset[Node] = frozenset()
    server_of: Mapping[Node, str | None] = field(default_factory=dict)
    previous_core: frozenset[Node] | None = None
    acts: Sequence[Act] = ()
    thread_author: Mapping[Hashable, Node] = field(default_factory=dict)
    platform_of: Mapping[Node, str | None] = field(default_factory=dict)
    replyall: int = 0
    travel: tuple[Mapping[Node, int], Mapping[Node, frozenset[Node]]] | None = None


def participants_of(inp: SnapshotInput) -> set[Node]:
    """The accounts that acted in the window (an out-tie in G) or wrote a post counted in it:
    the one definition of *participant* (``core_active`` and ``graph core``'s active)."""
    net = as_net(inp.G)
    actors = {net.nodes[i] for i in np.unique(net.src).tolist()}
    tagged = {a for a, n in inp.tagged_posts_by_author.items() if n > 0}
    conv = {a for a, n in inp.conversation_posts_by_author.items() if n > 0}
    return actors | tagged | conv


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def snapshot(inp: SnapshotInput, *, null_samples: int = 100, seed: int = 0) -> dict[str, Any]:
    """Every metric of ``docs/metrics.md``, JSON-safe (``None`` where undefined, never NaN).

    Participants are the accounts that acted in the window (an out-tie in G) or wrote a post
    counted in it; an account that was only acted upon is in G but did not participate.

    Examples
    --------
    >>> s = snapshot(SnapshotInput(G=nx.DiGraph(), core=frozenset()), null_samples=0)
    >>> s["participants"], s["ei_index"], s["hop_profile"], s["engaged_outside_share"]
    (0, None, {'1': 0, '2': 0, '3+': 0, 'unreached': 0}, None)
    """
    G, C = as_net(inp.G), set(inp.core)
    tagged = {a: n for a, n in inp.tagged_posts_by_author.items() if n > 0}
    conv = {a: n for a, n in inp.conversation_posts_by_author.items() if n > 0}
    participants = participants_of(inp)
    outside = participants - C
    conv_total = sum(conv.values())
    conv_outside = sum(n for a, n in conv.items() if a not in C)
    in_open, out_open = openness(G, C)
    touched, expansion = node_expansion(G, {c for c in C if c in G.index})
    new, returning = voices(participants, C, inp.first_seen_in_window, inp.seen_before)
    travel = travel_metrics(inp.acts, C, inp.thread_author, tree=inp.travel)
    reached = {u: d for u, d in travel.travel_distance.items() if u not in C}
    hops = {"1": 0, "2": 0, "3+": 0, "unreached": 0}
    for n in outside:
        d = reached.get(n)
        hops["unreached" if d is None else "1" if d == 1 else "2" if d == 2 else "3+"] += 1
    m: dict[str, Any] = {
        "posts": sum(tagged.values()),
        "conversation_posts": conv_total,
        "participants": len(participants),
        "core_size": len(C),
        "core_active": len(C & participants),
        "outside_participants": len(outside),
        "outside_share": _share(len(outside), len(participants)),
        "outside_post_share": _share(conv_outside, conv_total),
        "top10_share": top_share(tagged, 10),
        "gini_posts": gini(tagged.values()),
        "ei_index": ei_index(G, C),
        "in_openness": in_open,
        "out_openness": out_open,
        "conductance": conductance(G, C),
        "outsiders_touched": touched,
        "node_expansion": _share(touched, len(C)),
        "hop_profile": hops,
        "mean_hop": travel.mean_travel,
        "core_assortativity": core_assortativity(G, C),
        "potential_impressions": potential_impressions(tagged, inp.followers),
        "outside_impressions": potential_impressions(tagged, inp.followers, only=outside),
        "new_voices": new,
        "returning_voices": returning,
        "instances": instance_count(participants, inp.server_of, inp.platform_of),
        "roster_jaccard": roster_jaccard(C, inp.previous_core),
        **travel.as_dict(),
        "mentions_dropped_replyall": inp.replyall,
        "edition": EDITION,
    }
    del expansion
    m.update(cascade_stats(inp.trees, C))
    m.update(community_stats(G, C, seed=seed))
    m.update(
        null_models(
            G,
            C,
            samples=null_samples,
            seed=seed,
            observed={k: m[k] for k in ("ei_index", "conductance", "core_assortativity")},
        )
    )
    return m
