"""Twitter/X API v2 recent search through twarc's ``Twarc2``, in the archives' page format.

Each stream is a query (``#hcsm`` for a tag) with a ``since_id`` cursor.  A pass stores every
page (raw and normalised) as it comes and advances the cursor only when the pass is complete,
so an interrupted pass is fetched again and stores nothing twice.  Settling conversations are
expanded by ``conversation_id:<id>`` searches.  twarc waits out 429s itself (by the
``x-rate-limit-reset`` header); the bearer token comes from the environment only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter

from echochamber.collect.base import Options, Revisit, revisit_each
from echochamber.collect.normalize_twitter import normalize_page
from echochamber.config import Settings, TwitterSource
from echochamber.errors import AuthError, ConfigError, SourceError
from echochamber.models import Cursor, Page, PageSink, Platform, StoredPage, Stream, WatchedPost

log = logging.getLogger(__name__)
API = "https://api.twitter.com"
FIELDS = {
    "expansions": "author_id,referenced_tweets.id,referenced_tweets.id.author_id,"
    "entities.mentions.username,in_reply_to_user_id",
    "tweet_fields": "author_id,conversation_id,created_at,entities,in_reply_to_user_id,lang,"
    "public_metrics,referenced_tweets",
    "user_fields": "created_at,name,public_metrics,username",
}


class _Rebase(HTTPAdapter):
    """Send requests for the API host to another base URL (a proxy, or a replay in tests)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:  # type: ignore[override]
        if request.url is not None and request.url.startswith(API):
            request.url = self.base + request.url[len(API) :]
        return super().send(request, *args, **kwargs)


def make_client(token: str, api_base: str | None = None) -> Any:
    """A ``Twarc2`` client; ``api_base`` reroutes ``https://api.twitter.com``."""
    try:
        from twarc import Twarc2
    except ImportError:
        raise SourceError(
            "Twitter collection needs twarc: pip install 'echochamber[twitter]'"
        ) from None
    client = Twarc2(bearer_token=token)
    if api_base:
        client.client.mount(API, _Rebase(api_base))
    return client


def tag_query(tag: str) -> str:
    """The search query of a tracked tag (retweets included: they are boosts)."""
    return f"#{tag}"


def _pages(client: Any, query: str, since_id: str | None) -> Iterator[dict[str, Any]]:
    try:
        yield from client.search_recent(query, since_id=since_id, max_results=100, **FIELDS)
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else None
        if code in (401, 403):
            raise AuthError(
                f"Twitter refused the bearer token ({code}); check ECHOCHAMBER_TWITTER_BEARER_TOKEN"
            ) from None
        raise SourceError(f"Twitter search {query!r} failed: HTTP {code}") from None
    except requests.RequestException as exc:
        raise SourceError(f"Twitter search {query!r} failed: {type(exc).__name__}") from None


def collect_query(
    client: Any,
    query: str,
    since_id: str | None,
    sink: PageSink,
    *,
    tracked: Iterable[str] = (),
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """One pass of a search stream; the cursor moves to the newest id once the pass is done.

    An interrupted pass moves no cursor, so the next run repeats it (storing nothing twice).
    """
    newest = since_id
    for page in _pages(client, query, since_id):
        meta = page.get("meta") or {}
        batch = normalize_page(page, tracked=tracked)
        sink(Page(batch, json.dumps(page).encode(), f"{API}/2/tweets/search/recent"))
        cand = meta.get("newest_id")
        if cand and (newest is None or int(cand) > int(newest)):
            newest = cand
        if stop():
            return
    if newest is not None and newest != since_id:
        sink.advance(newest)


def expand_conversations(
    client: Any, conversation_ids: Iterable[str], sink: PageSink, *, tracked: Iterable[str] = ()
) -> int:
    """Fetch replies of settling roots by ``conversation_id:`` searches; returns posts stored."""
    stored_posts = 0
    for cid in conversation_ids:
        for page in _pages(client, f"conversation_id:{cid}", None):
            batch = normalize_page(page, tracked=tracked)
            stored_posts += sink(
                Page(batch, json.dumps(page).encode(), f"{API}/2/tweets/search/recent")
            ).posts_new
    return stored_posts


class TwitterSearch:
    """X/Twitter as a :class:`~echochamber.collect.base.Source`: one stream per tag or query."""

    platform: ClassVar[Platform] = "twitter"
    server = "api.twitter.com"

    def __init__(self, config: TwitterSource, settings: Settings, options: Options) -> None:
        token = os.environ.get(config.token_env)
        if not token:
            raise ConfigError(f"sources.twitter: set {config.token_env} to an X API bearer token")
        self.config = config
        self.settings = settings
        self.options = options
        factory = options.client_factory or make_client
        self.client = factory(token, config.api_base)
        self._requests = 0

    @property
    def requests(self) -> int:
        return self._requests

    def streams(self) -> Sequence[Stream]:
        tags = [Stream("twitter", self.server, tag_query(t), t) for t in self.config.tags]
        return tags + [Stream("twitter", self.server, q) for q in self.config.queries]

    def _counting(self, sink: PageSink) -> PageSink:
        return _Counted(sink, self)

    def collect(self, stream: Stream, cursor: Cursor, sink: PageSink) -> None:
        collect_query(
            self.client,
            stream.name,
            cursor.newest_id,
            self._counting(sink),
            tracked=self.settings.tags,
            stop=self.options.stop,
        )

    def revisit(self, watched: WatchedPost, sink: PageSink) -> None:
        expand_conversations(
            self.client, [watched.native_id], self._counting(sink), tracked=self.settings.tags
        )

    def revisit_many(self, watched: Sequence[WatchedPost], sink: PageSink) -> Iterator[Revisit]:
        return revisit_each(self, watched, sink, self.options.stop)

    def notes(self) -> Sequence[str]:
        return []


class _Counted:
    """A sink that counts the pages (one search request each) passing through it."""

    def __init__(self, sink: PageSink, owner: TwitterSearch) -> None:
        self.sink = sink
        self.owner = owner

    def __call__(self, page: Page) -> StoredPage:
        self.owner._requests += 1
        return self.sink(page)

    def advance(self, cursor: str) -> None:
        self.sink.advance(cursor)


def sources(settings: Settings, options: Options) -> list[TwitterSearch]:
    """The ``[sources.twitter]`` search, if configured."""
    return [] if settings.twitter is None else [TwitterSearch(settings.twitter, settings, options)]
