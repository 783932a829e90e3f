"""The per-account rows and ranked lists a snapshot keeps beside its metrics (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from echochamber.metrics.travel import travel_bridges, travel_distances
from echochamber.models import WeekDetails
from tests.reference.snapshot import SnapshotInput, participants_of
from tests.reference.week import WeekGraph


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
    G, core = wk.G, wk.core
    hops = travel_distances(wk.acts, core)
    active = participants_of(inp)  # as core_active counts them
    nodes: dict[str, Any] = {}
    for n in set(G.nodes) | set(wk.tagged_posts) | set(core):
        i = wk.info.get(n, {})
        row: dict[str, Any] = {
            "id": n,
            "handle": i.get("handle"),
            "key": i.get("key"),
            "is_core": n in core,
            "active": n in active,
            "hop": hops.get(n),
            "posts": wk.tagged_posts.get(n, 0),
            "followers": i.get("followers", 0),
        }
        ties = {"out_core": 0, "out_outside": 0, "in_core": 0, "in_outside": 0}
        if n in G:
            for _, v, w in G.out_edges(n, data="weight"):
                ties["out_core" if v in core else "out_outside"] += w or 0
            for u, _, w in G.in_edges(n, data="weight"):
                ties["in_core" if u in core else "in_outside"] += w or 0
        row.update(ties)
        nodes[str(n)] = row
    scores: dict[Any, float] = travel_bridges(wk.acts, core)
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
