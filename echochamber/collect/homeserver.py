"""Home servers: where a post lives, what software runs there, and asking it politely.

A fediverse post's home server is the host of its URI; it holds every reply addressed to the
author, every boost and every favourite (a favourite is delivered only there), so a watched
post is asked there, anonymously, first.  This module knows:

* a post's home (:func:`home_url`) and its local id there (:func:`local_id`: Mastodon-style
  URIs and URLs carry it; otherwise a lookup through the server's search, :func:`lookup`);
* each server's software, learned once from nodeinfo and cached with the store's server
  rows (:func:`nodeinfo`, refreshed after ``collect.nodeinfo_days``);
* politeness: one ``User-Agent`` naming echochamber and the contact URL, at most
  ``collect.per_server_requests`` requests in flight per server (a small pool of clients per
  host), each server's own rate-limit headers (the client honours them);
* a circuit breaker per server (:class:`Breaker`): after ``collect.breaker_failures``
  consecutive failures (timeouts, 5xx, refused connections; a DNS failure or a long rate
  limit at once) the server is skipped for ``collect.breaker_cooldown`` seconds, reported, and
  its posts fall back to the configured server.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from echochamber.collect.mastodon_client import MastodonClient
from echochamber.collect.wire import Budget
from echochamber.config import CollectSettings
from echochamber.errors import SourceError, SourceUnavailable
from echochamber.models import ServerState
from echochamber.text import one_line

MASTODON_API = frozenset(
    {
        "mastodon",
        "hometown",
        "glitch-soc",
        "glitchsoc",
        "fedibird",
        "pleroma",
        "akkoma",
        "gotosocial",
        "iceshrimp",
        "iceshrimp.net",
        "friendica",
        "takahe",
        "snac",
    }
)
"""Software that answers the Mastodon client API (anonymously, for public posts, mostly)."""

_ID_PATTERNS = (
    re.compile(r"/users/[^/]+/statuses/([A-Za-z0-9]+)/?$"),  # Mastodon, GoToSocial URIs
    re.compile(r"/@[^/]+/([0-9]+)/?$"),  # Mastodon URLs
    re.compile(r"/notice/([A-Za-z0-9]+)/?$"),  # Pleroma, Akkoma URLs
)


def home_url(uri: str) -> str | None:
    """``https://host`` of a post URI (``None`` for a URI that is not http(s))."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def local_id(uri: str, url: str | None = None) -> str | None:
    """The post's id on its home server when its URI or URL carries it (Mastodon-style)."""
    for link in (uri, url):
        if not link or home_url(link) != home_url(uri):
            continue
        path = urlsplit(link).path
        for pattern in _ID_PATTERNS:
            m = pattern.search(path)
            if m:
                return m.group(1)
    return None


def nodeinfo(client: MastodonClient) -> tuple[str | None, str | None]:
    """(software name, version) from the server's nodeinfo (2.x), on its own host only."""
    index = client.get_url("nodeinfo", f"{client.server}/.well-known/nodeinfo", paging=False)
    links = index.data.get("links") if index is not None and isinstance(index.data, dict) else None
    hrefs = sorted(
        (str(link.get("rel", "")), str(link.get("href", "")))
        for link in links or ()
        if isinstance(link, dict) and "nodeinfo" in str(link.get("rel", ""))
    )
    href = next((h for _rel, h in reversed(hrefs) if h.startswith(client.server + "/")), None)
    if href is None:
        raise SourceError(f"{client.server}: no nodeinfo on this host")
    doc = client.get_url("nodeinfo", href, paging=False)
    soft = doc.data.get("software") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(soft, dict):
        raise SourceError(f"{client.server}: nodeinfo names no software")
    name = str(soft.get("name") or "").strip().lower() or None
    version = str(soft.get("version") or "").strip() or None
    return name, version


def lookup(client: MastodonClient, uri: str) -> str | None:
    """The local id of ``uri`` on ``client``'s server through its search (no remote fetch)."""
    q = f"{client.server}/api/v2/search?type=statuses&limit=1&resolve=false&q={quote(uri, '')}"
    res = client.get_url("lookup", q, paging=False)
    found = res.data.get("statuses") if res is not None and isinstance(res.data, dict) else None
    for status in found or ():
        if isinstance(status, dict) and status.get("uri") == uri and status.get("id"):
            return str(status["id"])
    return None


