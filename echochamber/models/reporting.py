"""What the weekly report shows besides the metrics, typed: the conversations that travelled
farthest as small trees, the top bridges and the new voices.

The pipeline fills these from a week's graph and snapshot; the renderers (text, HTML, the
site) read them and nothing else.  Handles are raw here: every renderer passes them through
:func:`echochamber.text.display_name`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One post (or boost) of a conversation tree as the report draws it.

    ``kind`` is ``root``, ``reply``, ``quote`` or ``boost``; ``depth`` the steps from the root
    post; ``core`` whether the account is in the week's core; ``distance`` the account's travel
    distance (0 for the core, ``None``: no time-respecting chain reached it); ``more`` how many
    posts and boosts below this one were left out to keep the tree small.
    """

    handle: str | None
    kind: str
    depth: int
    core: bool
    distance: int | None
    children: tuple[TreeNode, ...] = ()
    more: int = 0

    def count(self) -> int:
        """Nodes drawn in this subtree, this one included."""
        return 1 + sum(c.count() for c in self.children)


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation of the week: its root post's URI, its tree (at most the report's node
    limit), its posts, boosts and outsiders in full, and the farthest travel distance in it."""

    uri: str
    root: TreeNode
    posts: int
    boosts: int
    outsiders: int
    farthest: int | None


@dataclass(frozen=True, slots=True)
class BridgeView:
    """A top bridge: outsiders reached through the account (``docs/metrics.md``, Bridges)."""

    handle: str | None
    core: bool
    reached: float
    distance: int | None = None


@dataclass(frozen=True, slots=True)
class VoiceView:
    """A new voice: first seen this week and engaged with the core."""

    handle: str | None
    display_name: str | None
    posts: int
    distance: int | None = None
