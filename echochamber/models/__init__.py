"""Frozen dataclasses shared by every stage: what a post, an account and a tie are.

Collectors and importers turn platform JSON into these; the store writes them; nothing
downstream sees platform JSON again. Account and post identities are *canonical* keys that
do not depend on which server we saw them through:

* Mastodon: the account's ``url`` (its profile URL on its home server) and the status ``uri``.
* Twitter/X: ``"twitter:<user id>"`` and ``"https://twitter.com/i/web/status/<id>"``.
* Bluesky: the account DID and the post ``at://`` URI.

The records live in :mod:`~echochamber.models.records`, what collection hands over in
:mod:`~echochamber.models.collection`, what measurement hands over in
:mod:`~echochamber.models.measurement`; every name is importable from here, and loads with
its module on first use (PEP 562), so a command that needs a window builds no other class.
"""

from typing import TYPE_CHECKING

from echochamber.lazy import lazy_names

_WHERE = {
    "REVISITS": "echochamber.models.collection",
    "CollectResult": "echochamber.models.collection",
    "Cursor": "echochamber.models.collection",
    "Page": "echochamber.models.collection",
    "PageSink": "echochamber.models.collection",
    "ServerState": "echochamber.models.collection",
    "StoredPage": "echochamber.models.collection",
    "Stream": "echochamber.models.collection",
    "WatchedPost": "echochamber.models.collection",
    "MapEdge": "echochamber.models.maps",
    "MapNode": "echochamber.models.maps",
    "WeekMap": "echochamber.models.maps",
    "KIND_COUNTS": "echochamber.models.measurement",
    "Completeness": "echochamber.models.measurement",
    "RosterMember": "echochamber.models.measurement",
    "Snapshot": "echochamber.models.measurement",
    "WeekDetails": "echochamber.models.measurement",
    "WeekPost": "echochamber.models.measurement",
    "WeekRows": "echochamber.models.measurement",
    "WeekTie": "echochamber.models.measurement",
    "BridgeView": "echochamber.models.reporting",
    "ConversationView": "echochamber.models.reporting",
    "TreeNode": "echochamber.models.reporting",
    "VoiceView": "echochamber.models.reporting",
    "KINDS": "echochamber.models.records",
    "PLATFORMS": "echochamber.models.records",
    "SCOPES": "echochamber.models.records",
    "Account": "echochamber.models.records",
    "Batch": "echochamber.models.records",
    "Interaction": "echochamber.models.records",
    "InteractionKind": "echochamber.models.records",
    "Node": "echochamber.models.records",
    "Platform": "echochamber.models.records",
    "Post": "echochamber.models.records",
    "RunStatus": "echochamber.models.records",
    "Scope": "echochamber.models.records",
    "Window": "echochamber.models.records",
}

__all__ = [
    "KINDS",
    "KIND_COUNTS",
    "PLATFORMS",
    "REVISITS",
    "SCOPES",
    "Account",
    "Batch",
    "BridgeView",
    "CollectResult",
    "Completeness",
    "ConversationView",
    "Cursor",
    "Interaction",
    "InteractionKind",
    "MapEdge",
    "MapNode",
    "Node",
    "Page",
    "PageSink",
    "Platform",
    "Post",
    "RosterMember",
    "RunStatus",
    "Scope",
    "ServerState",
    "Snapshot",
    "StoredPage",
    "Stream",
    "TreeNode",
    "VoiceView",
    "WatchedPost",
    "WeekDetails",
    "WeekMap",
    "WeekPost",
    "WeekRows",
    "WeekTie",
    "Window",
]

if TYPE_CHECKING:
    from echochamber.models.collection import (
        REVISITS,
        CollectResult,
        Cursor,
        Page,
        PageSink,
        ServerState,
        StoredPage,
        Stream,
        WatchedPost,
    )
    from echochamber.models.maps import MapEdge, MapNode, WeekMap
    from echochamber.models.measurement import (
        KIND_COUNTS,
        Completeness,
        RosterMember,
        Snapshot,
        WeekDetails,
        WeekPost,
        WeekRows,
        WeekTie,
    )
    from echochamber.models.records import (
        KINDS,
        PLATFORMS,
        SCOPES,
        Account,
        Batch,
        Interaction,
        InteractionKind,
        Node,
        Platform,
        Post,
        RunStatus,
        Scope,
        Window,
    )
    from echochamber.models.reporting import BridgeView, ConversationView, TreeNode, VoiceView


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())
