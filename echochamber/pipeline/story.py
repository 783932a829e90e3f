"""What the report tells besides the metrics: the conversations that travelled farthest, the
top bridges and the new voices of a snapshot's week, typed for the renderers.

The week's graph is read again (with the snapshot's own roster) and handed to the pure
functions of :mod:`echochamber.metrics`; nothing is written.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from echochamber.config import Settings
from echochamber.metrics.farthest import farthest_conversations
from echochamber.metrics.travel import engaged, travel_distances
from echochamber.models import BridgeView, ConversationView, Snapshot, VoiceView
from echochamber.pipeline.snapshot import load_week
from echochamber.store import Engine, graph_reader

TOP_CONVERSATIONS = 5
TREE_NODES = 15


@dataclass(frozen=True)
class Story:
    """The week's conversations (as trees), bridges and new voices."""

    conversations: tuple[ConversationView, ...] = ()
    bridges: tuple[BridgeView, ...] = ()
    new_voices: tuple[VoiceView, ...] = ()


def bridges_of(snap: Snapshot) -> tuple[BridgeView, ...]:
    """The snapshot's top bridges, with each outsider's travel distance."""
    out = []
    for b in snap.details.bridges:
        row = snap.details.nodes.get(str(b.get("id")), {})
        hop = row.get("hop")
        out.append(
            BridgeView(
                handle=b.get("handle"),
                core=bool(b.get("is_core")),
                reached=float(b.get("reached") or 0.0),
                distance=hop if isinstance(hop, int) else None,
            )
        )
    return tuple(out)


def week_story(
    engine: Engine,
    settings: Settings,
    snap: Snapshot,
    *,
    top: int = TOP_CONVERSATIONS,
    max_nodes: int = TREE_NODES,
) -> Story:
    """The story of ``snap``'s week: its ``top`` farthest conversations as trees of at most
    ``max_nodes`` nodes, its bridges, and the accounts first seen this week that engaged
    with the core (nearest the core first)."""
    window = snap.window
    with graph_reader(engine) as reader:
        wk, _, _ = load_week(reader, settings, window, snap.scope, snap.core_ids)
        distance = travel_distances(wk.acts, wk.core)
        reached = engaged(wk.acts, wk.core, wk.thread_author) - wk.core
        audience = sorted(a for a in reached if isinstance(a, int))
        first = reader.first_active(audience)
    uri_of = {post: uri for uri, post in wk.tree_uri.items()}
    boosts = [(uri_of[a.post], a.actor) for a in wk.acts if a.kind == "boost" and a.post in uri_of]
    handle_of: dict[Hashable, str | None] = {i: row.get("handle") for i, row in wk.info.items()}
    conversations = farthest_conversations(
        wk.trees, boosts, distance, wk.core, handle_of, top=top, max_nodes=max_nodes
    )
    posts: dict[int, int] = {}
    for author, _ in wk.posts:
        posts[author] = posts.get(author, 0) + 1
    new = [
        a for a in audience if (t := first.get(a)) is not None and window.start <= t < window.end
    ]
    voices = sorted(
        (
            VoiceView(
                handle=wk.info.get(a, {}).get("handle"),
                display_name=wk.info.get(a, {}).get("display_name"),
                posts=posts.get(a, 0),
                distance=distance.get(a),
            )
            for a in new
        ),
        key=lambda v: (v.distance or 99, -v.posts, str(v.handle)),
    )
    return Story(tuple(conversations), bridges_of(snap), tuple(voices))
