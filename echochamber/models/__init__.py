"""Frozen dataclasses shared by every stage: what a post, an account and a tie are.

Collectors and importers turn platform JSON into these; the store writes them; nothing
downstream sees platform JSON again. Account and post identities are *canonical* keys that
do not depend on which server we saw them through:

* Mastodon: the account's ``url`` (its profile URL on its home server) and the status ``uri``.
* Twitter/X: ``"twitter:<user id>"`` and ``"https://twitter.com/i/web/status/<id>"``.
* Bluesky: the account DID and the post ``at://`` URI.

The records live in :mod:`~echochamber.models.records`, what collection hands over in
:mod:`~echochamber.models.collection`, what measurement hands over in
:mod:`~echochamber.models.measurement`; every name is importable from here.
"""

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

__all__ = [
    "KINDS",
    "KIND_COUNTS",
    "PLATFORMS",
    "REVISITS",
    "SCOPES",
    "Account",
    "Batch",
    "CollectResult",
    "Completeness",
    "Cursor",
    "Interaction",
    "InteractionKind",
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
    "WatchedPost",
    "WeekDetails",
    "WeekPost",
    "WeekRows",
    "WeekTie",
    "Window",
]
