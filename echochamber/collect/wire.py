"""The wire under the Mastodon client: a shared request budget, a server's guard (its circuit
breaker as the client sees it), and failures described in a few readable words."""

from __future__ import annotations

import socket
import threading
from datetime import datetime
from typing import Any, Protocol

import requests
from mastodon.errors import (
    MastodonAPIError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from echochamber.errors import BudgetExhausted, SourceError
from echochamber.text import one_line


class Budget:
    """A request budget shared by the clients of one run (thread-safe)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.spent = 0
        self._lock = threading.Lock()

    def spend(self, server: str) -> None:
        with self._lock:
            if self.spent >= self.total:
                raise BudgetExhausted(f"{server}: request budget of {self.total} spent")
            self.spent += 1


class Guard(Protocol):
    """A server's circuit breaker as the client sees it."""

    def check(self) -> None:
        """Raise :class:`SourceUnavailable` when the server is being skipped."""

    def failed(self, why: str, *, until: float | None = None, now: bool = False) -> None:
        """A request failed (``until``: skip it until then; ``now``: open at once)."""

    def ok(self) -> None:
        """A request succeeded."""


class Gone(SourceError):
    """The server says the object was deleted (404 or 410)."""


class Unrouted(requests.ConnectionError):
    """A request for a host that a run with routes does not send to loopback
    (:mod:`echochamber.collect.routes`); refused before it is sent, like a host that does not
    resolve."""


def short(exc: Exception) -> str:
    text = " ".join(str(a) for a in exc.args[:3]) if exc.args else type(exc).__name__
    return one_line(text, 200)


def code(exc: Exception) -> int | None:
    code = exc.args[1] if len(exc.args) > 1 else None
    return code if isinstance(code, int) else None


def chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(out) < 12:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def no_such_host(exc: BaseException) -> bool:
    """Did the request fail because the host name does not resolve (DNS), or is not routed?"""
    for e in chain(exc):
        if isinstance(e, socket.gaierror | Unrouted) or type(e).__name__ == "NameResolutionError":
            return True
    text = str(exc)
    return "Failed to resolve" in text or "Name or service not known" in text


def network(exc: BaseException) -> str:
    """A network failure in a few words: DNS, refused, timed out, TLS, or the error's name."""
    if any(isinstance(e, Unrouted) for e in chain(exc)):
        return "not routed to loopback by this run's routes; not asked"
    if no_such_host(exc):
        return "the host name does not resolve (DNS); not retried"
    names = {type(e).__name__ for e in chain(exc)}
    text = str(exc)
    if names & {"ReadTimeout", "ConnectTimeout", "Timeout", "TimeoutError"} or "timed out" in text:
        return "timed out"
    if "SSLError" in names or "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS failed (certificate not trusted?)"
    if "Connection refused" in text or "ConnectionRefusedError" in names:
        return "connection refused"
    return one_line(text.replace("Could not complete request: ", ""), 160)


def int_header(resp: requests.Response, name: str, default: Any) -> Any:
    try:
        return int(resp.headers[name])
    except (KeyError, ValueError):
        return default


def reset_header(resp: requests.Response) -> float | None:
    value = resp.headers.get("X-RateLimit-Reset")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def raise_for(resp: requests.Response) -> None:
    code = resp.status_code
    if code < 400:
        return
    if code == 404:
        raise MastodonNotFoundError("not found", code, resp.reason, None)
    if code == 401:
        raise MastodonUnauthorizedError("unauthorized", code, resp.reason, None)
    if code == 429:
        raise MastodonRatelimitError("Hit rate limit.")
    if code >= 500:
        raise MastodonServerError("server error", code, resp.reason, None)
    raise MastodonAPIError("error", code, resp.reason, None)
