"""Pure: opt-out signals read from a platform's JSON, and a batch anonymised for them.

An account that opted out (docs/data-and-consent.md) stays a node of the graph under a hashed
key and keeps nothing that names it: no handle, display name, follower counts or creation
time; its posts keep no text and no URL, and their URIs (which carry the username) are hashed
too, in every post and tie that refers to them.  Mentions of it in other people's texts are
blanked.  A :class:`~echochamber.models.Batch` carries the original keys of the accounts it
anonymised in ``optouts`` so the store can anonymise what it already holds of them (a signal
set since the last visit); those keys are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from echochamber.config import ConsentSettings, Settings
from echochamber.models import Account, Batch, Interaction, Post
from echochamber.text import blank_mentions, hashed_key, hashed_uri, html_to_text, is_hashed

BLUESKY_LABEL = "!no-unauthenticated"


@dataclass(frozen=True)
class ConsentRules:
    """Which signals count (from ``[consent]``); ``exclude`` holds lower-case handles/keys."""

    noindex: bool = True
    indexable: bool = True
    discoverable: bool = True
    words: tuple[str, ...] = ("#nobot", "#noindex", "#nosearch", "#noarchive")
    bluesky_label: bool = True
    exclude: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, settings: Settings | ConsentSettings, *, respect_noindex: bool = True
    ) -> ConsentRules:
        """The rules of ``settings`` (``collect.respect_noindex = false`` turns noindex off)."""
        if isinstance(settings, Settings):
            respect_noindex = respect_noindex and settings.collect.respect_noindex
            settings = settings.consent
        return cls(
            noindex=settings.noindex and respect_noindex,
            indexable=settings.indexable,
            discoverable=settings.discoverable,
            words=tuple(w.casefold() for w in settings.words if w.strip()),
            bluesky_label=settings.bluesky_label,
            exclude=frozenset(normal_ident(x) for x in settings.exclude if x.strip()),
        )

    @property
    def any(self) -> bool:
        """Whether any signal is honoured at all."""
        return bool(
            self.noindex
            or self.indexable
            or self.discoverable
            or self.words
            or self.bluesky_label
            or self.exclude
        )


NO_RULES = ConsentRules(False, False, False, (), False, frozenset())
NOINDEX_ONLY = ConsentRules(True, False, False, (), False, frozenset())
"""What a normaliser honours when its caller passes no rules (the first releases' noindex)."""


def normal_ident(ident: str) -> str:
    """How a handle or key is compared: lower case, without a leading ``@`` or ``acct:``.

    >>> normal_ident(" @Ana@Example.org "), normal_ident("acct:ana@example.org")
    ('ana@example.org', 'ana@example.org')
    """
    text = ident.strip().casefold()
    text = text.removeprefix("acct:")
    return text[1:] if text.startswith("@") and "//" not in text else text


def mastodon_signal(obj: Mapping[str, Any], rules: ConsentRules) -> str | None:
    """The opt-out signal a Mastodon Account object shows under ``rules`` (``None``: none).

    >>> mastodon_signal({"noindex": True}, ConsentRules()), mastodon_signal({}, ConsentRules())
    ('noindex', None)
    >>> mastodon_signal({"note": "<p>nurse. #NoBot</p>"}, ConsentRules())
    '#nobot'
    """
    if rules.noindex and obj.get("noindex") is True:
        return "noindex"
    if rules.indexable and obj.get("indexable") is False:
        return "indexable"
    if rules.discoverable and obj.get("discoverable") is False:
        return "discoverable"
    if rules.words:
        texts = [html_to_text(obj.get("note"))]
        for f in obj.get("fields") or ():
            if isinstance(f, Mapping):
                texts.extend(html_to_text(f.get(k)) for k in ("name", "value"))
        profile = " ".join(texts).casefold()
        for word in rules.words:
            if re.search(rf"(?<![\w#]){re.escape(word)}(?!\w)", profile):
                return word
    return None


def bluesky_signal(labels: Any, rules: ConsentRules) -> str | None:
    """``!no-unauthenticated`` among an author's labels (self-labels included)."""
    if not rules.bluesky_label or not isinstance(labels, list):
        return None
    for label in labels:
        if (
            isinstance(label, Mapping)
            and label.get("val") == BLUESKY_LABEL
            and not label.get("neg")
        ):
            return BLUESKY_LABEL
    return None


def excluded(batch: Batch, rules: ConsentRules) -> set[str]:
    """Keys of the batch's accounts named in ``[consent] exclude`` (by key or handle)."""
    if not rules.exclude:
        return set()
    return {
        a.key
        for a in batch.accounts
        if normal_ident(a.key) in rules.exclude
        or (a.handle is not None and normal_ident(a.handle) in rules.exclude)
    }


def owned_uris(batch: Batch, owners: Collection[str]) -> set[tuple[str, str]]:
    """``(platform, uri)`` of every post of the batch known to be written by ``owners``: their
    posts, the parents of replies to them, and the posts their ties name as theirs (a boost's
    or favourite's subject, any tie's target post)."""
    out: set[tuple[str, str]] = set()
    for p in batch.posts:
        if p.author in owners:
            out.add((p.platform, p.uri))
        if p.in_reply_to and p.in_reply_to_account in owners:
            out.add((p.platform, p.in_reply_to))
    for t in batch.interactions:
        if t.target in owners and t.target_post:
            out.add((t.platform, t.target_post))
        by_target = t.kind in ("boost", "favourite")
        if (t.target if by_target else t.actor) in owners:
            out.add((t.platform, t.subject))
    return {(pl, u) for pl, u in out if not is_hashed(u)}


def anonymise(batch: Batch, keys: Collection[str]) -> Batch:
    """``batch`` with the accounts of ``keys`` anonymised (see the module docstring).

    Keys already hashed are left alone; the original keys anonymised are added to
    ``batch.optouts``.
    """
    wanted = {k for k in keys if not is_hashed(k)}
    if not wanted:
        return batch
    platform_of = {a.key: a.platform for a in batch.accounts}
    for p in batch.posts:
        platform_of.setdefault(p.author, p.platform)
        for k in (p.in_reply_to_account, *p.mentions):
            if k is not None:
                platform_of.setdefault(k, p.platform)
    for t in batch.interactions:
        platform_of.setdefault(t.actor, t.platform)
        platform_of.setdefault(t.target, t.platform)
    amap = {k: hashed_key(platform_of[k], k) for k in wanted if k in platform_of}
    if not amap:
        return batch
    umap = {u: hashed_uri(platform, u) for platform, u in owned_uris(batch, amap)}
    handles = [a.handle for a in batch.accounts if a.key in amap and a.handle]

    def acc(k: str | None) -> str | None:
        return None if k is None else amap.get(k, k)

    def uri(u: str | None) -> str | None:
        return None if u is None else umap.get(u, u)

    accounts: dict[str, Account] = {}
    for a in batch.accounts:
        if a.key in amap:
            a = Account(a.platform, amap[a.key], server=a.server, bot=a.bot, noindex=True)
            if a.key in accounts:
                continue
        accounts[a.key] = a
    posts: list[Post] = []
    for p in batch.posts:
        mine = p.author in amap
        text = "" if mine or p.boost_of in umap else blank_mentions(p.text, handles)
        posts.append(
            replace(
                p,
                uri=umap.get(p.uri, p.uri),
                author=amap.get(p.author, p.author),
                text=text,
                url=None if mine else p.url,
                mentions=tuple(dict.fromkeys(amap.get(m, m) for m in p.mentions)),
                in_reply_to=uri(p.in_reply_to),
                in_reply_to_account=acc(p.in_reply_to_account),
                conversation_root=uri(p.conversation_root),
                boost_of=uri(p.boost_of),
                quote_of=uri(p.quote_of),
            )
        )
    ties: dict[tuple[str, str, str, str], Interaction] = {}
    for t in batch.interactions:
        t = replace(
            t,
            actor=amap.get(t.actor, t.actor),
            target=amap.get(t.target, t.target),
            subject=umap.get(t.subject, t.subject),
            target_post=uri(t.target_post),
        )
        ties[(t.kind, t.actor, t.target, t.subject)] = t
    return replace(
        batch,
        accounts=tuple(accounts.values()),
        posts=tuple(posts),
        interactions=tuple(ties.values()),
        optouts=tuple(dict.fromkeys((*batch.optouts, *sorted(amap)))),
    )
