"""Consent where collection meets the store: every page passes here before it is stored.

:class:`ConsentSink` wraps the store's sink.  For each page it

1. anonymises the accounts the forget registry names (salted hashes of keys and handles) and
   those ``[consent] exclude`` names, so a forgotten account never comes back;
2. anonymises what the store already holds of every account the page shows opting out (a
   signal set since its last visit), records it in the registry (so a mention of it on a
   later page, without its profile, is caught too), and keeps the page's raw payload as
   :data:`WITHHELD` only;
3. after storing, deletes the raw payloads that hold posts the page found deleted.

:func:`forget` is ``echochamber forget``; :func:`prune` the retention job.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from echochamber.collect.consent import ConsentRules, anonymise, excluded, normal_ident
from echochamber.config import SECRET_ENV, Settings
from echochamber.models import Batch, Page, PageSink, StoredPage, TreeNode
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.story import Story
from echochamber.store import (
    Engine,
    anonymise_stored,
    erase_accounts,
    erase_deleted_raw,
    register,
    registered,
    store_salt,
)
from echochamber.text import is_hashed

log = logging.getLogger(__name__)

WITHHELD = b'{"withheld": "consent"}'
"""The raw payload kept of a page that shows an opted-out account: that a page was fetched
(its endpoint and time), not what it said."""


def registry_salts(engine: Engine, *, create: bool = False) -> list[str]:
    """The salts the forget registry is checked with: ``ECHOCHAMBER_CONSENT_SALT`` (when set)
    first, then the store's own (made when ``create`` and missing)."""
    salts = []
    env = os.environ.get(SECRET_ENV["consent_salt"])
    if env:
        salts.append(env)
    own = store_salt(engine, create=create)
    if own:
        salts.append(own)
    return salts


def digest(salt: str, ident: str) -> str:
    """The salted hash the registry keeps of a key or handle (HMAC-SHA256, hex).

    >>> digest("s", "@Ana@Example.org") == digest("s", "ana@example.org")
    True
    """
    return hmac.new(salt.encode(), normal_ident(ident).encode(), hashlib.sha256).hexdigest()


def _idents(batch: Batch) -> dict[str, list[str]]:
    """Each not-yet-hashed account key the batch names -> its identifiers (key, handle)."""
    out: dict[str, list[str]] = {
        a.key: [a.key, *([a.handle] if a.handle else [])] for a in batch.accounts
    }
    for p in batch.posts:
        for k in (p.author, p.in_reply_to_account, *p.mentions):
            if k is not None:
                out.setdefault(k, [k])
    for t in batch.interactions:
        out.setdefault(t.actor, [t.actor])
        out.setdefault(t.target, [t.target])
    return {k: v for k, v in out.items() if not is_hashed(k)}


