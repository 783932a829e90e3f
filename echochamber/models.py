"""Frozen dataclasses shared by every stage: what a post, an account and a tie are.

Collectors and importers turn platform JSON into these; the store writes them; nothing
downstream sees platform JSON again. Account and post identities are *canonical* keys that
do not depend on which server we saw them through:

* Mastodon: the account's ``url`` (its profile URL on its home server) and the status ``uri``.
* Twitter/X: ``"twitter:<user id>"`` and ``"https://twitter.com/i/web/status/<id>"``.
* Bluesky: the account DID and the post ``at://`` URI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol

Platform = Literal["mastodon", "twitter", "bluesky"]
PLATFORMS: tuple[Platform, ...] = ("mastodon", "twitter", "bluesky")

InteractionKind = Literal["reply", "mention", "boost", "quote", "favourite"]
KINDS: tuple[InteractionKind, ...] = ("reply", "mention", "boost", "quote", "favourite")

Scope = Literal["mastodon", "twitter", "bluesky", "all"]
RunStatus = Literal["ok", "partial", "failed"]
SCOPES: tuple[Scope, ...] = ("mastodon", "twitter", "bluesky", "all")


def _by_init(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickle a record as a call of its constructor.

    Parsed archive chunks cross from the parsing process to the writing one; rebuilding a
    frozen slotted dataclass through ``__init__`` unpickles twice as fast as the default, which
    sets each field through ``object.__setattr__`` in a Python loop.
    """
    return type(self), tuple(getattr(self, name) for name in self.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Account:
    """An account as last seen.

    ``key`` is canonical (see the module docstring); ``handle`` is what people type
    (``user@server``, ``@user``, ``user.bsky.social``).  ``noindex`` accounts asked not to be
    indexed: the store keeps them under a hashed key without handle or text when consent is on.
    """

    platform: Platform
    key: str
    handle: str | None = None
    display_name: str | None = None
    server: str | None = None
    followers: int | None = None
    following: int | None = None
    bot: bool = False
    noindex: bool = False
    discoverable: bool | None = None
    created_at: datetime | None = None

    __reduce__ = _by_init


@dataclass(frozen=True, slots=True)
class Post:
    """A post (status, tweet, skeet) with its conversation links.

    ``author``, ``in_reply_to_account`` and ``mentions`` hold account keys; ``in_reply_to``,
    ``conversation_root``, ``boost_of`` and ``quote_of`` hold post URIs.  ``hashtags`` are
    lower-case without ``#``.  ``tagged`` says whether the post carries a tracked hashtag.
    """

    platform: Platform
    uri: str
    native_id: str
    author: str
    created_at: datetime
    text: str = ""
    language: str | None = None
    url: str | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    in_reply_to: str | None = None
    in_reply_to_account: str | None = None
    in_reply_to_native: str | None = None
    conversation_root: str | None = None
    boost_of: str | None = None
    quote_of: str | None = None
    replies_count: int | None = None
    boosts_count: int | None = None
    favourites_count: int | None = None
    quotes_count: int | None = None
    tagged: bool = False
    source: str | None = None

    __reduce__ = _by_init


@dataclass(frozen=True, slots=True)
class Interaction:
    """A directed tie ``actor -> target``: the actor acted on the target's content.

    ``subject`` makes the tie unique with ``(kind, actor, target)``: for ``reply``, ``quote``
    and ``mention`` it is the acting post's URI; for ``boost`` and ``favourite`` it is the URI
    of the boosted or favourited post (we may never see a boost as a status of its own), so a
    boost seen both as a reblog status and in ``reblogged_by`` is one interaction.
    ``target_post`` is the post acted on, where there is one.  ``via_reply`` marks a mention of
    the very account the post replies to: per-kind counts keep it, graph weights count it once.
    """

    platform: Platform
    kind: InteractionKind
    actor: str
    target: str
    subject: str
    at: datetime
    target_post: str | None = None
    via_reply: bool = False

    __reduce__ = _by_init


@dataclass(frozen=True, slots=True)
class Batch:
    """What one API page or archive chunk yields, ready to be stored in one transaction."""

    accounts: tuple[Account, ...] = ()
    posts: tuple[Post, ...] = ()
    interactions: tuple[Interaction, ...] = ()

    def __add__(self, other: Batch) -> Batch:
        return Batch(
            self.accounts + other.accounts,
            self.posts + other.posts,
            self.interactions + other.interactions,
        )


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Window bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"Window end {self.end} is not after start {self.start}")

    @classmethod
    def iso_week(cls, year: int, week: int) -> Window:
        """The ISO week ``year-Wweek`` (Monday 00:00 UTC to the next Monday)."""
        monday = date.fromisocalendar(year, week, 1)
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        return cls(start, start + timedelta(days=7))

    @classmethod
    def week_of(cls, moment: datetime) -> Window:
        """The ISO week that contains ``moment``."""
        iso = moment.astimezone(UTC).isocalendar()
        return cls.iso_week(iso.year, iso.week)

    @property
    def label(self) -> str:
        """``2026-W47`` for an ISO week, ``start..end`` dates otherwise."""
        iso = self.start.isocalendar()
        is_week = (
            self.end - self.start == timedelta(days=7)
            and self.start.weekday() == 0
            and self.start.time() == datetime.min.time()
        )
        if is_week:
            return f"{iso.year}-W{iso.week:02d}"
        return f"{self.start.date().isoformat()}..{self.end.date().isoformat()}"

    def previous(self, weeks: int = 1) -> Window:
        """The window of the same length ``weeks`` lengths earlier."""
        span = self.end - self.start
        return Window(self.start - span * weeks, self.end - span * weeks)


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


