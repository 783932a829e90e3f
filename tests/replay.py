"""Serve recorded HTTP interactions (VCR cassettes) from a real server on loopback.

Both cassette dialects of ../shared/fixtures are read: rtoot's R ``vcr`` (``http_interactions``,
``status`` an int) and Python VCR.py (``interactions``, ``status.code``).  A request matches a
recording by method, path and the paging parameters (``max_id``, ``min_id``, ``since_id``);
other parameters (``limit``, ``local``...) are ignored.  ``Link`` headers are rewritten to point
at this server, or kept as recorded (``keep_links``, for a client that reaches this server
through routes and so keeps the public host); a timeline request nobody recorded answers ``[]``
(the end of the timeline), anything else unrecorded 404.  ``fail_next`` queues forced responses
(e.g. a 429) for a path.

:func:`serve_hosts` starts one replay per recorded host, for a run whose routes send each
public server's requests to its own replay.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

PAGING = ("max_id", "min_id", "since_id", "next_token", "cursor", "uri")
DROP = {
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "date",
    "server",
    "vary",
    "set-cookie",
}


@dataclass
class Recording:
    status: int
    headers: dict[str, str]
    body: bytes


def _key(method: str, url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    params = tuple(sorted((k, v) for k, v in parse_qsl(parts.query) if k in PAGING))
    return method.upper(), parts.path.rstrip("/"), params


def _flat_headers(raw: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in (raw or {}).items():
        if isinstance(v, list):
            v = v[0] if v else ""
        out[str(k)] = str(v)
    return out


def load_cassette(
    path: Path,
) -> list[tuple[tuple[str, str, tuple[tuple[str, str], ...]], Recording, str]]:
    """(match key, recording, original host) for every interaction of a cassette."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("http_interactions") or data.get("interactions") or []
    out = []
    for it in items:
        req, resp = it["request"], it["response"]
        status = resp["status"]
        code = status if isinstance(status, int) else int(status.get("code", 200))
        body = resp.get("body", {}).get("string", "")
        raw = body.encode() if isinstance(body, str) else bytes(body or b"")
        host = "{0.scheme}://{0.netloc}".format(urlsplit(req["uri"]))
        out.append(
            (
                _key(req["method"], req["uri"]),
                Recording(code, _flat_headers(resp.get("headers", {})), raw),
                host,
            )
        )
    return out


@dataclass
class ReplayServer:
    recordings: dict[tuple[str, str, tuple[tuple[str, str], ...]], Recording] = field(
        default_factory=dict
    )
    hosts: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    forced: dict[str, list[Recording]] = field(default_factory=dict)
    base_url: str = ""
    keep_links: bool = False

    def add(self, path: Path, only: str | None = None) -> None:
        """Serve a cassette's recordings (``only``: those recorded at this host)."""
        for key, rec, host in load_cassette(path):
            if only is None or host == only:
                self.recordings.setdefault(key, rec)
                self.hosts.add(host)

    def respond(
        self,
        path: str,
        body: Any,
        *,
        params: dict[str, str] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer GET ``path`` (with these paging ``params``) with a JSON body."""
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        key = _key("GET", f"{path}?{query}" if query else path)
        self.recordings[key] = Recording(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(body).encode(),
        )

    def fail_next(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.forced.setdefault(path, []).append(
            Recording(status, headers or {}, json.dumps({"error": "forced"}).encode())
        )

    def answer(self, method: str, url: str) -> Recording:
        self.requests.append(url)
        path = urlsplit(url).path.rstrip("/")
        if self.forced.get(path):
            return self.forced[path].pop(0)
        rec = self.recordings.get(_key(method, url))
        if rec is not None:
            return rec
        if "/xrpc/" in path:  # an unrecorded page of a list: empty, no cursor
            return Recording(200, {"Content-Type": "application/json"}, b'{"posts": []}')
        if "/timelines/" in path:
            return Recording(200, {"Content-Type": "application/json"}, b"[]")
        return Recording(404, {"Content-Type": "application/json"}, b'{"error":"Not recorded"}')

    def statuses(self) -> dict[str, dict[str, Any]]:
        """Every status object in this server's recorded bodies (nested ones too), by its
        local id here: what the server said about it, through whichever endpoint."""
        found: dict[str, dict[str, Any]] = {}

        def walk(obj: Any) -> None:
            if isinstance(obj, list):
                for x in obj:
                    walk(x)
            elif isinstance(obj, dict):
                if {"id", "uri", "account", "created_at"} <= obj.keys():
                    found.setdefault(str(obj["id"]), obj)
                for v in obj.values():
                    walk(v)

        for rec in list(self.recordings.values()):
            if rec.status == 200 and rec.body[:1] in (b"[", b"{"):
                walk(json.loads(rec.body))
        return found

    def answer_statuses(self) -> int:
        """Answer ``GET /api/v1/statuses/ID`` for every status this server's recordings hold
        (unless that call was recorded itself); returns how many."""
        added = 0
        for sid, obj in self.statuses().items():
            key = _key("GET", f"/api/v1/statuses/{sid}")
            if key not in self.recordings:
                self.respond(f"/api/v1/statuses/{sid}", obj)
                added += 1
        return added

    def rewrite(self, value: str) -> str:
        if self.keep_links:
            return value
        for host in self.hosts:
            value = value.replace(host, self.base_url)
        return value


def hosts_of(path: Path) -> set[str]:
    """The ``scheme://host`` bases a cassette's requests went to."""
    return {host for _key, _rec, host in load_cassette(path)}


@contextmanager
def serve_hosts(*cassettes: Path) -> Iterator[dict[str, ReplayServer]]:
    """One replay per recorded host (``https://mastodon.social`` ...), each serving the
    cassettes recorded there, ``Link`` headers kept as recorded."""
    by_host: dict[str, list[Path]] = {}
    for c in cassettes:
        for host in hosts_of(c):
            by_host.setdefault(host, []).append(c)
    with ExitStack() as stack:
        replays = {}
        for host, paths in sorted(by_host.items()):
            replay = stack.enter_context(serve(keep_links=True))
            for p in paths:
                replay.add(p, only=host)
            replays[host] = replay
        yield replays


@contextmanager
def serve(*cassettes: Path, keep_links: bool = False) -> Iterator[ReplayServer]:
    replay = ReplayServer(keep_links=keep_links)
    for c in cassettes:
        replay.add(c)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            rec = replay.answer("GET", self.path)
            self.send_response(rec.status)
            for k, v in rec.headers.items():
                if k.lower() not in DROP:
                    self.send_header(k, replay.rewrite(v) if k.lower() == "link" else v)
            self.send_header("Content-Length", str(len(rec.body)))
            self.end_headers()
            self.wfile.write(rec.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    replay.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
