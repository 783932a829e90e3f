"""Bluesky through the ``atproto`` SDK: tag search, threads, reposts, likes and quotes.

``app.bsky.feed.searchPosts`` (sort ``latest``) is paged with its cursor until it reaches the
stream's newest stored post (the cursor is the newest ``indexedAt`` seen, advanced once a pass is
complete).  Threads, reposts, likes and quotes are fetched for settling roots.  Handle and app
password come from the environment; without them the public AppView is read anonymously.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from echochamber.collect.base import Options, Revisit, revisit_each
from echochamber.collect.consent import ConsentRules
from echochamber.collect.normalize_bluesky import normalize_records
from echochamber.config import BlueskySource, Settings
from echochamber.errors import AuthError, RateLimited, SourceError, SourceUnavailable
from echochamber.models import Cursor, Page, PageSink, Platform, Stream, WatchedPost
from echochamber.text import is_hashed

log = logging.getLogger(__name__)
PUBLIC = "https://public.api.bsky.app"


class BlueskyClient:
    """Raw XRPC queries through the SDK's client, with 429 and 5xx handling."""

    def __init__(
        self,
        base_url: str = PUBLIC,
        handle: str | None = None,
        password: str | None = None,
        *,
        max_retries: int = 4,
        max_wait: float = 900,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            from atproto import Client
        except ImportError:
            raise SourceError(
                "Bluesky collection needs atproto: pip install 'echochamber[bluesky]'"
            ) from None
        self.client = Client(base_url=base_url)
        self.base_url = base_url
        self.sleep = sleep
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.requests = 0
        if handle and password:
            try:
                self.client.login(handle, password)
            except Exception as exc:  # the SDK raises its own tree; name it once
                raise AuthError(f"Bluesky login as {handle} failed: {type(exc).__name__}") from None

    def query(self, nsid: str, **params: Any) -> dict[str, Any]:
        from atproto_client import exceptions

        clean = {k: v for k, v in params.items() if v is not None}
        for attempt in range(self.max_retries + 1):
            self.requests += 1
            try:
                res = self.client.invoke_query(nsid, params=_params(nsid, clean))
            except exceptions.RateLimitExceededError as exc:
                wait = _reset_in(getattr(exc, "response", None))
                if wait > self.max_wait:
                    raise RateLimited(
                        f"Bluesky {nsid}: rate limited for {wait:.0f}s", reset_in=wait
                    ) from None
                self.sleep(wait)
                continue
            except (exceptions.NetworkError, exceptions.InvokeTimeoutError) as exc:
                if attempt == self.max_retries:
                    raise SourceUnavailable(
                        f"Bluesky {nsid} kept failing: {type(exc).__name__}"
                    ) from None
                self.sleep(min(2**attempt, 30))
                continue
            except exceptions.UnauthorizedError:
                raise AuthError(
                    f"Bluesky {nsid}: unauthorized; set "
                    "ECHOCHAMBER_BLUESKY_HANDLE and _APP_PASSWORD"
                ) from None
            except exceptions.AtProtocolError as exc:
                raise SourceError(f"Bluesky {nsid} failed: {type(exc).__name__}") from None
            content = res.content
            if not isinstance(content, dict):
                raise SourceError(f"Bluesky {nsid}: unexpected response")
            return content
        raise SourceUnavailable(f"Bluesky {nsid} kept failing")


def _params(nsid: str, values: dict[str, Any]) -> Any:
    """The SDK's typed params model of an XRPC query (``app.bsky.feed.searchPosts`` ->
    ``models.AppBskyFeedSearchPosts.Params``)."""
    from atproto_client import models

    name = "".join(part[:1].upper() + part[1:] for part in nsid.split("."))
    return getattr(models, name).Params(**values)


def _reset_in(response: Any, default: float = 5.0) -> float:
    headers = getattr(response, "headers", None) or {}
    for key in ("ratelimit-reset", "RateLimit-Reset"):
        if key in headers:
            try:
                return max(0.5, float(headers[key]) - time.time())
            except ValueError:
                break
    return default


def collect_tag(
    client: BlueskyClient,
    tag: str,
    newest: str | None,
    sink: PageSink,
    *,
    tracked: Iterable[str] = (),
    max_pages: int = 50,
    stop: Callable[[], bool] = lambda: False,
    consent: ConsentRules | None = None,
) -> None:
    """Page ``searchPosts`` for ``#tag`` (latest first) down to the stream's cursor.

    The cursor (the newest ``indexedAt`` seen) moves once the pass is complete.
    """
    cursor: str | None = None
    top = newest
    for _ in range(max_pages):
        body = client.query(
            "app.bsky.feed.searchPosts", q=f"#{tag}", sort="latest", limit=100, cursor=cursor
        )
        posts = body.get("posts") or []
        batch = normalize_records([body], tracked=tracked, consent=consent)
        sink(Page(batch, json.dumps(body).encode(), "app.bsky.feed.searchPosts"))
        stamps = [p.get("indexedAt") for p in posts if p.get("indexedAt")]
        if stamps and (top is None or max(stamps) > top):
            top = max(stamps)
        reached_old = newest is not None and any(s <= newest for s in stamps)
        cursor = body.get("cursor")
        if stop():
            return
        if not posts or not cursor or reached_old:
            break
    if top is not None and top != newest:
        sink.advance(top)


def enrich_post(
    client: BlueskyClient,
    uri: str,
    sink: PageSink,
    *,
    tracked: Iterable[str] = (),
    consent: ConsentRules | None = None,
) -> None:
    """The thread, reposts, likes and quotes of one settling post, all pages (none for a
    post whose author opted out: its URI is a pseudonym the service cannot resolve)."""
    if is_hashed(uri):
        return
    thread = client.query("app.bsky.feed.getPostThread", uri=uri, depth=100)
    tree = normalize_records([thread], tracked=tracked, consent=consent)
    sink(Page(tree, json.dumps(thread).encode(), "app.bsky.feed.getPostThread"))
    posted_at = next((p.created_at for p in tree.posts if p.uri == uri), None)
    for nsid in (
        "app.bsky.feed.getRepostedBy",
        "app.bsky.feed.getLikes",
        "app.bsky.feed.getQuotes",
    ):
        cursor = None
        for _ in range(20):
            body = client.query(nsid, uri=uri, limit=100, cursor=cursor)
            body.setdefault("uri", uri)
            batch = normalize_records([body], tracked=tracked, posted_at=posted_at, consent=consent)
            sink(Page(batch, json.dumps(body).encode(), nsid))
            cursor = body.get("cursor")
            items = body.get("repostedBy") or body.get("likes") or body.get("posts") or []
            if not cursor or not items:
                break


class BlueskySearch:
    """Bluesky as a :class:`~echochamber.collect.base.Source`: one stream per tag."""

    platform: ClassVar[Platform] = "bluesky"

    def __init__(self, config: BlueskySource, settings: Settings, options: Options) -> None:
        self.config = config
        self.settings = settings
        self.options = options
        factory = options.client_factory or BlueskyClient
        self.client = factory(
            config.service,
            os.environ.get(config.handle_env),
            os.environ.get(config.password_env),
            sleep=options.sleep,
        )

    @property
    def server(self) -> str:
        return self.config.service

    @property
    def requests(self) -> int:
        return int(self.client.requests)

    def streams(self) -> Sequence[Stream]:
        return [Stream("bluesky", self.config.service, t, t) for t in self.config.tags]

    def collect(self, stream: Stream, cursor: Cursor, sink: PageSink) -> None:
        collect_tag(
            self.client,
            stream.name,
            cursor.newest_id,
            sink,
            tracked=self.settings.tags,
            stop=self.options.stop,
            consent=ConsentRules.of(self.settings),
        )

    def revisit(self, watched: WatchedPost, sink: PageSink) -> None:
        enrich_post(
            self.client,
            watched.post.uri,
            sink,
            tracked=self.settings.tags,
            consent=ConsentRules.of(self.settings),
        )

    def revisit_many(self, watched: Sequence[WatchedPost], sink: PageSink) -> Iterator[Revisit]:
        return revisit_each(self, watched, sink, self.options.stop)

    def notes(self) -> Sequence[str]:
        return []


def sources(settings: Settings, options: Options) -> list[BlueskySearch]:
    """The ``[sources.bluesky]`` search, if configured."""
    return [] if settings.bluesky is None else [BlueskySearch(settings.bluesky, settings, options)]
