"""Mastodon as a :class:`~echochamber.collect.base.Source`: one source per configured server.

Each (server, tag) is a stream: forward from the cursor, then the backfill back to ``since``
(:class:`~echochamber.collect.mastodon.StreamCollector`).  Revisits ask each watched post at
its home server first (:mod:`echochamber.collect.enrich`), several servers at once: worker
threads make the requests, at most ``collect.per_server_requests`` posts per server at a time,
so a slow or failing server holds up only its own posts; pages are stored in the caller's
thread as each post's answers come in.
"""

from __future__ import annotations

import queue
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import ClassVar

from echochamber.collect.base import Options, Revisit
from echochamber.collect.consent import ConsentRules
from echochamber.collect.enrich import Enricher, Fetched
from echochamber.collect.homeserver import Servers, home_url
from echochamber.collect.mastodon import StreamCollector
from echochamber.collect.mastodon_client import MastodonClient
from echochamber.collect.wire import Budget
from echochamber.config import MastodonSource, Settings
from echochamber.errors import SourceError
from echochamber.models import Cursor, PageSink, Platform, Stream, WatchedPost
from echochamber.text import one_line, server_host


def _no_lookup(server: str, ids: Iterable[str]) -> Mapping[str, tuple[str, str]]:
    return {}


class MastodonServer:
    """The streams of one configured Mastodon server and the posts it serves."""

    platform: ClassVar[Platform] = "mastodon"

    def __init__(
        self,
        config: MastodonSource,
        settings: Settings,
        options: Options,
        servers: Servers | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.options = options
        c = settings.collect
        self.budget = Budget(c.request_budget)
        self.client = self._new_client()
        self._pool: queue.Queue[MastodonClient] | None = None
        self._clients = [self.client]
        self.servers = servers or _servers(settings, options)
        self._enricher: Enricher | None = None

    def _new_client(self) -> MastodonClient:
        c = self.settings.collect
        if self.options.client_factory is not None:
            client: MastodonClient = self.options.client_factory(self.config, self.settings)
            return client
        return MastodonClient(
            self.config.server,
            self.config.token,
            timeout=c.timeout,
            max_retries=c.max_retries,
            budget=self.budget,
            max_wait=c.max_wait,
            backoff_base=c.backoff_base,
            sleep=self.options.sleep,
            user_agent=c.agent,
            routes=self.options.routes,
        )

    @property
    def server(self) -> str:
        return self.config.server

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self._clients) + self.servers.requests()

    def streams(self) -> Sequence[Stream]:
        return [Stream("mastodon", self.config.server, t, t) for t in self.config.tags]

    def _resolve(self, host: str, ids: Iterable[str]) -> Mapping[str, tuple[str, str]]:
        ids = list(ids)
        if not ids:
            return {}
        lookup = self.options.local_posts or _no_lookup
        return lookup(host, ids)

    def collect(self, stream: Stream, cursor: Cursor, sink: PageSink) -> None:
        worker = StreamCollector(
            self.client,
            stream.name,
            sink,
            tracked=self.settings.tags,
            resolve=lambda ids: self._resolve(server_host(self.config.server), ids),
            respect_noindex=self.settings.collect.respect_noindex,
            consent=ConsentRules.of(self.settings),
            progress=self.options.progress,
            stop=self.options.stop,
        )
        if cursor.newest_id is None:
            worker.backfill(None, self.config.since, None)
            return
        newest = worker.forward(cursor.newest_id)
        if not cursor.backfill_done:
            worker.backfill(cursor.backfill_max_id, self.config.since, newest)

    @contextmanager
    def _borrow(self) -> Iterator[MastodonClient]:
        """One of this server's clients for a revisit (at most ``per_server_requests``)."""
        if self._pool is None:
            self._pool = queue.Queue()
            self._pool.put(self.client)
            for _ in range(self.settings.collect.per_server_requests - 1):
                extra = self._new_client()
                self._clients.append(extra)
                self._pool.put(extra)
        client = self._pool.get()
        try:
            yield client
        finally:
            self._pool.put(client)

    def enricher(self) -> Enricher:
        if self._enricher is None:
            self._enricher = Enricher(
                self.config.server,
                self.client.has_token,
                self._borrow,
                self.servers,
                home_servers=self.settings.collect.home_servers,
                tracked=self.settings.tags,
                resolve=self._resolve,
                respect_noindex=self.settings.collect.respect_noindex,
                consent=ConsentRules.of(self.settings),
            )
        return self._enricher

    def _store(self, fetched: Fetched, sink: PageSink) -> Revisit:
        enricher = self.enricher()
        enricher.skipped.update(n for n in fetched.notes if fetched.error is None)
        try:
            for page in enricher.pages(fetched):
                sink(page)
        except SourceError as exc:
            return Revisit(fetched.watched, one_line(exc, 300))
        return Revisit(fetched.watched, fetched.error, fetched.budget)

    def revisit(self, watched: WatchedPost, sink: PageSink) -> None:
        outcome = self._store(self.enricher().fetch(watched), sink)
        if outcome.error:
            raise SourceError(outcome.error)

    def revisit_many(self, watched: Sequence[WatchedPost], sink: PageSink) -> Iterator[Revisit]:
        enricher = self.enricher()
        c = self.settings.collect
        queues: dict[str, deque[WatchedPost]] = {}
        for w in watched:
            home = server_host(home_url(w.post.uri) or self.config.server)
            queues.setdefault(home, deque()).append(w)
        inflight: Counter[str] = Counter()
        running: dict[Future[Fetched], str] = {}
        stopping = False
        try:
            with ThreadPoolExecutor(max_workers=c.revisit_workers) as pool:
                while running or (queues and not stopping):
                    for host in list(queues) if not stopping else []:
                        q = queues[host]
                        while q and inflight[host] < c.per_server_requests:
                            running[pool.submit(enricher.fetch, q.popleft())] = host
                            inflight[host] += 1
                        if not q:
                            del queues[host]
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        inflight[running.pop(future)] -= 1
                        outcome = self._store(future.result(), sink)
                        stopping = stopping or outcome.budget or self.options.stop()
                        yield outcome
        finally:
            if self.options.save_servers is not None:
                self.options.save_servers(self.servers.states())

    def notes(self) -> Sequence[str]:
        skipped = set(self._enricher.skipped) if self._enricher else set()
        return sorted(skipped | set(self.servers.notes()))


def _servers(settings: Settings, options: Options) -> Servers:
    c = settings.collect
    return Servers(
        c,
        options.servers or {},
        Budget(c.request_budget),
        sleep=options.sleep,
        routes=options.routes,
    )


def sources(settings: Settings, options: Options) -> list[MastodonServer]:
    """One source per configured ``[[sources.mastodon]]`` server; they share one view of the
    fediverse's servers (breakers, software) and one request budget for home servers."""
    servers = _servers(settings, options)
    return [MastodonServer(config, settings, options, servers) for config in settings.mastodon]