@dataclass(frozen=True, slots=True)
class Page:
    """One API response (or archive chunk) and what it yields.

    ``raw`` is the body as received (kept compressed); ``cursor`` is the stream's state after
    this page (``None``: unchanged); ``backfill`` is the resume point of an unfinished backfill.
    """

    batch: Batch
    raw: bytes
    endpoint: str
    cursor: str | None = None
    backfill: str | None = None
    backfill_done: bool = False


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What storing a page changed."""

    posts_new: int = 0
    posts_seen: int = 0
    interactions_new: int = 0

    def __add__(self, other: StoredPage) -> StoredPage:
        return StoredPage(
            self.posts_new + other.posts_new,
            self.posts_seen + other.posts_seen,
            self.interactions_new + other.interactions_new,
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


@dataclass(frozen=True, slots=True)
class RosterMember:
    """A core account as a snapshot recorded it."""

    id: int
    key: str | None
    handle: str | None


@dataclass(frozen=True)
class WeekDetails:
    """What queries and reports read besides the metrics: per-account rows and top lists.

    ``nodes`` maps an account id (as text) to its row (handle, is_core, hop, posts, ties in
    and out by side); ``bridges``, ``conversations`` and ``new_voices`` are ranked lists.
    """

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    bridges: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    new_voices: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    """The stored measurement of one window: metrics, the roster used and the details.

    ``metrics`` holds the keys documented in ``docs/metrics.md`` (stable names, JSON values).
    """

    window: Window
    scope: str
    policy: str
    metrics: dict[str, Any]
    roster: tuple[RosterMember, ...]
    details: WeekDetails
    computed_at: datetime
    final: bool = False
    edition: int = 1
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def core_ids(self) -> frozenset[int]:
        return frozenset(m.id for m in self.roster)

    @property
    def provisional(self) -> bool:
        """Still settling: recomputation replaces it (the opposite of ``final``)."""
        return not self.final


Node = Any
"""A graph node: an account id in the store, any hashable in tests."""


@dataclass(frozen=True, slots=True)
class WeekPost:
    """A post of one of the week's conversations; ``parent`` is a post id of the same week."""

    post_id: int
    uri: str
    parent: int | None
    kind: str  # "reply" | "quote" | "root"
    author_id: int
    created_at: datetime
    tagged: bool
    root: int
    reply_to_account: int | None  # the account a reply answers
    parent_ref: str | None  # what the post answers, even when the store lacks it


@dataclass(frozen=True, slots=True)
class WeekTie:
    """An interaction anchored on a week post; ``target_at`` is when the post acted on was
    written (``None``: unknown), ``anchor`` the post id the tie hangs on."""

    kind: str
    actor_id: int
    target_id: int
    at: datetime
    target_at: datetime | None
    anchor: int
    via_reply: bool


@dataclass(frozen=True)
class WeekRows:
    """Everything a week's graph is built from; ``texts`` holds the text of the replies that
    carry mentions (for hygiene); ``counts`` the store rows the window was read from."""

    posts: list[WeekPost]
    ties: list[WeekTie]
    texts: dict[int, str]
    counts: dict[str, int]
