"""What every collector hands to the store: pages, and the sink that stores them atomically.

A collector never writes to the database itself.  It yields :class:`Page` objects to a
:class:`PageSink`; the sink stores the page's batch, its raw payload and the stream's new cursor
in one transaction, so a crash between two pages loses nothing and duplicates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from echochamber.models import Account, Batch, Interaction, InteractionKind, Platform, Post


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

    posts_new: int
    posts_seen: int
    interactions_new: int


class PageSink(Protocol):
    """Stores a page, its raw payload and the cursor in one transaction."""

    def __call__(self, page: Page) -> StoredPage: ...


class Accumulator:
    """What a normaliser gathers from a page: accounts, posts and ties, deduplicated by key.

    Self-ties are dropped; a tie is unique per (kind, actor, target, subject) as in the store.
    """

    platform: Platform = "mastodon"

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.posts: dict[str, Post] = {}
        self.ties: dict[tuple[str, str, str, str], Interaction] = {}

    def tie(
        self,
        kind: InteractionKind,
        actor: str,
        target: str | None,
        subject: str,
        at: datetime,
        target_post: str | None = None,
        via_reply: bool = False,
    ) -> None:
        if target and target != actor:
            self.ties[(kind, actor, target, subject)] = Interaction(
                self.platform,
                kind,
                actor,
                target,
                subject,
                at,
                target_post=target_post,
                via_reply=via_reply,
            )

    def batch(self) -> Batch:
        return Batch(
            tuple(self.accounts.values()), tuple(self.posts.values()), tuple(self.ties.values())
        )
