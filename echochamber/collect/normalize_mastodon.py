"""Pure: Mastodon API JSON (Status, Account) -> :mod:`echochamber.models` objects.

Identity rules (docs/design.md):

* an account's key is its profile ``url`` on its home server, the same through every server;
  a local account's ``acct`` has no domain, so its handle is qualified with the host of that
  profile URL (its home), or with the serving server when there is none;
* a post's key is its ActivityPub ``uri``; ids are local to the serving server, kept as
  strings;
* ``in_reply_to_id`` is a local id: it is resolved through the statuses of the same batch or the
  ``known`` map the collector passes in (local id -> (uri, author key)); where it cannot be
  resolved, the post keeps ``in_reply_to_native`` and the reply tie is derived from
  ``in_reply_to_account_id`` through the author or the post's mentions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from echochamber.collect.clean import clean_batch
from echochamber.collect.consent import NOINDEX_ONLY, ConsentRules, anonymise, mastodon_signal
from echochamber.errors import ImportFormatError
from echochamber.models import Account, Batch, Interaction, Post
from echochamber.text import (
    clean_text,
    html_to_text,
    normalize_tag,
    parse_time,
    server_host,
)

JSON = Mapping[str, Any]


@dataclass
class _Ctx:
    server: str
    host: str
    tracked: frozenset[str]
    rules: ConsentRules
    known: Mapping[str, tuple[str, str]]
    local: dict[str, tuple[str, str]] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    local_account: dict[str, str] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    interactions: dict[tuple[str, str, str, str], Interaction] = field(default_factory=dict)
    seen: dict[int, tuple[JSON, Account]] = field(default_factory=dict)
    optouts: set[str] = field(default_factory=set)
    built: dict[bytes, tuple[Account, str]] = field(default_factory=dict)


def _require(obj: JSON, name: str) -> Any:
    value = obj.get(name)
    if value is None or value == "":
        raise ImportFormatError(f"status has no {name!r} field")
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _qualified(acct: str, profile: Any, ctx: _Ctx) -> str:
    """``user@home``: a local acct has no domain, and its home is the host of the profile URL
    (the server that answered may be a mirror, or a test server on another address); without
    a profile URL, the answering server.

    >>> _qualified("ana", "https://hcsm.demo/@ana", _Ctx("http://127.0.0.1:8000", "127.0.0.1:8000",
    ...     frozenset(), ConsentRules(), {}))
    'ana@hcsm.demo'
    """
    if "@" in acct:
        return acct
    home = server_host(profile) if isinstance(profile, str) and "//" in profile else ctx.host
    return f"{acct}@{home}"


def _account(obj: JSON, ctx: _Ctx) -> Account:
    if not isinstance(obj, Mapping):
        raise ImportFormatError("status 'account' is not an object")
    seen = ctx.seen.get(id(obj))
    if seen is not None and seen[0] is obj:  # the same object again in this page
        return seen[1]
    get = obj.get
    try:  # what the account is made of, exactly (true is not 1 here)
        fields: bytes | None = orjson.dumps([get(name) for name in _ACCOUNT_FIELDS])
    except TypeError:
        fields = None
    built = ctx.built.get(fields) if fields is not None else None
    if built is None:  # not an equal object earlier in the page
        built = _new_account(obj, ctx)
        if fields is not None:
            ctx.built[fields] = built
    account, key = built
    ctx.accounts[account.key] = account
    ctx.seen[id(obj)] = (obj, account)
    if obj.get("id") is not None:
        ctx.local_account[str(obj["id"])] = account.key
        # a noindex account is reachable under its url too, so mentions of it hash alike
        ctx.local_account.setdefault(key, account.key)
    return account


_ACCOUNT_FIELDS = (
    "username",
    "acct",
    "url",
    "uri",
    "noindex",
    "indexable",
    "bot",
    "display_name",
    "followers_count",
    "following_count",
    "discoverable",
    "created_at",
)
"""What :func:`_new_account` reads of an Account object (and the consent signals: the
opt-out words of a profile are read once per account and page, on the first copy)."""


def _new_account(obj: JSON, ctx: _Ctx) -> tuple[Account, str]:
    """The account and its profile URL (its key, unless hashed)."""
    username = str(obj.get("username") or "")
    acct = str(obj.get("acct") or username)
    profile = obj.get("url") or obj.get("uri")
    handle = _qualified(acct, profile, ctx)
    url = profile or f"https://{handle.split('@', 1)[1]}/@{username}"
    key = str(url)
    noindex = bool(obj.get("noindex"))
    if mastodon_signal(obj, ctx.rules) is not None:
        ctx.optouts.add(key)  # anonymised with the whole batch (collect/consent.py)
    created = obj.get("created_at")
    account = Account(
        platform="mastodon",
        key=key,
        handle=handle,
        display_name=clean_text(obj.get("display_name")) or None,
        server=handle.split("@", 1)[1],
        followers=_int(obj.get("followers_count")),
        following=_int(obj.get("following_count")),
        bot=bool(obj.get("bot")),
        noindex=noindex,
        discoverable=obj.get("discoverable") if isinstance(obj.get("discoverable"), bool) else None,
        created_at=parse_time(created) if created else None,
    )
    return account, key


def _add(ctx: _Ctx, tie: Interaction) -> None:
    if tie.actor != tie.target:
        ctx.interactions[(tie.kind, tie.actor, tie.target, tie.subject)] = tie


def _quoted(status: JSON) -> JSON | None:
    quote = status.get("quote")
    if not isinstance(quote, Mapping):
        return None
    inner = quote.get("quoted_status")
    if isinstance(inner, Mapping):
        return inner
    if "uri" in quote and "account" in quote:  # older forks embed the Status itself
        return quote
    return None


def _status(obj: JSON, ctx: _Ctx) -> Post:
    uri = str(_require(obj, "uri"))
    native = str(_require(obj, "id"))
    created = parse_time(obj.get("created_at"))
    author = _account(_require(obj, "account"), ctx)
    ctx.local[native] = (uri, author.key)

    reblog = obj.get("reblog")
    boost_of: str | None = None
    if isinstance(reblog, Mapping):
        original = _status(reblog, ctx)
        boost_of = original.uri
        _add(
            ctx,
            Interaction(
                "mastodon",
                "boost",
                author.key,
                original.author,
                original.uri,
                created,
                target_post=original.uri,
            ),
        )

    quoted = _quoted(obj)
    quote_of = _status(quoted, ctx).uri if quoted is not None else None

    tags = tuple(
        sorted(
            {
                normalize_tag(str(t.get("name", "")))
                for t in obj.get("tags") or ()
                if isinstance(t, Mapping) and t.get("name")
            }
        )
    )
    mentions: list[str] = []
    mention_ids: dict[str, str] = {}
    for m in obj.get("mentions") or ():
        if not isinstance(m, Mapping) or not (m.get("url") or m.get("acct")):
            continue
        raw_key = str(m.get("url") or m.get("acct"))
        key = ctx.local_account.get(raw_key, raw_key)
        mentions.append(key)
        if key not in ctx.accounts and m.get("acct"):
            # an account the page does not describe keeps the username its mention carries
            handle = _qualified(str(m["acct"]), m.get("url"), ctx)
            ctx.accounts[key] = Account("mastodon", key, handle=handle, server=handle.split("@")[1])
        if m.get("id") is not None:
            mention_ids[str(m["id"])] = key
            ctx.local_account.setdefault(str(m["id"]), key)

    parent_native = obj.get("in_reply_to_id")
    parent_uri: str | None = None
    reply_target: str | None = None
    if parent_native is not None:
        parent_native = str(parent_native)
        found = ctx.local.get(parent_native) or ctx.known.get(parent_native)
        if found:
            parent_uri, reply_target = found
        account_id = obj.get("in_reply_to_account_id")
        if reply_target is None and account_id is not None:
            account_id = str(account_id)
            reply_target = mention_ids.get(account_id) or ctx.local_account.get(account_id)

    text = html_to_text(obj.get("content"))
    spoiler = clean_text(obj.get("spoiler_text"))
    if spoiler and text:
        text = f"{spoiler}\n{text}"
    post = Post(
        platform="mastodon",
        uri=uri,
        native_id=native,
        author=author.key,
        created_at=created,
        text=text,
        language=obj.get("language") if isinstance(obj.get("language"), str) else None,
        url=obj.get("url") if isinstance(obj.get("url"), str) else None,
        hashtags=tags,
        mentions=tuple(dict.fromkeys(mentions)),
        in_reply_to=parent_uri,
        in_reply_to_account=reply_target,
        in_reply_to_native=parent_native if parent_uri is None else None,
        boost_of=boost_of,
        quote_of=quote_of,
        replies_count=_int(obj.get("replies_count")),
        boosts_count=_int(obj.get("reblogs_count")),
        favourites_count=_int(obj.get("favourites_count")),
        quotes_count=_int(obj.get("quotes_count")),
        tagged=bool(ctx.tracked.intersection(tags)) and boost_of is None,
        source=ctx.host,
    )
    if reply_target is not None:
        _add(
            ctx,
            Interaction(
                "mastodon", "reply", author.key, reply_target, uri, created, target_post=parent_uri
            ),
        )
    if quoted is not None and quote_of is not None:
        quoted_author = ctx.posts[quote_of].author
        _add(
            ctx,
            Interaction(
                "mastodon", "quote", author.key, quoted_author, uri, created, target_post=quote_of
            ),
        )
    if boost_of is None:
        for key in post.mentions:
            _add(
                ctx,
                Interaction(
                    "mastodon",
                    "mention",
                    author.key,
                    key,
                    uri,
                    created,
                    via_reply=key == reply_target,
                ),
            )
    previous = ctx.posts.get(uri)
    if previous is None or (previous.in_reply_to is None and post.in_reply_to is not None):
        ctx.posts[uri] = post
    return post


def normalize_statuses(
    statuses: Iterable[JSON],
    *,
    server: str,
    tracked: Iterable[str] = (),
    known: Mapping[str, tuple[str, str]] | None = None,
    respect_noindex: bool = True,
    consent: ConsentRules | None = None,
) -> Batch:
    """Normalise a page of Status objects served by ``server``.

    Boosted and quoted statuses embedded in a status are normalised too; the accounts that
    show an opt-out signal under ``consent`` (the collectors pass ``[consent]``'s rules;
    without, noindex alone as ``respect_noindex`` says) are anonymised
    (:mod:`echochamber.collect.consent`).  Raises
    :class:`~echochamber.errors.ImportFormatError` naming the missing field on a malformed status.
    """
    ctx = _Ctx(
        server=server,
        host=server_host(server),
        tracked=frozenset(normalize_tag(t) for t in tracked),
        rules=_rules(consent, respect_noindex),
        known=known or {},
    )
    for status in statuses:
        if not isinstance(status, Mapping):
            raise ImportFormatError("expected a Status object")
        _status(status, ctx)
    batch = clean_batch(
        Batch(
            tuple(ctx.accounts.values()),
            tuple(ctx.posts.values()),
            tuple(ctx.interactions.values()),
        )
    )
    return anonymise(batch, ctx.optouts)


def _rules(consent: ConsentRules | None, respect_noindex: bool) -> ConsentRules:
    if consent is None:  # a caller without settings: noindex alone, as the first releases
        consent = NOINDEX_ONLY
    if not respect_noindex and consent.noindex:
        consent = ConsentRules(
            False,
            consent.indexable,
            consent.discoverable,
            consent.words,
            consent.bluesky_label,
            consent.exclude,
        )
    return consent


def normalize_actors(
    accounts: Iterable[JSON],
    post: Post,
    kind: str,
    *,
    server: str,
    respect_noindex: bool = True,
    consent: ConsentRules | None = None,
) -> Batch:
    """Ties from a ``reblogged_by`` (``kind="boost"``) or ``favourited_by`` list for ``post``.

    The time of such a tie is unknown; the post's own time stands in for it.
    """
    if kind not in ("boost", "favourite"):
        raise ValueError(f"kind must be boost or favourite, not {kind!r}")
    ctx = _Ctx(server, server_host(server), frozenset(), _rules(consent, respect_noindex), {})
    for obj in accounts:
        account = _account(obj, ctx)
        _add(
            ctx,
            Interaction(
                "mastodon",
                kind,  # type: ignore[arg-type]
                account.key,
                post.author,
                post.uri,
                post.created_at,
                target_post=post.uri,
            ),
        )
    batch = clean_batch(Batch(tuple(ctx.accounts.values()), (), tuple(ctx.interactions.values())))
    return anonymise(batch, ctx.optouts)
