"""The records every stage shares: accounts, posts, ties, the batches they travel in, and
the time windows they are measured over (identities: see :mod:`echochamber.models`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

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
    edited_at: datetime | None = None

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
    notes: tuple[str, ...] = ()
    """What cleaning changed or skipped (``post URI: reason``), for the run's report."""
    optouts: tuple[str, ...] = ()
    """Original keys of the accounts this batch anonymised for an opt-out signal (consent), so
    the store anonymises what it already holds of them; never stored themselves."""

    def __add__(self, other: Batch) -> Batch:
        return Batch(
            self.accounts + other.accounts,
            self.posts + other.posts,
            self.interactions + other.interactions,
            self.notes + other.notes,
            tuple(dict.fromkeys(self.optouts + other.optouts)),
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


Node = Any
"""A graph node: an account id in the store, any hashable in tests."""
