"""What the map of a week hands over: its accounts placed on rings and their ties by kind.

Built by :func:`echochamber.pipeline.maps.week_map`; drawn by
:mod:`echochamber.report.static_map` (a PNG) and :mod:`echochamber.report.interactive_map`
(a self-contained HTML page).  Handles are already made safe (``text.display_name``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MapNode:
    """One participant of the week at its place on the map.

    ``distance`` is the travel distance from the core (0 for the core, None when no chain
    of the core's content reached it); ``activity`` the posts it wrote in the week's
    conversations plus the acts it made; ``ties`` how many accounts it has a tie with (either
    direction); ``bridge`` is the rank among the week's top bridges (1 = the most outsiders
    reached through it; 0 = not a top bridge), labelled on the map.
    """

    id: int
    handle: str
    is_core: bool
    distance: int | None
    activity: int
    ties: int
    x: float
    y: float
    bridge: int = 0
    community: int = -1


@dataclass(frozen=True, slots=True)
class MapEdge:
    """``source`` acted ``weight`` times on ``target`` by ``kind``; both are indices into
    :attr:`WeekMap.nodes`."""

    source: int
    target: int
    kind: str
    weight: int


@dataclass(frozen=True)
class WeekMap:
    """A week's participants (nodes) and ties (one edge per pair and kind)."""

    week: str
    scope: str
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    provisional: bool = False
    title: str = ""

    @property
    def participants(self) -> int:
        """How many accounts took part (every node is a participant)."""
        return len(self.nodes)

    def kinds(self) -> tuple[str, ...]:
        """The interaction kinds present, in the order of ``models.KINDS``."""
        from echochamber.models.records import KINDS

        present = {e.kind for e in self.edges}
        return tuple(k for k in KINDS if k in present)
