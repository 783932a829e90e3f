"""What collection hands over: streams, cursors, pages and their sink, watched posts, runs,
and what a run learns of a server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from echochamber.models.records import Batch, Platform, Post, RunStatus

REVISITS = "(conversations)"
"""The stream name under which a source's revisits of settling conversations are recorded."""


@dataclass(frozen=True, slots=True)
class CollectResult:
    """The summary of one collection run over one stream (``stream``: its name, a tag or a
    query, or ``(conversations)`` for a source's revisits)."""

    platform: Platform
    server: str
    stream: str
    requests: int = 0
    posts_new: int = 0
    posts_seen: int = 0
    interactions_new: int = 0
    errors: tuple[str, ...] = field(default=())
    skipped: tuple[str, ...] = field(default=())
    status: RunStatus = "ok"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``collect --json`` and the demo print."""
        return {
            "platform": self.platform,
            "server": self.server,
            "stream": self.stream,
            "status": self.status,
            "requests": self.requests,
            "posts_new": self.posts_new,
            "posts_seen": self.posts_seen,
            "interactions_new": self.interactions_new,
            "errors": list(self.errors),
            "skipped": list(self.skipped),
        }


@dataclass(frozen=True, slots=True)
class Page:
    """One API response (or archive chunk) and what it yields.

    ``raw`` is the body as received (kept compressed); ``cursor`` is the stream's state after
    this page (``None``: unchanged); ``backfill`` is the resume point of an unfinished backfill.
    ``server`` is the host that answered when it is not the sink's own server (a post's home
    server), ``token`` whether the request carried a token; ``gone`` names posts the answering
    server says were deleted (404/410); ``watch`` puts the page's posts on the watch list
    (the replies of a watched conversation).
    """

    batch: Batch
    raw: bytes
    endpoint: str
    cursor: str | None = None
    backfill: str | None = None
    backfill_done: bool = False
    server: str | None = None
    token: bool | None = None
    gone: tuple[str, ...] = ()
    watch: bool = False


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What storing a page changed."""

    posts_new: int = 0
    posts_seen: int = 0
    interactions_new: int = 0
    refused: tuple[str, ...] = ()
    """Records the store refused (``post URI: reason``); the rest of the page is stored."""
    deleted: int = 0

    def __add__(self, other: StoredPage) -> StoredPage:
        return StoredPage(
            self.posts_new + other.posts_new,
            self.posts_seen + other.posts_seen,
            self.interactions_new + other.interactions_new,
            self.refused + other.refused,
            self.deleted + other.deleted,
        )


class PageSink(Protocol):
    """Stores a page, its raw payload and the stream's cursor in one transaction.

    Collectors hand pages to a sink and never write to the database themselves; the store
    implements it.  ``advance`` moves the cursor alone, once a pass that only then knows its
    newest id has ended.
    """

    def __call__(self, page: Page) -> StoredPage: ...

    def advance(self, cursor: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Stream:
    """What one collection pass follows: a tag (or a raw query) on one server of a platform.

    ``server`` is the URL asked (a Mastodon server, the X API, a Bluesky AppView); ``name`` is
    the key its cursor and runs are stored under (the tag, or the query for X searches);
    ``tag`` is the tracked tag the stream follows (``None`` for a raw query).
    """

    platform: Platform
    server: str
    name: str
    tag: str | None = None

    @property
    def label(self) -> str:
        """``server #tag`` (or ``server "query"``) for messages."""
        return f"{self.server} #{self.tag}" if self.tag else f"{self.server} {self.name!r}"


@dataclass(frozen=True, slots=True)
class Cursor:
    """A stream's stored state: the newest id seen and how far the backfill has reached."""

    newest_id: str | None = None
    backfill_max_id: str | None = None
    backfill_done: bool = False


@dataclass(frozen=True, slots=True)
class WatchedPost:
    """A post whose conversation is revisited while it settles (the watch list's row)."""

    id: int
    post: Post
    native_id: str
    checks: int
    kind: str = "root"
    """``root`` (a tagged post: its context too) or ``reply`` (a post of a watched thread)."""
    ids: tuple[tuple[str, str], ...] = ()
    """``(server host, local id)`` of every server known to have served the post."""

    def local_id(self, host: str) -> str | None:
        """The post's id on ``host``, if known."""
        return next((i for h, i in self.ids if h == host), None)


@dataclass(frozen=True, slots=True)
class ServerState:
    """A fediverse server as known: its software (nodeinfo, asked at ``checked_at``), whether
    it answers the Mastodon API (``api``), and its circuit breaker (skipped while
    ``open_until`` lies ahead, after ``failures`` consecutive failures; ``last_error``)."""

    host: str
    software: str | None = None
    version: str | None = None
    api: bool | None = None
    checked_at: datetime | None = None
    failures: int = 0
    open_until: datetime | None = None
    last_error: str | None = None
    last_failure_at: datetime | None = None
    last_ok_at: datetime | None = None
    requests: int = 0
