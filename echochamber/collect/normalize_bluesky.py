"""Pure: Bluesky (AT Protocol) JSON -> models.

Post views as ``searchPosts``, ``getPostThread``, feeds (with ``reasonRepost``), ``getQuotes``
serve them; ``getLikes`` and ``getRepostedBy`` lists.  Accounts are keyed by DID, posts by their
``at://`` URI.  The DID of a reply's parent or a quoted post is part of its URI, so those ties
are known even when the other post was never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from echochamber.collect.accumulator import Accumulator
from echochamber.collect.consent import ConsentRules, anonymise, bluesky_signal
from echochamber.errors import ImportFormatError
from echochamber.models import Account, Batch, Post
from echochamber.text import clean_text, normalize_tag, parse_time

JSON = Mapping[str, Any]


def did_of(uri: str | None) -> str | None:
    """``at://did:plc:x/app.bsky.feed.post/y`` -> ``did:plc:x``.

    >>> did_of("at://did:plc:abc/app.bsky.feed.post/3k")
    'did:plc:abc'
    """
    if not uri or not uri.startswith("at://"):
        return None
    return uri[5:].split("/", 1)[0] or None


def _time(value: Any) -> datetime:
    return parse_time(value, "createdAt")


_TID = "234567abcdefghijklmnopqrstuvwxyz"


def tid_time(uri: str) -> datetime | None:
    """When a post was written, from its record key: a TID is 53 bits of microseconds since
    1970 and 10 bits of clock id in sortable base 32 (AT Protocol record keys); ``None`` when
    the key is not a TID.

    >>> tid_time("at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a").isoformat()
    '2023-06-30T15:03:01.887007+00:00'
    >>> tid_time("at://did:plc:abc/app.bsky.feed.post/self") is None
    True
    """
    key = uri.rsplit("/", 1)[-1]
    if len(key) != 13 or key[0] not in _TID[:16] or not set(key) <= set(_TID):
        return None
    value = 0
    for c in key:
        value = value * 32 + _TID.index(c)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value >> 10)


def _quoted_uri(embed: Any) -> str | None:
    """The quoted post of a record's embed (``embed.record`` or ``recordWithMedia``)."""
    if not isinstance(embed, Mapping):
        return None
    kind = str(embed.get("$type", ""))
    rec = embed.get("record")
    if kind.startswith("app.bsky.embed.recordWithMedia") and isinstance(rec, Mapping):
        rec = rec.get("record")
    elif not kind.startswith("app.bsky.embed.record"):
        return None
    uri = rec.get("uri") if isinstance(rec, Mapping) else None
    return uri if isinstance(uri, str) and "/app.bsky.feed.post/" in uri else None


_HANDLE = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)")


def _facet_text(text: Any, index: Any) -> str:
    """The text a facet covers (its index counts UTF-8 bytes; some clients' slices start a
    character or two early, so the handle is looked for inside it).

    >>> _facet_text("hé @ann.bsky.social!", {"byteStart": 4, "byteEnd": 20})
    '@ann.bsky.social'
    >>> _HANDLE.search(" (@nrennie.bsky.social)").group(1)
    'nrennie.bsky.social'
    """
    if not isinstance(text, str) or not isinstance(index, Mapping):
        return ""
    raw = text.encode()
    start, end = index.get("byteStart"), index.get("byteEnd")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(raw):
        return ""
    return raw[start:end].decode(errors="replace").strip()


