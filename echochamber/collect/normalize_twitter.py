"""Pure: Twitter/X JSON -> models. API v2 pages (twarc2), flattened tweets, v1.1 statuses.

One parser serves the archives and the live collector, which stores the same v2 pages.
Identity: accounts ``twitter:<user id>``, posts ``https://twitter.com/i/web/status/<id>``.
Ties: retweet -> ``boost`` (subject: the original), quote -> ``quote``, reply -> ``reply`` to
``in_reply_to_user_id`` (even when the parent is not in the file), each mention -> ``mention``
(``via_reply`` when it names the replied-to account); retweets carry no mention ties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from echochamber.collect.accumulator import Accumulator
from echochamber.errors import ImportFormatError
from echochamber.models import Account, Batch, Post
from echochamber.text import clean_text, normalize_tag

JSON = Mapping[str, Any]


def account_key(user_id: Any) -> str:
    return f"twitter:{user_id}"


def post_uri(tweet_id: Any) -> str:
    return f"https://twitter.com/i/web/status/{tweet_id}"


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise ImportFormatError(f"tweet has no usable 'created_at': {value!r}")
    try:
        if value[:4].isdigit():  # v2: 2021-04-08T15:07:30.000Z
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:  # v1.1: Wed Oct 10 20:19:24 +0000 2018
            t = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError as exc:
        raise ImportFormatError(f"'created_at' is not a time: {value!r}") from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class _Out(Accumulator):
    platform = "twitter"

    def __init__(self, tracked: Iterable[str]) -> None:
        super().__init__()
        self.tracked = frozenset(normalize_tag(t) for t in tracked)
        self.described: set[str] = set()  # keys whose profile this page holds

    def account(self, user: JSON | None, user_id: Any = None, username: Any = None) -> str | None:
        """The key of a user, recording its profile; a mentioned account the page does not
        describe keeps the ``username`` its mention entity carries as its handle."""
        uid = (user or {}).get("id_str") or (user or {}).get("id") or user_id
        if uid is None:
            return None
        key = account_key(uid)
        old = self.accounts.get(key)
        if key in self.described:
            return key  # already known with its profile in this page
        if not user and username and (old is None or old.handle is None):
            self.accounts[key] = Account(platform="twitter", key=key, handle=f"@{username}")
            return key
        if user:
            self.described.add(key)
            metrics = user.get("public_metrics") or {}
            name = user.get("username") or user.get("screen_name")
            acc = Account(
                platform="twitter",
                key=key,
                handle=f"@{name}" if name else None,
                display_name=clean_text(user.get("name")) or None,
                followers=metrics.get("followers_count", user.get("followers_count")),
                following=metrics.get("following_count", user.get("friends_count")),
                bot=False,
                created_at=None,
            )
            self.accounts[key] = acc
        elif old is None:
            self.accounts[key] = Account(platform="twitter", key=key)
        return key


def _v2_tweet(
    t: JSON,
    out: _Out,
    users: Mapping[str, JSON],
    tweets: Mapping[str, JSON],
    names: Mapping[str, JSON],
    depth: int = 0,
) -> Post:
    """One v2 tweet; ``users``/``tweets`` are the page's includes, ``names`` its users by
    lower-case username (mentions may carry a username only)."""
    tid = t.get("id")
    if tid is None:
        raise ImportFormatError("tweet has no 'id'")
    author_id = t.get("author_id") or (t.get("author") or {}).get("id")
    if author_id is None:
        raise ImportFormatError(f"tweet {tid} has no 'author_id'")
    author = out.account(t.get("author") or users.get(str(author_id)), author_id)
    if author is None:
        raise ImportFormatError(f"tweet {tid} has no author")
    created = _time(t.get("created_at"))
    uri = post_uri(tid)
    refs = {r.get("type"): r for r in t.get("referenced_tweets") or () if isinstance(r, Mapping)}
    ents = t.get("entities") or {}
    tags = tuple(
        sorted(
            {normalize_tag(h.get("tag", "")) for h in ents.get("hashtags") or () if h.get("tag")}
        )
    )
    reply_to_user = t.get("in_reply_to_user_id") or (t.get("in_reply_to_user") or {}).get("id")
    reply_target = (
        out.account(t.get("in_reply_to_user") or users.get(str(reply_to_user)), reply_to_user)
        if reply_to_user
        else None
    )
    boost_of = quote_of = parent = None
    for kind in ("retweeted", "quoted", "replied_to"):
        ref = refs.get(kind)
        if ref is None:
            continue
        ref_tweet = ref if "text" in ref else tweets.get(str(ref.get("id")))
        ref_author = None
        if (
            ref_tweet is not None
            and depth < 2
            and ("author_id" in ref_tweet or "author" in ref_tweet)
        ):
            ref_author = _v2_tweet(ref_tweet, out, users, tweets, names, depth + 1).author
        ref_uri = post_uri(ref["id"])
        if kind == "retweeted":
            boost_of = ref_uri
            if ref_author is None and ents.get("mentions"):
                m = ents["mentions"][0]
                ref_author = out.account(users.get(str(m.get("id"))) or None, m.get("id"))
            out.tie("boost", author, ref_author, ref_uri, created, target_post=ref_uri)
        elif kind == "quoted":
            quote_of = ref_uri
            out.tie("quote", author, ref_author, uri, created, target_post=ref_uri)
        else:
            parent = ref_uri
            reply_target = reply_target or ref_author
    mentions: list[str] = []
    for m in ents.get("mentions") or ():
        mid = m.get("id") or (names.get(str(m.get("username", "")).lower()) or {}).get("id")
        if mid is None:
            continue  # a mention whose account id is unknown cannot be keyed
        key = out.account(users.get(str(mid)), mid, m.get("username"))
        if key:
            mentions.append(key)
            if boost_of is None:  # a retweet repeats the original's mentions: no ties
                out.tie("mention", author, key, uri, created, via_reply=key == reply_target)
    if boost_of is None and reply_target:
        out.tie("reply", author, reply_target, uri, created, target_post=parent)
    metrics = t.get("public_metrics") or {}
    conv = t.get("conversation_id")
    post = Post(
        platform="twitter",
        uri=uri,
        native_id=str(tid),
        author=author,
        created_at=created,
        text=clean_text(t.get("text")),
        language=t.get("lang"),
        hashtags=tags,
        mentions=tuple(dict.fromkeys(mentions)),
        in_reply_to=parent,
        in_reply_to_account=reply_target,
        conversation_root=post_uri(conv) if conv else None,
        boost_of=boost_of,
        quote_of=quote_of,
        replies_count=metrics.get("reply_count"),
        boosts_count=metrics.get("retweet_count"),
        favourites_count=metrics.get("like_count"),
        quotes_count=metrics.get("quote_count"),
        tagged=bool(out.tracked.intersection(tags)) and boost_of is None,
        source="twitter",
    )
    if depth == 0 or uri not in out.posts:
        out.posts[uri] = post
    return post


def _v1_status(s: JSON, out: _Out, depth: int = 0) -> Post:
    tid = s.get("id_str") or s.get("id")
    if tid is None:
        raise ImportFormatError("status has no 'id_str'")
    user = s.get("user")
    if not isinstance(user, Mapping):
        raise ImportFormatError(f"status {tid} has no 'user'")
    author = out.account(user)
    if author is None:
        raise ImportFormatError(f"status {tid} has no user id")
    created = _time(s.get("created_at"))
    uri = post_uri(tid)
    ents = s.get("extended_tweet", {}).get("entities") or s.get("entities") or {}
    tags = tuple(
        sorted(
            {normalize_tag(h.get("text", "")) for h in ents.get("hashtags") or () if h.get("text")}
        )
    )
    boost_of = quote_of = None
    rt = s.get("retweeted_status")
    if isinstance(rt, Mapping) and depth < 2:
        original = _v1_status(rt, out, depth + 1)
        boost_of = original.uri
        out.tie("boost", author, original.author, original.uri, created, target_post=original.uri)
    qt = s.get("quoted_status")
    if isinstance(qt, Mapping) and depth < 2:
        quoted = _v1_status(qt, out, depth + 1)
        quote_of = quoted.uri
        out.tie("quote", author, quoted.author, uri, created, target_post=quoted.uri)
    parent_id = s.get("in_reply_to_status_id_str") or s.get("in_reply_to_status_id")
    reply_user = s.get("in_reply_to_user_id_str") or s.get("in_reply_to_user_id")
    reply_target = account_key(reply_user) if reply_user else None
    if reply_target and reply_target not in out.accounts:
        name = s.get("in_reply_to_screen_name")
        out.accounts[reply_target] = Account(
            "twitter", reply_target, handle=f"@{name}" if name else None
        )
    mentions: list[str] = []
    for m in ents.get("user_mentions") or ():
        key = out.account(
            {
                "id_str": m.get("id_str") or m.get("id"),
                "screen_name": m.get("screen_name"),
                "name": m.get("name"),
            }
        )
        if key:
            mentions.append(key)
            if boost_of is None:
                out.tie("mention", author, key, uri, created, via_reply=key == reply_target)
    if boost_of is None and reply_target:
        out.tie(
            "reply",
            author,
            reply_target,
            uri,
            created,
            target_post=post_uri(parent_id) if parent_id else None,
        )
    text = s.get("full_text") or s.get("extended_tweet", {}).get("full_text") or s.get("text")
    post = Post(
        platform="twitter",
        uri=uri,
        native_id=str(tid),
        author=author,
        created_at=created,
        text=clean_text(text),
        language=s.get("lang"),
        hashtags=tags,
        mentions=tuple(dict.fromkeys(mentions)),
        in_reply_to=post_uri(parent_id) if parent_id else None,
        in_reply_to_account=reply_target,
        boost_of=boost_of,
        quote_of=quote_of,
        boosts_count=s.get("retweet_count"),
        favourites_count=s.get("favorite_count"),
        tagged=bool(out.tracked.intersection(tags)) and boost_of is None,
        source="twitter",
    )
    if depth == 0 or uri not in out.posts:
        out.posts[uri] = post
    return post


def normalize_page(page: JSON, *, tracked: Iterable[str] = (), out: _Out | None = None) -> Batch:
    """One API v2 response page: ``data`` with ``includes.users`` and ``includes.tweets``."""
    o = out or _Out(tracked)
    inc = page.get("includes") or {}
    users = {str(u["id"]): u for u in inc.get("users") or () if isinstance(u, Mapping)}
    tweets = {str(t["id"]): t for t in inc.get("tweets") or () if isinstance(t, Mapping)}
    names = {str(u.get("username", "")).lower(): u for u in users.values()}
    for u in users.values():
        o.account(u)
    data = page.get("data") or []
    if isinstance(data, Mapping):
        data = [data]
    for t in data:
        _v2_tweet(t, o, users, tweets, names)
    return o.batch()


def normalize_records(records: Sequence[JSON], *, tracked: Iterable[str] = ()) -> Batch:
    """Any mix of v2 pages, flattened v2 tweets and v1.1 statuses."""
    out = _Out(tracked)
    for r in records:
        if "data" in r and ("includes" in r or "meta" in r):
            normalize_page(r, out=out)
        elif "author_id" in r or "author" in r:
            _v2_tweet(r, out, {}, {}, {})
        elif "user" in r and ("id_str" in r or "id" in r):
            _v1_status(r, out)
        elif "data" in r:  # an error-only page ({"errors": ...}) or empty result
            normalize_page(r, out=out)
        else:
            raise ImportFormatError("not a tweet, a v1.1 status or an API v2 page")
    return out.batch()
