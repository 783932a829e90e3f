"""The conversations that travelled farthest, as small trees for the report (pure).

A week's conversation is its reply/quote tree (:mod:`echochamber.graph.conversations`) with
the week's boosts hung under the posts they boost.  Each account carries its travel distance
(:func:`echochamber.metrics.travel.travel_distances`), so a tree shows how far the people in
it were from the core.  See ``docs/metrics.md`` ("Conversations that travelled farthest").
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

from echochamber.graph.conversations import ConversationTree
from echochamber.models.reporting import ConversationView, TreeNode

_Key = tuple[str, Hashable, int]  # ("post", uri, 0) or ("boost", uri, i)


def farthest_conversations(
    trees: Sequence[ConversationTree],
    boosts: Iterable[tuple[Hashable, Hashable]],
    distance: Mapping[Hashable, int],
    core: Iterable[Hashable],
    handle_of: Mapping[Hashable, str | None],
    *,
    top: int = 5,
    max_nodes: int = 15,
) -> list[ConversationView]:
    """The ``top`` conversations whose accounts were farthest from the core, each as a tree of
    at most ``max_nodes`` posts and boosts.

    The core's conversations (rooted in a core member's post) come first; within each group a
    conversation ranks by the largest travel distance among its accounts (post authors and
    boosters), then by its outsiders, then by its posts, then by its root URI; conversations
    that reached no outsider (no account at distance 1 or more) are left out.  ``boosts`` are
    ``(post, booster)`` pairs.  A tree keeps the path from the root to its farthest account,
    then fills up breadth-first; what is left out is counted in the parent's ``more``.

    Examples
    --------
    >>> from echochamber.graph.conversations import build_trees
    >>> t = build_trees([("r", None, "c", "root"), ("a", "r", "x", "reply"),
    ...                  ("b", "a", "y", "quote")])
    >>> [v] = farthest_conversations(t, [("b", "z")], {"c": 0, "x": 1, "y": 2, "z": 3},
    ...                              {"c"}, {"c": "core@s", "x": "x@s", "y": "y@s"})
    >>> v.farthest, v.posts, v.boosts, v.outsiders
    (3, 3, 1, 3)
    >>> n = v.root
    >>> while n.children:
    ...     print(n.kind, n.handle, n.depth, n.core, n.distance)
    ...     n = n.children[0]
    root core@s 0 True 0
    reply x@s 1 False 1
    quote y@s 2 False 2
    >>> n.kind, n.handle, n.depth, n.distance
    ('boost', None, 3, 3)
    """
    C = frozenset(core)
    by_post: dict[Hashable, list[Hashable]] = {}
    for post, actor in boosts:
        by_post.setdefault(post, []).append(actor)
    ranked = []
    for t in trees:
        boosters = [a for p in t.author for a in by_post.get(p, ())]
        accounts = set(t.author.values()) | set(boosters)
        far = [distance[a] for a in accounts if a not in C and a in distance]
        if not far or max(far) < 1:
            continue
        outsiders = sum(a not in C for a in accounts)
        outside_root = t.author[t.root] not in C
        ranked.append(
            (outside_root, -max(far), -outsiders, -len(t.author), str(t.root), t, len(boosters))
        )
    ranked.sort(key=lambda r: r[:5])
    out = []
    for _, neg_far, neg_out, neg_posts, _, t, n_boosts in ranked[:top]:
        root = _draw(t, by_post, distance, C, handle_of, max_nodes)
        out.append(ConversationView(str(t.root), root, -neg_posts, n_boosts, -neg_out, -neg_far))
    return out


def _draw(
    t: ConversationTree,
    by_post: Mapping[Hashable, list[Hashable]],
    distance: Mapping[Hashable, int],
    C: frozenset[Hashable],
    handle_of: Mapping[Hashable, str | None],
    limit: int,
) -> TreeNode:
    """The tree of ``t`` (boosts as leaves) cut to ``limit`` nodes."""
    kids: dict[_Key, list[_Key]] = {}
    parent: dict[_Key, _Key] = {}
    account: dict[_Key, Hashable] = {}
    kind: dict[_Key, str] = {}
    for p, a in t.author.items():
        key: _Key = ("post", p, 0)
        account[key], kind[key] = a, t.kind.get(p, "reply") if p != t.root else "root"
        for i, b in enumerate(by_post.get(p, ())):
            bk: _Key = ("boost", p, i)
            account[bk], kind[bk] = b, "boost"
            parent[bk] = key
    for c, p in t.parent.items():
        parent[("post", c, 0)] = ("post", p, 0)
    for c, p in parent.items():
        kids.setdefault(p, []).append(c)
    for v in kids.values():
        v.sort(key=lambda k: (k[0] == "boost", str(k[1]), k[2]))
    root: _Key = ("post", t.root, 0)
    order, depth = [root], {root: 0}
    for k in order:  # breadth-first; the list grows as it is read
        for c in kids.get(k, ()):
            depth[c] = depth[k] + 1
            order.append(c)
    size = dict.fromkeys(order, 1)
    for k in reversed(order[1:]):
        size[parent[k]] += size[k]

    def far(k: _Key) -> tuple[int, int]:
        a = account[k]
        return (distance.get(a, -1) if a not in C else 0, depth[k])

    chosen: set[_Key] = set()
    path, node = [], max(order, key=far)
    while True:
        path.append(node)
        if node == root:
            break
        node = parent[node]
    chosen.update(reversed(path[-limit:]) if len(path) > limit else path)
    for k in order:
        if len(chosen) >= limit:
            break
        if k == root or parent[k] in chosen:
            chosen.add(k)

    def build(k: _Key) -> TreeNode:
        shown = [c for c in kids.get(k, ()) if c in chosen]
        hidden = sum(size[c] for c in kids.get(k, ()) if c not in chosen)
        a = account[k]
        return TreeNode(
            handle=handle_of.get(a),
            kind=kind[k],
            depth=depth[k],
            core=a in C,
            distance=0 if a in C else distance.get(a),
            children=tuple(build(c) for c in shown),
            more=hidden,
        )

    return build(root)
