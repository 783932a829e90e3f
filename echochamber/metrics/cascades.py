"""Cascades: reply/quote trees rooted at core posts, and how far they escape the core."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from echochamber.graph.conversations import (
    ConversationTree,
    structural_virality,
    tree_depth,
    tree_size,
)
from echochamber.models import Node


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation; ``None`` for no values.

    Examples
    --------
    >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 90)
    (2.5, 3.7)
    """
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def cascade_stats(trees: Iterable[ConversationTree], core: Iterable[Node]) -> dict[str, Any]:
    r"""Statistics of the conversations rooted at core posts.

    ``cascades``: their number; ``escaped_share``: the share with at least one participant
    outside the core; ``cascade_size_p50/p90`` (posts), ``cascade_depth_p50/p90`` (hops) and
    ``structural_virality_p50/p90`` (mean pairwise distance ν, ≈2 for a broadcast, larger for
    person-to-person spread).

    References
    ----------
    Goel, Anderson, Hofman & Watts (2016), "The structural virality of online diffusion",
    Management Science 62(1).

    Examples
    --------
    >>> from echochamber.graph.conversations import build_trees
    >>> ts = build_trees([(1, None, "c", "root"), (2, 1, "x", "reply"), (3, None, "c", "root"),
    ...                   (4, None, "x", "root")])
    >>> s = cascade_stats(ts, {"c"})
    >>> s["cascades"], s["escaped_share"], s["cascade_size_p50"]
    (2, 0.5, 1.5)
    """
    C = set(core)
    rooted = [t for t in trees if t.author[t.root] in C]
    sizes = [float(tree_size(t)) for t in rooted]
    depths = [float(tree_depth(t)) for t in rooted]
    nus = [structural_virality(t) for t in rooted]
    escaped = sum(1 for t in rooted if any(a not in C for a in t.author.values()))
    out: dict[str, Any] = {
        "cascades": len(rooted),
        "escaped_share": escaped / len(rooted) if rooted else None,
    }
    for name, vals in (
        ("cascade_size", sizes),
        ("cascade_depth", depths),
        ("structural_virality", nus),
    ):
        out[f"{name}_p50"] = percentile(vals, 50)
        out[f"{name}_p90"] = percentile(vals, 90)
    return out
