"""Cleaning and length rules for every normaliser's :class:`~echochamber.models.Batch`.

What the store can hold is decided here, the same for SQLite and PostgreSQL, before a record
reaches either: PostgreSQL refuses a NUL byte, a string longer than its column and a count
beyond a 32-bit integer, while SQLite would take them all silently.  The rules:

* control characters, bidi overrides and lone surrogates are removed from every string
  (text keeps its newlines and tabs, and loses only NUL bytes and lone surrogates);
* an identity that is too long (an account key over 512 characters, a post URI or a tie's
  subject over 1,024, a local id over 128) cannot be shortened without becoming another
  record: the record is skipped and named, and so is everything that needs it;
* a descriptive field that is too long (handle, display name, server, tag) is truncated; a
  too-long URL, reference or language is dropped (a cut URL points nowhere);
* a count outside what the columns hold is dropped.

Every change is recorded in :attr:`Batch.notes` as ``post URI: reason`` (at most
:data:`MAX_NOTES` of them, then a count), so the run's report says what happened.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from echochamber.models import Account, Batch, Interaction, Post

LIMITS = {
    "account.key": 512,
    "account.handle": 320,
    "account.display_name": 512,
    "account.server": 255,
    "post.uri": 1024,
    "post.native_id": 128,
    "post.language": 16,
    "post.url": 1024,
    "post.in_reply_to": 1024,
    "post.in_reply_to_native": 128,
    "post.conversation_root": 1024,
    "post.boost_of": 1024,
    "post.quote_of": 1024,
    "post.source": 255,
    "tag": 255,
    "interaction.subject": 1024,
    "interaction.target_post": 1024,
}
"""Column lengths of the store (a test keeps them equal to ``store/schema.py``)."""

INT32 = 2**31 - 1
INT64 = 2**63 - 1
MAX_NOTES = 20

_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_TEXT_BAD = re.compile(r"[\x00\ud800-\udfff]")
_REFS = ("in_reply_to", "in_reply_to_native", "conversation_root", "boost_of", "quote_of")
_COUNTS = ("replies_count", "boosts_count", "favourites_count", "quotes_count")


def _short(name: str) -> str:
    return name if len(name) <= 100 else name[:97] + "..."


class _Cleaner:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.dropped = 0

    def note(self, what: str, reason: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(f"{_short(_CONTROL.sub('', what))}: {reason}")
        else:
            self.dropped += 1

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            return _CONTROL.sub("", value)
        return value

    def fit(self, value: str | None, limit: str, what: str, *, cut: bool) -> str | None:
        """The scrubbed value, truncated (``cut``) or dropped when over the limit."""
        value = self.scrub(value)
        if value is None or len(value) <= LIMITS[limit]:
            return value
        field = limit.split(".")[-1]
        if cut:
            self.note(what, f"{field} over {LIMITS[limit]} characters, truncated")
            return str(value[: LIMITS[limit]])
        self.note(what, f"{field} over {LIMITS[limit]} characters, dropped")
        return None

    def count(self, value: int | None, top: int, field: str, what: str) -> int | None:
        if value is None or 0 <= value <= top:
            return value
        self.note(what, f"{field} {value} out of range, dropped")
        return None


def _fits(values: tuple[str | None, ...], limits: tuple[int, ...]) -> bool:
    """Are these strings free of what is scrubbed and within their limits?  (The fast path:
    a clean record is returned as it is, without building a cleaned copy to compare.)"""
    for value, limit in zip(values, limits, strict=True):
        if value is not None and (len(value) > limit or _CONTROL.search(value)):
            return False
    return True


def _counted(values: tuple[int | None, ...], top: int) -> bool:
    return all(v is None or 0 <= v <= top for v in values)


_ACCOUNT_LIMITS = tuple(LIMITS[f"account.{f}"] for f in ("key", "handle", "display_name", "server"))
_POST_FIELDS = ("uri", "native_id", "language", "url", "source", *_REFS)  # in this order
_POST_LIMITS = tuple(LIMITS[f"post.{f}"] for f in _POST_FIELDS)
_TIE_LIMITS = (
    LIMITS["account.key"],
    LIMITS["account.key"],
    LIMITS["interaction.subject"],
    LIMITS["interaction.target_post"],
)


def _account(c: _Cleaner, a: Account) -> Account | None:
    if _fits((a.key, a.handle, a.display_name, a.server), _ACCOUNT_LIMITS) and _counted(
        (a.followers, a.following), INT64
    ):
        return a
    key = c.scrub(a.key)
    if len(key) > LIMITS["account.key"]:
        c.note(key, f"account key over {LIMITS['account.key']} characters; account skipped")
        return None
    what = key
    new = replace(
        a,
        key=key,
        handle=c.fit(a.handle, "account.handle", what, cut=True),
        display_name=c.fit(a.display_name, "account.display_name", what, cut=True),
        server=c.fit(a.server, "account.server", what, cut=True),
        followers=c.count(a.followers, INT64, "followers", what),
        following=c.count(a.following, INT64, "following", what),
    )
    return a if new == a else new


def _key(c: _Cleaner, key: str | None) -> str | None:
    """A referenced account key, scrubbed; ``None`` when too long to be stored."""
    key = c.scrub(key)
    return None if key is None or len(key) > LIMITS["account.key"] else key


def _post_clean(p: Post) -> bool:
    """Does the post pass every rule unchanged?"""
    key = LIMITS["account.key"]
    tag = LIMITS["tag"]
    if not _fits(
        (p.uri, p.native_id, p.language, p.url, p.source, p.in_reply_to, p.in_reply_to_native),
        _POST_LIMITS[:7],
    ) or not _fits((p.conversation_root, p.boost_of, p.quote_of), _POST_LIMITS[7:]):
        return False
    if len(p.author) > key or (p.in_reply_to_account and len(p.in_reply_to_account) > key):
        return False
    if any(len(m) > key for m in p.mentions) or any(len(t) > tag for t in p.hashtags):
        return False
    names = "\n".join((p.author, p.in_reply_to_account or "", *p.mentions, *p.hashtags))
    return (
        not _CONTROL.search(names)
        and len(set(p.hashtags)) == len(p.hashtags)
        and _counted((p.replies_count, p.boosts_count, p.favourites_count, p.quotes_count), INT32)
        and not _TEXT_BAD.search(p.text)
    )


def _post(c: _Cleaner, p: Post) -> Post | None:
    if _post_clean(p):
        return p
    uri = c.scrub(p.uri)
    if len(uri) > LIMITS["post.uri"]:
        c.note(uri, f"post URI over {LIMITS['post.uri']} characters; post skipped")
        return None
    native = c.scrub(p.native_id)
    if len(native) > LIMITS["post.native_id"]:
        c.note(uri, f"local id over {LIMITS['post.native_id']} characters; post skipped")
        return None
    author = _key(c, p.author)
    if author is None:
        c.note(uri, "author key too long to store; post skipped")
        return None
    text = _TEXT_BAD.sub("", p.text) if _TEXT_BAD.search(p.text) else p.text
    changes: dict[str, Any] = {
        "uri": uri,
        "native_id": native,
        "author": author,
        "text": text,
        "language": c.fit(p.language, "post.language", uri, cut=False),
        "url": c.fit(p.url, "post.url", uri, cut=False),
        "source": c.fit(p.source, "post.source", uri, cut=True),
        "in_reply_to_account": _key(c, p.in_reply_to_account),
        "mentions": tuple(k for k in (_key(c, m) for m in p.mentions) if k is not None),
        "hashtags": tuple(
            dict.fromkeys(
                t for t in (c.fit(h, "tag", uri, cut=True) for h in p.hashtags) if t is not None
            )
        ),
    }
    for ref in _REFS:
        changes[ref] = c.fit(getattr(p, ref), f"post.{ref}", uri, cut=False)
    for name in _COUNTS:
        changes[name] = c.count(getattr(p, name), INT32, name, uri)
    new = replace(p, **changes)
    return p if new == p else new


def _tie(c: _Cleaner, t: Interaction) -> Interaction | None:
    if _fits((t.actor, t.target, t.subject, t.target_post), _TIE_LIMITS):
        return t
    actor, target = _key(c, t.actor), _key(c, t.target)
    subject = c.scrub(t.subject)
    if actor is None or target is None or len(subject) > LIMITS["interaction.subject"]:
        c.note(subject, f"{t.kind} tie with a key or URI too long to store; skipped")
        return None
    target_post = c.fit(t.target_post, "interaction.target_post", subject, cut=False)
    new = replace(t, actor=actor, target=target, subject=subject, target_post=target_post)
    return t if new == t else new


def clean_batch(batch: Batch) -> Batch:
    """The batch as the store can hold it on every database; changes noted in ``notes``."""
    c = _Cleaner()
    accounts = [a2 for a2 in (_account(c, a) for a in batch.accounts) if a2 is not None]
    posts = [p2 for p2 in (_post(c, p) for p in batch.posts) if p2 is not None]
    ties = [t2 for t2 in (_tie(c, t) for t in batch.interactions) if t2 is not None]
    same = (
        len(accounts) == len(batch.accounts)
        and len(posts) == len(batch.posts)
        and len(ties) == len(batch.interactions)
        and all(x is y for x, y in zip(accounts, batch.accounts, strict=True))
        and all(x is y for x, y in zip(posts, batch.posts, strict=True))
        and all(x is y for x, y in zip(ties, batch.interactions, strict=True))
    )
    if same:
        return batch
    skipped_accounts = {c.scrub(a.key) for a in batch.accounts} - {a.key for a in accounts}
    skipped_posts = {c.scrub(p.uri) for p in batch.posts} - {p.uri for p in posts}
    posts = [p for p in posts if p.author not in skipped_accounts]
    ties = [
        t
        for t in ties
        if t.actor not in skipped_accounts
        and t.target not in skipped_accounts
        and t.subject not in skipped_posts
    ]
    notes = list(c.notes)
    if c.dropped:
        notes.append(f"and {c.dropped} more cleaning notes")
    return Batch(
        tuple(accounts), tuple(posts), tuple(ties), batch.notes + tuple(notes), batch.optouts
    )