class ConsentSink:
    """A :class:`~echochamber.models.PageSink` that applies consent before the store's sink."""

    def __init__(
        self, inner: Any, engine: Engine, rules: ConsentRules, clock: Callable[[], datetime]
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.engine = engine
        self.rules = rules
        self._salts: list[str] | None = None

    @property
    def totals(self) -> StoredPage:
        return self.inner.totals  # type: ignore[no-any-return]

    @property
    def notes(self) -> list[str]:
        return self.inner.notes  # type: ignore[no-any-return]

    def salts(self) -> list[str]:
        if self._salts is None:
            self._salts = registry_salts(self.engine, create=True)
        return self._salts

    def __call__(self, page: Page) -> StoredPage:
        page = self.screen(page)
        stored: StoredPage = self.inner(page)
        if page.gone:
            erase_deleted_raw(self.engine, page.gone)
        return stored

    def screen(self, page: Page) -> Page:
        """The page as it may be stored (steps 1 and 2 of the module docstring)."""
        batch = page.batch
        idents = _idents(batch)
        gone: set[str] = excluded(batch, self.rules)
        if idents:
            by_digest = {
                digest(salt, i): key
                for key, names in idents.items()
                for i in names
                for salt in self.salts()
            }
            gone |= {by_digest[d] for d in registered(self.engine, by_digest)}
        batch = anonymise(batch, gone) if gone else batch
        if batch.optouts:
            now = self.clock()
            changed = anonymise_stored(self.engine, batch.optouts)
            if changed.accounts:
                log.info("anonymised %d stored accounts that opted out", changed.accounts)
            first = self.salts()[0]
            register(
                self.engine,
                [digest(first, k) for k in batch.optouts if k not in gone],
                platform=None,
                reason="signal",
                now=now,
            )
            return replace(page, batch=batch, raw=WITHHELD if page.raw else b"")
        return page if batch is page.batch else replace(page, batch=batch)

    def advance(self, cursor: str) -> None:
        self.inner.advance(cursor)


def guarded(sink: Any, settings: Settings, ctx: JobContext) -> PageSink:
    """``sink`` behind consent (the rules of ``settings``)."""
    return ConsentSink(sink, ctx.engine, ConsentRules.of(settings), ctx.clock)


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget`` found and changed (never the handles themselves)."""

    requested: int
    found: int
    purge: bool
    dry_run: bool
    changes: dict[str, int]
    registered: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "found": self.found,
            "purge": self.purge,
            "dry_run": self.dry_run,
            "changes": self.changes,
            "registered": self.registered,
        }


def forget(
    ctx: JobContext, accounts: Sequence[str], *, purge: bool = False, dry_run: bool = False
) -> ForgetResult:
    """Anonymise (``purge``: delete) what the store holds of ``accounts`` (handles or profile
    URLs) and record the request in the registry, so a later collection does not bring them
    back.  ``dry_run`` changes nothing and says what would change."""
    found, changes = erase_accounts(ctx.engine, accounts, purge=purge, dry_run=dry_run)
    new = 0
    if not dry_run:
        salt = registry_salts(ctx.engine, create=True)[0]
        names = list(accounts)
        for acc in found:
            names.append(acc.key)
            if acc.handle:
                names.append(acc.handle)
        digests = [digest(salt, n) for n in dict.fromkeys(names)]
        new = register(
            ctx.engine,
            digests,
            platform=None,
            reason="purge" if purge else "forget",
            now=ctx.clock(),
            changes=changes.counts(),
        )
    return ForgetResult(len(accounts), len(found), purge, dry_run, changes.counts(), new)


def prune(settings: Settings, ctx: JobContext, *, dry_run: bool = False) -> dict[str, Any]:
    """The retention job: raw payloads and texts older than ``[retention]`` allows."""
    from echochamber.store import prune as prune_store

    r = settings.retention
    return prune_store(
        ctx.engine,
        ctx.clock(),
        raw_payloads_days=r.raw_payloads_days,
        text_days=r.text_days,
        dry_run=dry_run,
    )


OPTED_OUT_LABEL = "an account that opted out"


def _named(handle: str | None) -> bool:
    return bool(handle) and not is_hashed(str(handle))


def public_story(story: Story) -> Story:
    """The report's story naming only accounts that post publicly without an opt-out signal:
    an account without a handle (anonymised) reads as :data:`OPTED_OUT_LABEL`, without its
    name, and a conversation whose root URI is a pseudonym shows no link.

    >>> from echochamber.models import VoiceView
    >>> voices = (VoiceView(None, "x", 1), VoiceView("ana@a.example", "Ana", 2))
    >>> [(v.handle, v.display_name) for v in public_story(Story(new_voices=voices)).new_voices]
    [('an account that opted out', None), ('ana@a.example', 'Ana')]
    """

    def node(n: TreeNode) -> TreeNode:
        kids = tuple(node(c) for c in n.children)
        return replace(n, handle=n.handle if _named(n.handle) else OPTED_OUT_LABEL, children=kids)

    return Story(
        conversations=tuple(
            replace(c, root=node(c.root), uri="" if is_hashed(c.uri) else c.uri)
            for c in story.conversations
        ),
        bridges=tuple(
            b if _named(b.handle) else replace(b, handle=OPTED_OUT_LABEL) for b in story.bridges
        ),
        new_voices=tuple(
            v if _named(v.handle) else replace(v, handle=OPTED_OUT_LABEL, display_name=None)
            for v in story.new_voices
        ),
    )
