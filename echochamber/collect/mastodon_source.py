"""Mastodon as a :class:`~echochamber.collect.base.Source`: one source per configured server.

Each (server, tag) is a stream: forward from the cursor, then the backfill back to ``since``
(:class:`~echochamber.collect.mastodon.StreamCollector`).  A revisit fetches a settling
post's context, boosts, favourites and quotes
(:class:`~echochamber.collect.mastodon.ConversationEnricher`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from echochamber.collect.base import Options
from echochamber.collect.mastodon import ConversationEnricher, StreamCollector
from echochamber.collect.mastodon_client import MastodonClient
from echochamber.config import MastodonSource, Settings
from echochamber.models import Cursor, PageSink, Platform, Stream, WatchedPost
from echochamber.text import server_host


def _no_lookup(server: str, ids: Iterable[str]) -> Mapping[str, tuple[str, str]]:
    return {}


class MastodonServer:
    """The streams of one configured Mastodon server and the posts it serves."""

    platform: ClassVar[Platform] = "mastodon"

    def __init__(self, config: MastodonSource, settings: Settings, options: Options) -> None:
        self.config = config
        self.settings = settings
        self.options = options
        c = settings.collect
        if options.client_factory is not None:
            self.client: MastodonClient = options.client_factory(config, settings)
        else:
            self.client = MastodonClient(
                config.server,
                config.token,
                timeout=c.timeout,
                max_retries=c.max_retries,
                budget=c.request_budget,
                max_wait=c.max_wait,
                backoff_base=c.backoff_base,
                sleep=options.sleep,
            )
        self._enricher: ConversationEnricher | None = None

    @property
    def server(self) -> str:
        return self.config.server

    @property
    def requests(self) -> int:
        return self.client.requests

    def streams(self) -> Sequence[Stream]:
        return [Stream("mastodon", self.config.server, t, t) for t in self.config.tags]

    def _resolve(self, ids: Iterable[str]) -> Mapping[str, tuple[str, str]]:
        ids = list(ids)
        if not ids:
            return {}
        lookup = self.options.local_posts or _no_lookup
        return lookup(server_host(self.config.server), ids)

    def collect(self, stream: Stream, cursor: Cursor, sink: PageSink) -> None:
        worker = StreamCollector(
            self.client,
            stream.name,
            sink,
            tracked=self.settings.tags,
            resolve=self._resolve,
            respect_noindex=self.settings.collect.respect_noindex,
            progress=self.options.progress,
            stop=self.options.stop,
        )
        if cursor.newest_id is None:
            worker.backfill(None, self.config.since, None)
            return
        newest = worker.forward(cursor.newest_id)
        if not cursor.backfill_done:
            worker.backfill(cursor.backfill_max_id, self.config.since, newest)

    def revisit(self, watched: WatchedPost, sink: PageSink) -> None:
        if self._enricher is None:
            self._enricher = ConversationEnricher(
                self.client,
                tracked=self.settings.tags,
                resolve=self._resolve,
                respect_noindex=self.settings.collect.respect_noindex,
            )
        self._enricher.enrich(watched.post, watched.native_id, sink)

    def notes(self) -> Sequence[str]:
        return sorted(self._enricher.skipped) if self._enricher else []


def sources(settings: Settings, options: Options) -> list[MastodonServer]:
    """One source per configured ``[[sources.mastodon]]`` server."""
    return [MastodonServer(config, settings, options) for config in settings.mastodon]
