"""What a normaliser gathers from one page: accounts, posts and ties, deduplicated by key."""

from __future__ import annotations

from datetime import datetime

from echochamber.collect.clean import clean_batch
from echochamber.models import Account, Batch, Interaction, InteractionKind, Platform, Post


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
        """What was gathered, cleaned to what the store can hold (:mod:`.clean`)."""
        return clean_batch(
            Batch(
                tuple(self.accounts.values()),
                tuple(self.posts.values()),
                tuple(self.ties.values()),
            )
        )