class _Out(Accumulator):
    platform = "bluesky"

    def __init__(self, tracked: Iterable[str], rules: ConsentRules | None = None) -> None:
        super().__init__()
        self.tracked = frozenset(normalize_tag(t) for t in tracked)
        self.rules = rules if rules is not None else ConsentRules()  # the label is honoured
        self.optouts: set[str] = set()

    def actor(
        self, a: JSON | None, did: str | None = None, handle: str | None = None
    ) -> str | None:
        """The DID of an actor, recording its profile; a mentioned account the page does not
        describe keeps the handle its mention's text carries."""
        d = (a or {}).get("did") or did
        if not d:
            return None
        if not a and handle and (d not in self.accounts or self.accounts[d].handle is None):
            self.accounts[d] = Account(platform="bluesky", key=d, handle=handle, server="bsky")
            return str(d)
        if a:
            if bluesky_signal(a.get("labels"), self.rules):
                self.optouts.add(str(d))  # anonymised with the whole batch
            self.accounts[d] = Account(
                platform="bluesky",
                key=d,
                handle=a.get("handle"),
                display_name=clean_text(a.get("displayName")) or None,
                server="bsky",
                followers=a.get("followersCount"),
                following=a.get("followsCount"),
            )
        elif d not in self.accounts:
            self.accounts[d] = Account(platform="bluesky", key=d)
        return str(d)

    def post(self, view: JSON) -> Post:
        uri = view.get("uri")
        rec = view.get("record")
        if not isinstance(uri, str) or not isinstance(rec, Mapping):
            raise ImportFormatError("post view has no 'uri' or 'record'")
        author = self.actor(view.get("author"), did_of(uri))
        if author is None:
            raise ImportFormatError(f"post {uri} has no author")
        created = _time(rec.get("createdAt") or view.get("indexedAt"))
        reply = rec.get("reply") or {}
        parent = (reply.get("parent") or {}).get("uri")
        root = (reply.get("root") or {}).get("uri")
        reply_target = did_of(parent)
        if reply_target:
            self.actor(None, reply_target)
        tags: set[str] = {normalize_tag(t) for t in rec.get("tags") or () if isinstance(t, str)}
        mentions: list[str] = []
        for facet in rec.get("facets") or ():
            for f in facet.get("features") or ():
                kind = str(f.get("$type", ""))
                if kind.endswith("#tag") and f.get("tag"):
                    tags.add(normalize_tag(f["tag"]))
                elif kind.endswith("#mention") and f.get("did"):
                    named = _HANDLE.search(_facet_text(rec.get("text"), facet.get("index")))
                    handle = named.group(1) if named else None
                    mentions.append(str(self.actor(None, f["did"], handle)))
        quote = _quoted_uri(rec.get("embed"))
        tagset = tuple(sorted(tags))
        p = Post(
            platform="bluesky",
            uri=uri,
            native_id=uri.rsplit("/", 1)[-1],
            author=author,
            created_at=created,
            text=clean_text(rec.get("text")),
            language=(rec.get("langs") or [None])[0],
            hashtags=tagset,
            mentions=tuple(dict.fromkeys(mentions)),
            in_reply_to=parent,
            in_reply_to_account=reply_target,
            conversation_root=root,
            quote_of=quote,
            replies_count=view.get("replyCount"),
            boosts_count=view.get("repostCount"),
            favourites_count=view.get("likeCount"),
            quotes_count=view.get("quoteCount"),
            tagged=bool(self.tracked.intersection(tagset)),
            source="bsky",
        )
        self.posts[uri] = p
        if reply_target:
            self.tie("reply", author, reply_target, uri, created, target_post=parent)
        if quote:
            self.tie("quote", author, did_of(quote), uri, created, target_post=quote)
        for m in p.mentions:
            self.tie("mention", author, m, uri, created, via_reply=m == reply_target)
        embedded = (view.get("embed") or {}).get("record")
        if isinstance(embedded, Mapping):  # a quoted post's view: keep its author's profile
            inner = (
                embedded.get("record")
                if "record" in embedded and "value" not in embedded and "author" not in embedded
                else embedded
            )
            if isinstance(inner, Mapping) and isinstance(inner.get("author"), Mapping):
                self.actor(inner["author"])
        return p

    def thread(self, node: Any) -> None:
        if not isinstance(node, Mapping) or "post" not in node:
            return
        self.post(node["post"])
        parent = node.get("parent")
        while isinstance(parent, Mapping) and "post" in parent:
            self.post(parent["post"])
            parent = parent.get("parent")
        for r in node.get("replies") or ():
            self.thread(r)


def normalize_records(
    records: Sequence[JSON],
    *,
    tracked: Iterable[str] = (),
    posted_at: datetime | None = None,
    consent: ConsentRules | None = None,
) -> Batch:
    """Any mix of post views, searchPosts/getQuotes/feed responses, threads, likes, reposts.

    Likes and reposts are read after every post of the batch, so a list dated by its post
    finds the post wherever it is in the batch.  A like or repost without a time of its own
    is dated by its post: the post's ``createdAt`` when the batch has it, else the time in the
    post's record key, else ``posted_at`` (the post's time, known from elsewhere); with none
    of these it is refused (it must not fall into whatever week the import happens to run in).
    Authors labelled ``!no-unauthenticated`` are anonymised (:mod:`.consent`).
    """
    out = _Out(tracked, consent)
    lists = []
    for r in records:
        if "thread" in r:
            out.thread(r["thread"])
        elif "posts" in r:
            for v in r["posts"]:
                out.post(v)
        elif "feed" in r:
            for item in r["feed"]:
                p = out.post(item["post"])
                reason = item.get("reason") or {}
                if str(reason.get("$type", "")).endswith("reasonRepost"):
                    by = out.actor(reason.get("by"))
                    if by:
                        at = _time(reason.get("indexedAt") or p.created_at.isoformat())
                        out.tie("boost", by, p.author, p.uri, at, target_post=p.uri)
        elif "likes" in r or "repostedBy" in r:
            lists.append(r)
        elif "uri" in r and "record" in r:
            out.post(r)
        elif "post" in r and isinstance(r["post"], Mapping):
            out.post(r["post"])
        else:
            raise ImportFormatError("not a Bluesky post view, thread, feed or likes/reposts list")
    for r in lists:
        _likes_and_reposts(out, r, posted_at)
    return anonymise(out.batch(), out.optouts)


def _likes_and_reposts(out: _Out, r: JSON, posted_at: datetime | None) -> None:
    uri = r.get("uri")
    target = did_of(uri)
    if not isinstance(uri, str) or not target:
        raise ImportFormatError("likes/reposts list without the post 'uri'")
    out.actor(None, target)
    known = out.posts.get(uri)
    fallback = known.created_at if known else (tid_time(uri) or posted_at)
    likes = r.get("likes") or ()
    undated = any(not like.get("createdAt") for like in likes) or bool(r.get("repostedBy"))
    if fallback is None and undated:
        raise ImportFormatError(
            f"likes/reposts of {uri}: no time of their own, and the post is neither in the "
            "batch nor dated by its record key"
        )
    for like in likes:
        who = out.actor(like.get("actor"))
        when = like.get("createdAt")
        if who:
            at = _time(when) if when else fallback
            if at is not None:
                out.tie("favourite", who, target, uri, at, target_post=uri)
    for actor in r.get("repostedBy") or ():
        who = out.actor(actor)
        if who and fallback is not None:
            out.tie("boost", who, target, uri, fallback, target_post=uri)
