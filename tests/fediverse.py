"""A miniature fediverse for the tests: a home server (HTTPS, its own certificate, its domain
equal to its address) and a configured instance (HTTP) that holds only what federated to it.

The world (:data:`POSTS`, :data:`BOOSTS`, :data:`FAVOURITES`) is written down once; each
server's share of it follows the fediverse's rules: a server holds its own users' posts and
acts, copies of what was delivered to it, and a favourite is delivered only to the favourited
post's home server.  Expected numbers in the tests are derived from these tables.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.certs import self_signed

ROOT = Path(__file__).resolve().parents[1]

ACCOUNTS = {"ana": "H", "ben": "H", "cat": "H", "dan": "H", "zed": "C", "yan": "C"}
# key: (author, parent key, text, federated to the other server)
POSTS: dict[str, tuple[str, str | None, str, bool]] = {
    "p1": ("ana", None, "Welcome to #hcsm chat", True),
    "r1": ("ben", "p1", "thanks for hosting", True),
    "r2": ("cat", "r1", "agreed", False),
    "r3": ("zed", "p1", "hello from the other server", True),
    "r4": ("dan", "r2", "a deeper reply", False),
    "p2": ("ben", None, "#hcsm second question", True),
    "r5": ("ana", "p2", "an answer", False),
}
BOOSTS = [("cat", "p1", True), ("dan", "p1", False), ("zed", "p1", True), ("yan", "p2", True)]
BOOSTS += [("ana", "r1", False)]
FAVOURITES = [("ben", "p1"), ("cat", "p1"), ("dan", "p1"), ("zed", "p1"), ("yan", "p1")]
FAVOURITES += [("ana", "r1"), ("cat", "p2"), ("dan", "r5"), ("ana", "r3")]
TAGGED = {"p1", "p2"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    name: str
    port: int
    scheme: str
    proc: subprocess.Popen[bytes] | None = None
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


@dataclass
class World:
    home: Node
    conf: Node
    ca: Path
    created: dict[str, str] = field(default_factory=dict)

    def node(self, name: str) -> Node:
        return self.home if name == "H" else self.conf

    def uri(self, key: str) -> str:
        author = POSTS[key][0] if key in POSTS else key.split(":")[1]
        home = self.node(ACCOUNTS[author])
        return f"{home.url}/@{author}/{home.ids[key]}"

    def account_url(self, user: str) -> str:
        return f"{self.node(ACCOUNTS[user]).url}/@{user}"

    def holds(self, name: str, key: str) -> bool:
        author, _parent, _text, federated = POSTS[key]
        return ACCOUNTS[author] == name or federated

    def faults(self, node: Node, *rules: dict[str, Any]) -> None:
        requests.delete(f"{node.url}/api/v1/_mock/faults", timeout=10, verify=str(self.ca))
        for rule in rules:
            requests.post(
                f"{node.url}/api/v1/_mock/faults", json=rule, timeout=10, verify=str(self.ca)
            ).raise_for_status()


def _spec(world: World, node: Node, folder: Path, cert: tuple[Path, Path]) -> Path:
    name = node.name
    other = world.conf if name == "H" else world.home
    accounts = [
        {"key": u, "username": u, "token": f"{u}_token"}
        if ACCOUNTS[u] == name
        else {"key": u, "username": u, "domain": other.host}
        for u in ACCOUNTS
    ]
    statuses: list[dict[str, Any]] = []
    for key, (author, parent, text, _fed) in POSTS.items():
        if not world.holds(name, key):
            continue
        row: dict[str, Any] = {
            "id": node.ids[key],
            "account": author,
            "text": text,
            "created_at": world.created[key],
        }
        if parent is not None and world.holds(name, parent):
            row["in_reply_to_id"] = node.ids[parent]
            row["in_reply_to_account_id"] = POSTS[parent][0]
        if ACCOUNTS[author] != name:
            row["url"] = world.uri(key)
        statuses.append(row)
    for who, key, federated in BOOSTS:
        boost = f"boost:{who}:{key}"
        if (ACCOUNTS[who] != name and not federated) or not world.holds(name, key):
            continue
        row = {
            "id": node.ids[boost],
            "account": who,
            "text": "",
            "created_at": world.created[key],
            "reblog_of_id": node.ids[key],
        }
        if ACCOUNTS[who] != name:
            row["url"] = world.uri(boost)
        statuses.append(row)
    favourites = [
        [who, node.ids[key]]
        for who, key in FAVOURITES
        if world.holds(name, key) and (ACCOUNTS[who] == name or ACCOUNTS[POSTS[key][0]] == name)
    ]
    spec = {
        "port": node.port,
        "domain": node.host,
        "scheme": node.scheme,
        "schemes": {world.home.host: world.home.scheme, world.conf.host: world.conf.scheme},
        "accounts": accounts,
        "statuses": statuses,
        "favourites": favourites,
    }
    if node.scheme == "https":
        spec["certfile"], spec["keyfile"] = str(cert[0]), str(cert[1])
    path = folder / f"{name}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def _wait(node: Node, ca: Path, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"mock server {node.name} exited with {proc.returncode}")
        try:
            requests.get(f"{node.url}/api/v1/instance", timeout=2, verify=str(ca))
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"mock server {node.name} did not start")


@contextmanager
def fediverse(folder: Path) -> Iterator[World]:
    """Start the two servers; stop them on exit."""
    cert = self_signed(folder)
    world = World(Node("H", free_port(), "https"), Node("C", free_port(), "http"), cert[0])
    base = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)
    keys = list(POSTS) + [f"boost:{w}:{k}" for w, k, _f in BOOSTS]
    for i, key in enumerate(keys):
        world.home.ids[key] = 1000 + i
        world.conf.ids[key] = 5000 + i
    for i, key in enumerate(POSTS):
        world.created[key] = (base + dt.timedelta(minutes=i)).isoformat()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        for node in (world.home, world.conf):
            spec = _spec(world, node, folder, cert)
            node.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.fedimock", str(spec)], cwd=ROOT, env=env
            )
        for node in (world.home, world.conf):
            assert node.proc is not None
            _wait(node, world.ca, node.proc)
        yield world
    finally:
        for node in (world.home, world.conf):
            if node.proc is not None and node.proc.poll() is None:
                node.proc.terminate()
                try:
                    node.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait()
