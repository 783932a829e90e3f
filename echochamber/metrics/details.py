"""The per-account rows and ranked lists a snapshot keeps beside its metrics (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from echochamber.graph.week import WeekGraph
from echochamber.metrics.snapshot import SnapshotInput, participants_of
from echochamber.metrics.travel import travel_bridges, travel_tree
from echochamber.models import WeekDetails


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None`` and numpy scalars as Python numbers.

    >>> json_safe({"a": float("nan"), "b": (1, 2.5)})
    {'a': None, 'b': [1, 2.5]}
    """
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):
        return json_safe(value.item())
    return value


def week_details(wk: WeekGraph, inp: SnapshotInput, top: int = 10) -> WeekDetails:
    """Per-account rows, bridges, top conversations and new voices for queries and reports.

    ``hop`` is the travel distance (time-respecting chains); bridges are ranked by their
    score, then by account key, so neither depends on the order of account ids.
    """
    net, core = wk.net, wk.core
    tree = inp.travel if inp.travel is not None else travel_tree(wk.acts, core)
    hops = tree[0]
    active = participants_of(inp)  # as core_active counts them
    inside = net.mask(core)
    w, n = net.weight, net.n
    sums = {
        "out_core": np.bincount(net.src, weights=w * inside[net.dst], minlength=n),
        "out_outside": np.bincount(net.src, weights=w * ~inside[net.dst], minlength=n),
        "in_core": np.bincount(net.dst, weights=w * inside[net.src], minlength=n),
        "in_outside": np.bincount(net.dst, weights=w * ~inside[net.src], minlength=n),
    }
    cols = {k: v.tolist() for k, v in sums.items()}
    index = net.index
    nodes: dict[str, Any] = {}
    for node in set(net.nodes) | set(wk.tagged_posts) | set(core):
        i = wk.info.get(node, {})
        row: dict[str, Any] = {
            "id": node,
            "handle": i.get("handle"),
            "key": i.get("key"),
            "is_core": node in core,
            "active": node in active,
            "hop": hops.get(node),
            "posts": wk.tagged_posts.get(node, 0),
            "followers": i.get("followers", 0),
        }
        at = index.get(node)
        for k, col in cols.items():
            row[k] = col[at] if at is not None else 0
        nodes[str(node)] = row
    scores: dict[Any, float] = travel_bridges(wk.acts, core, tree)
    keys = {a: str(wk.info.get(a, {}).get("key")) for a in scores}
    ranked = sorted(scores, key=lambda a: (-round(scores[a], 9), keys[a]))
    br = [
        {
            "id": a,
            "handle": wk.info.get(a, {}).get("handle"),
            "is_core": a in core,
            "reached": round(scores[a], 2),
        }
        for a in ranked[:top]
    ]
    convs = []
    for t in wk.trees:
        authors = set(t.author.values())
        outs = sorted(a for a in authors if a not in core)
        if t.author[t.root] not in core and not outs:
            continue
        convs.append(
            {
                "uri": t.root,
                "author": wk.info.get(t.author[t.root], {}).get("handle"),
                "root_core": t.author[t.root] in core,
                "size": len(t.author),
                "outsiders": len(outs),
            }
        )
    convs.sort(key=lambda c: (-c["outsiders"], -c["size"], c["uri"]))
    voices = sorted(inp.first_seen_in_window)
    return WeekDetails(
        nodes=nodes,
        bridges=br,
        conversations=convs[:top],
        new_voices=[
            {
                "id": a,
                "handle": wk.info.get(a, {}).get("handle"),
                "display_name": wk.info.get(a, {}).get("display_name"),
                "posts": wk.tagged_posts.get(a, 0),
            }
            for a in voices[: top * 5]
        ],
    )
