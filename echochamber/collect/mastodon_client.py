"""A careful Mastodon API client over Mastodon.py: retries, rate limits, budget, raw bodies.

Mastodon.py makes the requests (auth, errors, rate-limit headers, ``Link`` pagination); a
response hook on its ``requests`` session keeps each raw body, which is what we store and parse
(the exact wire format: string ids, ISO times).  On top of it:

* 5xx, timeouts, connection errors and malformed bodies are retried with exponential backoff
  and full jitter, at most ``max_retries`` times;
* ``X-RateLimit-Remaining``/``Reset`` are honoured before the next call, a 429 waits for the reset,
  and the server's paging throttle (300 requests with ``max_id``/``min_id``/``since_id`` per 15
  minutes per identity) is respected by a sliding window;
* a per-run request budget (a :class:`Budget`, shared by every client of a run) raises
  :class:`~echochamber.errors.BudgetExhausted`;
* a failed DNS lookup is not retried: the host does not exist (now);
* a ``guard`` (a server's circuit breaker, :mod:`echochamber.collect.homeserver`) is told of
  every failure and success and may refuse further attempts;
* ``routes`` (tests, operations) send a public server's requests to a local one on loopback
  while the client keeps its own notion of the server (:mod:`echochamber.collect.routes`).

Tokens are sent as headers only and never appear in messages.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from echochamber.collect.routes import mount
from echochamber.collect.wire import (
    Budget,
    Gone,
    Guard,
    code,
    int_header,
    network,
    no_such_host,
    raise_for,
    reset_header,
    short,
)
from echochamber.errors import (
    AuthError,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from echochamber.text import one_line

log = logging.getLogger(__name__)

PAGING_LIMIT = 300
PAGING_WINDOW = 15 * 60.0
MAX_429 = 10


@dataclass(frozen=True, slots=True)
class RawResponse:
    """A parsed JSON body, its bytes, the URL asked and the ``next`` link if any."""

    data: Any
    body: bytes
    url: str
    next_url: str | None


class MastodonClient:
    """One server, one identity (token or anonymous)."""

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        budget: int | Budget = 2000,
        max_wait: float = 900.0,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        user_agent: str = "echochamber",
        guard: Guard | None = None,
        routes: Mapping[str, str] | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.has_token = bool(token)
        self.max_retries = max_retries
        self.budget = budget if isinstance(budget, Budget) else Budget(budget)
        self.guard = guard
        self.user_agent = user_agent
        self.max_wait = max_wait
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.requests = 0
        self._paging: deque[float] = deque()
        self._last: requests.Response | None = None
        self.session = requests.Session()
        self.session.hooks["response"].append(self._keep)
        mount(self.session, routes)
        self.api = Mastodon(
            api_base_url=self.server,
            access_token=token or None,
            ratelimit_method="throw",
            request_timeout=timeout,
            version_check_mode="none",
            session=self.session,
            user_agent=user_agent,
        )

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    # ------------------------------------------------------------------ pacing
    def _before(self, paging: bool) -> None:
        if self.guard is not None:
            self.guard.check()
        self.budget.spend(self.server)
        remaining = self.api.ratelimit_remaining
        reset = self.api.ratelimit_reset
        now = self.clock()
        if isinstance(remaining, int) and remaining <= 1 and reset and reset > now:
            self._wait(reset - now, "rate limit nearly exhausted")
        if paging:
            while self._paging and now - self._paging[0] > PAGING_WINDOW:
                self._paging.popleft()
            if len(self._paging) >= PAGING_LIMIT:
                self._wait(PAGING_WINDOW - (now - self._paging[0]) + 1, "paging throttle")
            self._paging.append(self.clock())

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait:
            if self.guard is not None:
                self.guard.failed(f"rate limited ({why})", until=self.clock() + seconds)
            raise RateLimited(
                f"{self.server}: {why}; reset in {seconds:.0f}s exceeds the {self.max_wait:.0f}s "
                "we may wait; the next run resumes from the cursor",
                reset_in=seconds,
            )
        log.info("%s: %s, waiting %.1fs", self.server, why, seconds)
        self.sleep(max(0.0, seconds))

    def _backoff(self, attempt: int) -> float:
        return self.rng.uniform(0, self.backoff_base * (2**attempt))

    # ------------------------------------------------------------------ calls
    def call(self, what: str, fn: Callable[[], Any], *, paging: bool = False) -> RawResponse | None:
        """Run one Mastodon.py call with retries; ``None`` when the object is gone (404/410)."""
        last_error = ""
        attempt = limited = 0
        while attempt <= self.max_retries:
            self._before(paging)
            self.requests += 1
            self._last = None
            try:
                fn()
                res = self._raw()
                if self.guard is not None:
                    self.guard.ok()
                return res
            except MastodonNotFoundError:
                return None
            except MastodonUnauthorizedError:
                raise AuthError(
                    f"{self.server}: {what} refused our credentials (401); "
                    "check the token variable named by token_env"
                ) from None
            except MastodonRatelimitError:
                # a 429 is not a failure of the server: wait for the reset, up to a bound
                limited += 1
                if limited > MAX_429:
                    raise RateLimited(
                        f"{self.server}: {what}: {limited} rate-limit answers "
                        "in a row; the next run resumes from the cursor"
                    ) from None
                reset = self.api.ratelimit_reset
                wait = (reset - self.clock()) if reset else self._backoff(limited) + 1
                last_error = "429 rate limited"
                self._wait(max(wait, 0.5), "429 rate limited")
                continue
            except MastodonNetworkError as exc:
                last_error = network(exc)
                if no_such_host(exc):
                    if self.guard is not None:
                        self.guard.failed(last_error, now=True)
                    raise SourceUnavailable(f"{self.server}: {what}: {last_error}") from None
            except MastodonServerError as exc:
                last_error = short(exc)
            except MastodonAPIError as exc:
                if code(exc) == 410:
                    return None
                text = str(exc)
                if "Could not parse response as JSON" not in text:
                    if self.guard is not None and code(exc) in (401, 403):
                        self.guard.ok()  # the server answers; it just will not tell us
                    raise SourceError(f"{self.server}: {what} failed: {short(exc)}") from None
                last_error = "malformed response body"
            except ValueError as exc:  # truncated body that Mastodon.py could not cast
                last_error = one_line(f"malformed response: {exc}", 200)
            if self.guard is not None:
                self.guard.failed(last_error)
            if attempt < self.max_retries:
                delay = self._backoff(attempt)
                log.info(
                    "%s: %s failed (%s), retry %d in %.1fs",
                    self.server,
                    what,
                    last_error,
                    attempt + 1,
                    delay,
                )
                self.sleep(delay)
            attempt += 1
        raise SourceUnavailable(
            f"{self.server}: {what} kept failing after {self.max_retries} retries: {last_error}"
        )

    def _raw(self) -> RawResponse:
        resp = self._last
        if resp is None:  # Mastodon.py answered without an HTTP response (a bug)
            raise SourceError(f"{self.server}: no response was recorded")
        body = resp.content
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON from {resp.url}") from exc
        nxt = resp.links.get("next", {}).get("url")
        return RawResponse(data, body, resp.url, nxt)

    def get_url(self, what: str, url: str, *, paging: bool = True) -> RawResponse | None:
        """Follow a ``Link`` URL (same host) with Mastodon.py's session and our auth."""
        if not url.startswith(self.server + "/"):
            raise SourceError(f"{self.server}: refusing to follow a link to another host")

        def fetch() -> None:
            headers = {"User-Agent": self.user_agent}
            if self.api.access_token:
                headers["Authorization"] = f"Bearer {self.api.access_token}"
            try:
                resp = self.session.get(url, headers=headers, timeout=self.api.request_timeout)
            except requests.RequestException as exc:
                raise MastodonNetworkError(f"request failed: {type(exc).__name__}") from None
            self.api.ratelimit_remaining = int_header(
                resp, "X-RateLimit-Remaining", self.api.ratelimit_remaining
            )
            reset = reset_header(resp)
            if reset is not None:
                self.api.ratelimit_reset = reset  # type: ignore[assignment]
            raise_for(resp)

        return self.call(what, fetch, paging=paging)

    # ------------------------------------------------------------------ endpoints
    def tag_page(
        self, tag: str, *, max_id: str | None = None, min_id: str | None = None
    ) -> RawResponse:
        res = self.call(
            f"#{tag} timeline",
            lambda: self.api.timeline_hashtag(tag, max_id=max_id, min_id=min_id, limit=40),
            paging=bool(max_id or min_id),
        )
        if res is None:
            raise SourceError(f"{self.server}: {self.why_404(tag)}")
        return res

    def why_404(self, tag: str) -> str:
        """Why a tag timeline answered 404: the server's software, asked through nodeinfo."""
        from echochamber.collect.homeserver import MASTODON_API, nodeinfo

        try:
            name, version = nodeinfo(self)
        except SourceError:
            return "does not answer the Mastodon API (no tag timeline, no nodeinfo); is it one?"
        if name and name not in MASTODON_API:
            return (
                f"runs {name} {version or ''}".rstrip()
                + ", which is not Mastodon-compatible; remove it from [[sources.mastodon]]"
            )
        return f"the #{tag} timeline answered 404 (hashtag feeds may be off on this server)"

    def status(self, status_id: str) -> RawResponse:
        """The status itself; raises :class:`Gone` when the server says it was deleted."""
        res = self.call(f"status {status_id}", lambda: self.api.status(status_id))
        if res is None:
            raise Gone(f"{self.server}: status {status_id} is gone (404/410)")
        return res

    def context(self, status_id: str) -> RawResponse | None:
        return self.call(f"context of {status_id}", lambda: self.api.status_context(status_id))

    def actors(self, status_id: str, kind: str) -> list[RawResponse]:
        """Every page of ``reblogged_by`` or ``favourited_by`` (Mastodon.py returns the first)."""
        fn = self.api.status_reblogged_by if kind == "boost" else self.api.status_favourited_by
        first = self.call(f"{kind}s of {status_id}", lambda: fn(status_id))
        return self._follow(first, f"{kind}s of {status_id}")

    def quotes(self, status_id: str) -> list[RawResponse]:
        first = self.call(
            f"quotes of {status_id}", lambda: self.api.status_quotes(status_id, limit=40)
        )
        return self._follow(first, f"quotes of {status_id}")

    def _follow(self, first: RawResponse | None, what: str) -> list[RawResponse]:
        pages: list[RawResponse] = []
        page = first
        seen: set[str] = set()
        while page is not None:
            pages.append(page)
            if not page.next_url or not page.data or page.next_url in seen:
                break
            seen.add(page.next_url)
            page = self.get_url(what, page.next_url)
        return pages