class Breaker:
    """One server's circuit breaker (thread-safe); a :class:`~.wire.Guard` for its clients."""

    def __init__(
        self, state: ServerState, failures: int, cooldown: float, clock: Callable[[], float]
    ) -> None:
        self.state = state
        self.threshold = failures
        self.cooldown = cooldown
        self.clock = clock
        self.opened: str | None = None
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def is_open(self) -> bool:
        until = self.state.open_until
        return until is not None and until > self._now()

    def check(self) -> None:
        if self.is_open():
            s = self.state
            until = s.open_until.isoformat(timespec="seconds") if s.open_until else "?"
            raise SourceUnavailable(
                f"{s.host}: skipped until {until} after {s.failures} failures ({s.last_error})"
            )

    def failed(self, why: str, *, until: float | None = None, now: bool = False) -> None:
        with self._lock:
            s = self.state
            failures = s.failures + 1
            stamp = self._now()
            open_until = s.open_until
            if now or until is not None or failures >= self.threshold:
                end = stamp + timedelta(seconds=self.cooldown)
                if until is not None:
                    end = max(end, datetime.fromtimestamp(until, UTC))
                open_until = end
                self.opened = (
                    f"{s.host}: {one_line(why, 120)}; skipped until "
                    f"{end.isoformat(timespec='seconds')} after {failures} failure(s)"
                )
            self.state = replace(
                s,
                failures=failures,
                open_until=open_until,
                last_error=one_line(why, 200),
                last_failure_at=stamp,
            )

    def ok(self) -> None:
        with self._lock:
            if self.state.failures or self.state.open_until:
                self.state = replace(self.state, failures=0, open_until=None)
            self.state = replace(self.state, last_ok_at=self._now())


class Servers:
    """The servers one run asks: their breakers, software and pools of polite clients
    (``routes``: see :mod:`echochamber.collect.routes`)."""

    def __init__(
        self,
        settings: CollectSettings,
        known: Mapping[str, ServerState],
        budget: Budget,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        routes: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.known = dict(known)
        self.budget = budget
        self.sleep = sleep
        self.clock = clock
        self._breakers: dict[str, Breaker] = {}
        self._pools: dict[str, queue.Queue[MastodonClient]] = {}
        self._clients: list[MastodonClient] = []
        self._lock = threading.Lock()
        self._learning: dict[str, threading.Lock] = {}

    def breaker(self, url: str) -> Breaker:
        host = urlsplit(url).netloc or url
        with self._lock:
            if host not in self._breakers:
                state = self.known.get(host) or ServerState(host)
                self._breakers[host] = Breaker(
                    state,
                    self.settings.breaker_failures,
                    self.settings.breaker_cooldown,
                    self.clock,
                )
            return self._breakers[host]

    def _client(self, url: str) -> MastodonClient:
        c = self.settings
        client = MastodonClient(
            url,
            None,
            timeout=c.home_timeout,
            max_retries=c.home_retries,
            budget=self.budget,
            max_wait=c.home_max_wait,
            backoff_base=c.backoff_base,
            sleep=self.sleep,
            user_agent=c.agent,
            guard=self.breaker(url),
            routes=self.routes,
        )
        with self._lock:
            self._clients.append(client)
        return client

    @contextmanager
    def borrow(self, url: str) -> Iterator[MastodonClient]:
        """One of the server's clients; at most ``per_server_requests`` are out at a time."""
        with self._lock:
            pool = self._pools.get(url)
            if pool is None:
                pool = self._pools[url] = queue.Queue()
                fresh = True
            else:
                fresh = False
        if fresh:
            for _ in range(self.settings.per_server_requests):
                pool.put(self._client(url))
        client = pool.get()
        try:
            yield client
        finally:
            pool.put(client)

    def software(self, url: str) -> ServerState:
        """The server's state, its software learned from nodeinfo when unknown or stale."""
        breaker = self.breaker(url)
        with self._lock:
            learning = self._learning.setdefault(url, threading.Lock())
        with learning:
            s = breaker.state
            now = datetime.fromtimestamp(self.clock(), UTC)
            fresh = s.checked_at is not None and now - s.checked_at < timedelta(
                days=self.settings.nodeinfo_days
            )
            if fresh or breaker.is_open():
                return s
            try:
                with self.borrow(url) as client:
                    name, version = nodeinfo(client)
                api: bool | None = None if name is None else name in MASTODON_API
            except SourceError:
                name, version, api = None, None, None
            breaker.state = replace(
                breaker.state, software=name, version=version, api=api, checked_at=now
            )
            return breaker.state

    def usable(self, url: str) -> str | None:
        """Why the server cannot be asked now (``None``: it can)."""
        s = self.software(url)
        breaker = self.breaker(url)
        if breaker.is_open():
            return f"{s.host}: skipped (failing: {s.last_error})"
        if s.api is False:
            return f"{s.host} runs {s.software}, which has no Mastodon API"
        return None

    def states(self) -> list[ServerState]:
        """Every server asked in this run, with its requests added up."""
        counts: dict[str, int] = {}
        for client in self._clients:
            host = urlsplit(client.server).netloc
            counts[host] = counts.get(host, 0) + client.requests
        out = []
        for host, b in sorted(self._breakers.items()):
            out.append(replace(b.state, requests=b.state.requests + counts.get(host, 0)))
        return out

    def requests(self) -> int:
        return sum(c.requests for c in self._clients)

    def notes(self) -> list[str]:
        """The breakers that opened in this run."""
        return sorted(b.opened for b in self._breakers.values() if b.opened)
