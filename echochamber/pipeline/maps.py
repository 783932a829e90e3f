"""The map of a week: its participants placed on travel-distance rings, and its ties by kind.

Reads the same week graph and roster as ``graph export`` (the stored snapshot's roster, or the
configured roster policy when the week has none) and stores nothing: a reading command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from echochamber.config import Settings
from echochamber.graph.layout import ring_layout, ring_of
from echochamber.graph.week import WeekGraph
from echochamber.metrics.communities import community_of
from echochamber.metrics.travel import travel_bridges, travel_distances
from echochamber.models import KINDS, MapEdge, MapNode, Snapshot, WeekMap, Window
from echochamber.pipeline.consent import OPTED_OUT_LABEL
from echochamber.pipeline.freshness import is_final
from echochamber.pipeline.snapshot import week_graph
from echochamber.store import Engine, graph_reader, load_snapshot
from echochamber.text import display_name, is_hashed

TOP_BRIDGES = 10


def participants(wk: WeekGraph) -> set[int]:
    """The week's accounts as ``graph export`` lists them: every account in a tie, every
    author of a post in the week's conversations, every author of a tagged post."""
    out: set[int] = set(wk.G.nodes)
    for t in wk.trees:
        out.update(t.author.values())
    out.update(wk.tagged_posts)
    return out


def build_map(
    wk: WeekGraph,
    core: frozenset[int],
    *,
    seed: int = 0,
    provisional: bool = False,
    title: str = "",
    top_bridges: int = TOP_BRIDGES,
) -> WeekMap:
    """Place the week's participants on rings (:func:`echochamber.graph.layout.ring_layout`).

    ``activity`` = posts written in the week's conversations + acts made; ``ties`` = distinct
    accounts with a tie either way; the top bridges are ranked as the snapshot ranks them
    (:func:`~echochamber.metrics.travel.travel_bridges`, then the account key).
    """
    G = wk.G.copy()
    G.add_nodes_from(participants(wk))
    dist = travel_distances(wk.acts, core)
    scores: dict[Any, float] = travel_bridges(wk.acts, core)
    keys = {a: str(wk.info.get(a, {}).get("key")) for a in scores}
    ranked = sorted(scores, key=lambda a: (-round(scores[a], 9), keys[a]))[:top_bridges]
    rank = {a: i + 1 for i, a in enumerate(ranked)}
    community = community_of(G, seed=seed) if G.number_of_nodes() else {}
    activity = Counter(author for author, _ in wk.posts) + Counter(a.actor for a in wk.acts)
    handle = {n: _label(wk.info.get(n, {}).get("handle")) for n in G.nodes}

    def hop(n: int) -> int | None:
        d = dist.get(n)
        return None if d is None else int(d)

    order = sorted(G.nodes, key=lambda n: (ring_of(n in core, hop(n)), handle[n], n))
    index = {n: i for i, n in enumerate(order)}
    edges = [
        MapEdge(index[u], index[v], k, int(d.get(k, 0)))
        for u, v, d in sorted(G.edges(data=True), key=lambda e: (index[e[0]], index[e[1]]))
        for k in KINDS
        if d.get(k, 0) > 0
    ]
    x, y = ring_layout(
        [ring_of(n in core, hop(n)) for n in order],
        [e.source for e in edges],
        [e.target for e in edges],
        [community.get(n, -1) for n in order],
        seed=seed,
    )
    U = G.to_undirected(as_view=True)
    nodes = tuple(
        MapNode(
            id=int(n),
            handle=handle[n],
            is_core=n in core,
            distance=hop(n),
            activity=int(activity.get(n, 0)),
            ties=int(U.degree(n)),
            x=round(float(x[i]), 4),
            y=round(float(y[i]), 4),
            bridge=rank.get(n, 0),
            community=int(community.get(n, -1)),
        )
        for i, n in enumerate(order)
    )
    return WeekMap(wk.window.label, wk.scope, nodes, tuple(edges), provisional, title)


def _label(handle: str | None) -> str:
    """An account's name on the map: none for an account that opted out (its key hashed)."""
    return OPTED_OUT_LABEL if not handle or is_hashed(handle) else display_name(handle)


def week_map(
    engine: Engine, settings: Settings, window: Window, scope: str, now: datetime | None = None
) -> WeekMap:
    """The map of ``window``: read from the store, computed in memory, nothing stored."""
    with graph_reader(engine) as reader:
        wk = week_graph(reader, settings, window, scope)
    snap = load_snapshot(engine, wk.window, scope, settings.core.policy)
    core = snap.core_ids if snap is not None else wk.core
    provisional = (
        snap.provisional
        if snap is not None
        else not is_final(wk.window, now or datetime.now(UTC), settings)
    )
    return build_map(
        wk,
        frozenset(core),
        seed=settings.metrics.seed,
        provisional=provisional,
        title=display_name(settings.title),
    )


def week_map_png(
    engine: Engine, settings: Settings, window: Window, scope: str, *, width_px: int = 1080
) -> bytes:
    """The map of ``window`` as a PNG for the report and the email (nothing stored)."""
    from echochamber.report.static_map import render_png

    return render_png(week_map(engine, settings, window, scope), width_px=width_px)


def site_maps(
    engine: Engine, settings: Settings
) -> tuple[Callable[[Snapshot], str | None], Callable[[Snapshot], bytes | None]]:
    """The interactive page and the PNG of a snapshot's week, for ``report site``: each
    week's map is built once and drawn both ways."""
    from echochamber.report.interactive_map import render_map_html
    from echochamber.report.static_map import render_png

    built: dict[tuple[datetime, str], WeekMap] = {}

    def of(snap: Snapshot) -> WeekMap:
        key = (snap.window.start, snap.scope)
        if key not in built:
            built.clear()  # the site asks for one week at a time: keep one map in memory
            built[key] = week_map(engine, settings, snap.window, snap.scope)
        return built[key]

    return (lambda snap: render_map_html(of(snap))), (lambda snap: render_png(of(snap)))


def write_view(
    engine: Engine, settings: Settings, window: Window, scope: str, output: Path
) -> WeekMap:
    """Write the interactive map of ``window`` to ``output`` (one self-contained HTML file)."""
    from echochamber.report.interactive_map import render_map_html

    wm = week_map(engine, settings, window, scope)
    output.write_text(render_map_html(wm), encoding="utf-8")
    return wm
