"""Routes: a public server's requests answered by a local one (a test and operations hook).

Tests replay real recordings of public servers (``https://mastodon.social``, ...) on loopback.
A run may be given ``routes``, a mapping of public base URLs to local base URLs; every
Mastodon client of the run then mounts :class:`Reroute` on its ``requests`` session, so:

* a request for a routed server goes to its local base instead, while the client keeps its
  own notion of the server (``https://mastodon.social``): URIs, local ids, provenance and
  ``Link`` following stay exactly as in production, and responses carry the public URL;
* a request for a host on loopback goes there unchanged (local test servers);
* a request for any other host is refused before it is sent (:class:`~.wire.Unrouted`, handled
  like a host that does not resolve): a run with routes never leaves loopback.

Local bases must be loopback addresses (``127.0.0.0/8``, ``[::1]``, ``localhost``) over http
or https; anything else is a :class:`~echochamber.errors.ConfigError`.  Routes cannot be set in
the configuration file: only code that builds a job context (tests, operations scripts) can.
Environment proxies are ignored for routed requests.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from echochamber.collect.wire import Unrouted
from echochamber.errors import ConfigError


def base_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased (the key routes are looked up by)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def is_loopback(url: str) -> bool:
    """Does this http(s) URL name a loopback host?

    >>> is_loopback("http://127.0.0.1:8080"), is_loopback("http://[::1]/x")
    (True, True)
    >>> is_loopback("https://mastodon.social"), is_loopback("http://10.0.0.1")
    (False, False)
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_routes(routes: Mapping[str, str]) -> dict[str, str]:
    """The routes by public base, every local base checked to be on loopback."""
    out: dict[str, str] = {}
    for public, local in routes.items():
        parts = urlsplit(public)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
            raise ConfigError(f"route {public!r}: a route starts at a server's base URL")
        if not is_loopback(local) or urlsplit(local).path.strip("/"):
            raise ConfigError(
                f"route {public!r} -> {local!r}: routes lead only to a base URL on loopback"
            )
        out[base_of(public)] = local.rstrip("/")
    return out


class Reroute(HTTPAdapter):
    """A transport adapter that sends routed servers' requests to their local bases."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        super().__init__()
        self.routes = check_routes(routes)

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        base = base_of(url)
        local = self.routes.get(base)
        if local is None and not is_loopback(url):
            raise Unrouted(f"{urlsplit(url).netloc}: not routed to loopback", request=request)
        kwargs["proxies"] = {}
        if local is None:
            return super().send(request, *args, **kwargs)
        routed = request.copy()
        routed.url = local + url[len(base) :]
        response = super().send(routed, *args, **kwargs)
        response.url = url
        response.request = request
        return response


def mount(session: requests.Session, routes: Mapping[str, str] | None) -> None:
    """Apply ``routes`` to every request of ``session`` (nothing when there are none)."""
    if routes is None:
        return
    adapter = Reroute(routes)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
