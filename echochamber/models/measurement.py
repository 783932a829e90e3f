"""What measurement hands over: a week's rows, the stored snapshot, its roster and details,
and how complete the fetched conversations are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from echochamber.models.records import Window


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


KIND_COUNTS = ("replies", "boosts", "favourites")


@dataclass(frozen=True, slots=True)
class Completeness:
    """Fetched over counted by the home server (docs/metrics.md, Completeness), per kind in
    :data:`KIND_COUNTS`; ``posts`` summed, ``home_counted`` of them counted by their home."""

    posts: int = 0
    home_counted: int = 0
    fetched: tuple[int, int, int] = (0, 0, 0)
    counted: tuple[int, int, int] = (0, 0, 0)

    def as_dict(self) -> dict[str, Any]:
        """The ``completeness`` key: a share per kind (``None``: nothing counted) and sums."""
        out: dict[str, Any] = {
            k: (None if c <= 0 else round(min(1.0, f / c), 4))
            for k, f, c in zip(KIND_COUNTS, self.fetched, self.counted, strict=True)
        }
        out.update(posts=self.posts, home_counted=self.home_counted)
        out["fetched"] = dict(zip(KIND_COUNTS, self.fetched, strict=True))
        out["counted"] = dict(zip(KIND_COUNTS, self.counted, strict=True))
        return out


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
