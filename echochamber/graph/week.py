"""A window's graph with everything the metrics and the queries need, assembled from rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx

from echochamber.graph.build import build_graph
from echochamber.graph.conversations import ConversationTree, build_trees
from echochamber.models import Window


@dataclass(frozen=True)
class WeekGraph:
    """A window's graph, its core, account facts, tagged posts and conversation trees."""

    window: Window
    scope: str
    G: nx.DiGraph
    core: frozenset[int]
    info: Mapping[int, Mapping[str, Any]]
    tagged_posts: Mapping[int, int]
    trees: tuple[ConversationTree, ...]
    tree_uri: Mapping[str, int]


def assemble_week(
    window: Window,
    scope: str,
    *,
    edges: Iterable[tuple[int, int, str, int, int]],
    core: Iterable[int],
    tagged: Mapping[int, int],
    posts: Iterable[Any],
    same: Mapping[int, int],
    weights: Mapping[str, float] | None = None,
) -> tuple[nx.DiGraph, frozenset[int], dict[int, int], list[Any], tuple[ConversationTree, ...]]:
    """Merge linked identities (``same``), build the graph and the window's conversation trees.

    Trees are built over the window's posts and the week after (late replies); a tree counts
    in the window whose root it was posted in.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> w = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
    >>> G, core, tagged, _, trees = assemble_week(
    ...     w, "all", edges=[(2, 1, "reply", 1, 0)], core=[1], tagged={1: 1, 3: 1},
    ...     posts=[], same={3: 2})
    >>> sorted(G.edges()), sorted(core), tagged
    ([(2, 1)], [1], {1: 1, 2: 1})
    """
    rows = [(same.get(a, a), same.get(t, t), k, n, v) for a, t, k, n, v in edges]
    G = build_graph(rows, weights=weights)
    merged_core = frozenset(same.get(c, c) for c in core)
    merged_tagged: dict[int, int] = {}
    for a, n in tagged.items():
        merged_tagged[same.get(a, a)] = merged_tagged.get(same.get(a, a), 0) + n
    merged_posts = [replace(p, author_id=same.get(p.author_id, p.author_id)) for p in posts]
    known = {p.uri for p in merged_posts}
    all_trees = build_trees(
        (
            p.uri,
            p.parent_uri if p.parent_uri in known else None,
            p.author_id,
            p.kind if p.parent_uri in known else "root",
        )
        for p in merged_posts
    )
    created = {p.uri: p.created_at for p in merged_posts}
    trees = tuple(t for t in all_trees if window.start <= created[t.root] < window.end)
    return G, merged_core, merged_tagged, merged_posts, trees
