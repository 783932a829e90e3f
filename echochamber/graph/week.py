"""A community week's graph with everything the metrics and the queries need, from store rows.

The week is its conversations (every post of a conversation rooted in the window, read by
:func:`echochamber.store.week_rows`) and the ties anchored on them.  Reply-all mentions are
dropped here (:mod:`echochamber.graph.hygiene`); linked identities (``same``) become one node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from echochamber.graph.acts import Act
from echochamber.graph.conversations import ConversationTree, build_trees
from echochamber.graph.hygiene import replyall
from echochamber.graph.net import Net, net_from_arcs
from echochamber.models import KINDS, WeekRows, Window

if TYPE_CHECKING:  # networkx loads only where a graph is drawn from it
    import networkx as nx


@dataclass(frozen=True)
class WeekGraph:
    """A window's graph, its core, account facts, tagged posts and conversation trees.

    ``acts`` are the week's ties with their times and conversations (reply-all mentions
    dropped); ``posts`` the conversation posts as ``(author, conversation)``;
    ``thread_author`` each conversation's root author; ``replyall`` how many mention ties
    hygiene dropped.
    """

    window: Window
    scope: str
    net: Net
    core: frozenset[int]
    info: Mapping[int, Mapping[str, Any]]
    tagged_posts: Mapping[int, int]
    trees: tuple[ConversationTree, ...]
    tree_uri: Mapping[str, int]
    acts: tuple[Act, ...] = ()
    posts: tuple[tuple[int, int], ...] = ()
    thread_author: Mapping[Hashable, int] = field(default_factory=dict)
    replyall: int = 0

    @cached_property
    def G(self) -> nx.DiGraph:
        """The week's graph as a networkx DiGraph (queries and exports; built on first use)."""
        return self.net.to_networkx()


@dataclass(frozen=True)
class WeekParts:
    """What :func:`assemble_week` builds (the pipeline adds the roster and account facts)."""

    net: Net
    acts: tuple[Act, ...]
    posts: tuple[tuple[int, int], ...]
    thread_author: dict[Hashable, int]
    tagged: dict[int, int]
    trees: tuple[ConversationTree, ...]
    tree_uri: dict[str, int]
    replyall: int


def assemble_week(
    rows: WeekRows,
    *,
    same: Mapping[int, int],
    handles: Mapping[int, str | None],
    weights: Mapping[str, float] | None = None,
) -> WeekParts:
    """Drop reply-all mentions, merge linked identities, build the acts, graph and trees.

    A mention of the account its post replies to stays an act but adds no graph weight (it
    counts once, as the reply).  Self-ties (also those made by merging) are dropped.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from echochamber.models import WeekPost, WeekTie
    >>> t = datetime(2026, 1, 6, tzinfo=UTC)
    >>> posts = [WeekPost(1, "r", None, "root", 1, t, True, 1, None, None),
    ...          WeekPost(2, "x", 1, "reply", 2, t, False, 1, 1, "r")]
    >>> ties = [WeekTie("reply", 2, 1, t, t, 2, False), WeekTie("mention", 2, 1, t, None, 2, True),
    ...         WeekTie("boost", 3, 1, t, t, 1, False)]
    >>> w = assemble_week(WeekRows(posts, ties, {2: "@one hi"}, {}), same={3: 2},
    ...                   handles={1: "one@x"})
    >>> w.net.nodes, w.net.weight.tolist(), w.replyall, w.tagged, len(w.acts)
    ((1, 2), [2.0], 1, {1: 1}, 2)
    """
    dropped = replyall(rows.posts, rows.ties, rows.texts, handles)
    root_of = {p.post_id: p.root for p in rows.posts}
    author = {p.post_id: same.get(p.author_id, p.author_id) for p in rows.posts}
    acts: list[Act] = []
    edges: Counter[tuple[int, int, str]] = Counter()
    via: Counter[tuple[int, int, str]] = Counter()
    for i, t in enumerate(rows.ties):
        a, b = same.get(t.actor_id, t.actor_id), same.get(t.target_id, t.target_id)
        if i in dropped or a == b:
            continue
        thread = root_of[t.anchor]
        acts.append(Act(a, t.kind, b, t.target_at, t.at, thread, not t.via_reply, t.anchor))
        edges[(a, b, t.kind)] += 1
        via[(a, b, t.kind)] += int(t.via_reply and t.kind == "mention")
    net = week_net(edges, via, weights)
    uri = {p.post_id: p.uri for p in rows.posts}
    trees = build_trees(
        (p.uri, uri[p.parent] if p.parent is not None else None, author[p.post_id], p.kind)
        for p in rows.posts
    )
    tagged: Counter[int] = Counter(author[p.post_id] for p in rows.posts if p.tagged)
    return WeekParts(
        net=net,
        acts=tuple(acts),
        posts=tuple((author[p.post_id], p.root) for p in rows.posts),
        thread_author={p.post_id: author[p.post_id] for p in rows.posts if p.post_id == p.root},
        tagged=dict(tagged),
        trees=tuple(trees),
        tree_uri={p.uri: p.post_id for p in rows.posts},
        replyall=len(dropped),
    )


def week_net(
    edges: Mapping[tuple[int, int, str], int],
    via: Mapping[tuple[int, int, str], int],
    weights: Mapping[str, float] | None = None,
) -> Net:
    """The compact graph of the week from per-(actor, target, kind) counts (self-ties dropped):
    each pair's per-kind counts and ``weight = sum_k w_k n_k - w_mention n_via_reply``, as in
    :func:`echochamber.graph.build.build_graph`.

    >>> net = week_net({(2, 1, "reply"): 2, (2, 1, "mention"): 2}, {(2, 1, "mention"): 1})
    >>> net.counts.tolist(), net.weight.tolist()
    ([[2, 2, 0, 0, 0]], [3.0])
    """
    w: dict[str, float] = {k: 1.0 for k in KINDS}
    if weights:
        w.update({k: float(v) for k, v in weights.items() if k in w})
    slot: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
    acc: dict[tuple[int, int], list[float]] = {}
    for (a, b, kind), n in edges.items():
        if a == b:
            continue
        row = acc.get((a, b))
        if row is None:
            row = acc[(a, b)] = [0, 0, 0, 0, 0, 0.0]
        row[slot[kind]] += n
        row[5] += w[kind] * n - (
            w["mention"] * via.get((a, b, kind), 0) if kind == "mention" else 0
        )
    return net_from_arcs([(a, b, r[:5], r[5]) for (a, b), r in acc.items()])


def merged(ids: Iterable[int], same: Mapping[int, int]) -> frozenset[int]:
    """Account ids with linked identities replaced by their representative.

    >>> sorted(merged([1, 2, 3], {3: 2}))
    [1, 2]
    """
    return frozenset(same.get(i, i) for i in ids)
