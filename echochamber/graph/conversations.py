"""Conversation trees: replies and quotes hanging under a root post, tagged or not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from echochamber.models import Node


@dataclass(frozen=True)
class ConversationTree:
    """A reply/quote tree: ``parent`` maps each non-root post to its parent, ``author`` maps
    every post to its account, ``kind`` says how a post hangs on its parent."""

    root: Node
    parent: Mapping[Node, Node]
    author: Mapping[Node, Node]
    kind: Mapping[Node, str]

    @property
    def participants(self) -> frozenset[Node]:
        """The accounts that wrote a post of the tree."""
        return frozenset(self.author.values())


def build_trees(
    posts: Iterable[tuple[Node, Node | None, Node, str]],
) -> list[ConversationTree]:
    """Group ``(post, parent, author, kind)`` rows into trees, one per root.

    A post whose parent is ``None`` or absent from the rows is a root.  Cycles (which a
    well-formed source never has) are broken at an arbitrary post, which becomes a root.

    Examples
    --------
    >>> trees = build_trees([("r", None, "A", "root"), ("a", "r", "B", "reply"),
    ...                      ("b", "a", "C", "reply"), ("x", "gone", "D", "reply")])
    >>> sorted((t.root, len(t.author)) for t in trees)
    [('r', 3), ('x', 1)]
    """
    rows = list(posts)
    known = {p for p, _, _, _ in rows}
    parent = {p: q for p, q, _, _ in rows if q is not None and q in known and q != p}
    author = {p: a for p, _, a, _ in rows}
    kind = {p: k for p, _, _, k in rows}
    root_of: dict[Node, Node] = {}
    for p in known:
        path = [p]
        seen = {p}
        node = p
        while node in parent and node not in root_of:
            node = parent[node]
            if node in seen:  # a cycle: cut it here
                parent.pop(path[-1], None)
                node = path[-1]
                break
            seen.add(node)
            path.append(node)
        root = root_of.get(node, node)
        for q in path:
            root_of[q] = root
    members: dict[Node, list[Node]] = {}
    for p, r in root_of.items():
        members.setdefault(r, []).append(p)
    trees = []
    for r, ps in members.items():
        trees.append(
            ConversationTree(
                root=r,
                parent={p: parent[p] for p in ps if p in parent},
                author={p: author[p] for p in ps},
                kind={p: kind[p] for p in ps},
            )
        )
    return trees


def _children(tree: ConversationTree) -> dict[Node, list[Node]]:
    out: dict[Node, list[Node]] = {}
    for c, p in tree.parent.items():
        out.setdefault(p, []).append(c)
    return out


def _preorder(tree: ConversationTree) -> list[Node]:
    kids = _children(tree)
    order, stack = [], [tree.root]
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(kids.get(n, ()))
    return order


def tree_size(tree: ConversationTree) -> int:
    """Number of posts in the tree, the root included."""
    return len(tree.author)


def tree_depth(tree: ConversationTree) -> int:
    """Longest root-to-leaf path in hops (a lone root has depth 0).

    Examples
    --------
    >>> t = build_trees([("r", None, 1, "root"), ("a", "r", 2, "reply"), ("b", "r", 3, "reply"),
    ...                  ("c", "b", 4, "reply"), ("d", "c", 5, "reply"), ("e", "d", 6, "reply")])[0]
    >>> tree_depth(t)
    4
    """
    if not tree.parent:  # a lone root
        return 0
    depth = {tree.root: 0}
    for n in _preorder(tree):
        if n != tree.root:
            depth[n] = depth[tree.parent[n]] + 1
    return max(depth.values())


def wiener_index(tree: ConversationTree) -> int:
    """Sum of distances over unordered pairs of posts: sum over edges of s (n - s).

    Examples
    --------
    >>> t = build_trees([("r", None, 1, "root"), ("a", "r", 2, "reply"), ("b", "r", 3, "reply"),
    ...                  ("c", "r", 4, "reply"), ("d", "c", 5, "reply"), ("e", "d", 6, "reply")])[0]
    >>> wiener_index(t)
    32
    """
    n = tree_size(tree)
    size: dict[Node, int] = {}
    for node in reversed(_preorder(tree)):
        size[node] = size.get(node, 0) + 1
        if node in tree.parent:
            p = tree.parent[node]
            size[p] = size.get(p, 0) + size[node]
    return sum(size[c] * (n - size[c]) for c in tree.parent)


def structural_virality(tree: ConversationTree) -> float:
    r"""Structural virality: the mean distance between all pairs of posts of the tree.

    .. math:: \nu(T) = \frac{2}{n(n-1)} \sum_{i<j} d_{ij} = \frac{2W(T)}{n(n-1)}

    computed in O(n) from subtree sizes (each edge separating s posts from n - s lies on
    s (n - s) paths).  A broadcast (star) has ν = 2(n−1)/n → 2, a chain ν = (n+1)/3.

    References
    ----------
    Goel, Anderson, Hofman & Watts (2016), "The structural virality of online diffusion",
    Management Science 62(1).

    Examples
    --------
    >>> star = build_trees([(0, None, 0, "root")] + [(i, 0, i, "reply") for i in range(1, 5)])[0]
    >>> structural_virality(star)  # 2(n-1)/n with n = 5
    1.6
    >>> links = [(i, i - 1, i, "reply") for i in range(1, 5)]
    >>> chain = build_trees([(0, None, 0, "root"), *links])[0]
    >>> structural_virality(chain)  # (n+1)/3
    2.0
    >>> structural_virality(build_trees([(0, None, 0, "root")])[0])
    0.0
    """
    n = tree_size(tree)
    if n < 2:
        return 0.0
    return 2.0 * wiener_index(tree) / (n * (n - 1))
