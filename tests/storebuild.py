"""Write a graph into a store as Mastodon statuses, through the same code path as an import."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from echochamber.collect.normalize_mastodon import normalize_statuses
from echochamber.store.ingest import store_batch

HOST = "graph.example"
INST = f"https://{HOST}"
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)  # 2026-W47


def handle(n: object) -> str:
    return f"u{n}@{HOST}"


def account(n: object, followers: int = 0) -> dict[str, Any]:
    return {
        "id": f"a{n}",
        "username": f"u{n}",
        "acct": f"u{n}",
        "url": f"{INST}/@u{n}",
        "display_name": f"User {n}",
        "followers_count": followers,
    }


def graph_as_posts(
    engine: Engine,
    edges: Iterable[tuple[object, object]],
    *,
    when: datetime = MONDAY + timedelta(days=2),
    tag: str = "hcsm",
    followers: dict[object, int] | None = None,
    start_id: int = 1,
) -> dict[str, Any]:
    """Each node writes one tagged root post; each edge (u, v) is u replying to v's post."""
    edges = list(edges)
    nodes = sorted({x for e in edges for x in e}, key=str)
    followers = followers or {}
    statuses: list[dict[str, Any]] = []
    root: dict[object, dict[str, Any]] = {}
    sid = start_id
    for n in nodes:
        st = {
            "id": str(sid),
            "uri": f"{INST}/users/u{n}/statuses/{sid}",
            "url": f"{INST}/@u{n}/{sid}",
            "created_at": when.isoformat(),
            "account": account(n, followers.get(n, 0)),
            "content": f"<p>#{tag} from {n}</p>",
            "tags": [{"name": tag}],
            "mentions": [],
            "reblog": None,
        }
        root[n] = st
        statuses.append(st)
        sid += 1
    for u, v in edges:
        statuses.append(
            {
                "id": str(sid),
                "uri": f"{INST}/users/u{u}/statuses/{sid}",
                "created_at": (when + timedelta(minutes=sid)).isoformat(),
                "account": account(u, followers.get(u, 0)),
                "content": "<p>re</p>",
                "in_reply_to_id": root[v]["id"],
                "in_reply_to_account_id": f"a{v}",
                "tags": [],
                "mentions": [],
                "reblog": None,
            }
        )
        sid += 1
    batch = normalize_statuses(statuses, server=INST, tracked=[tag])
    with engine.begin() as conn:
        store_batch(conn, batch, now=when)
    return {"roots": root, "next_id": sid}


_IDS = itertools.count(10_000)


class Thread:
    """Hand-built Mastodon statuses with explicit times, stored through the import path.

    ``post`` writes a status (a reply when ``to`` names the post it answers; its text opens
    with ``lead`` mentions and ends with ``typed`` ones, as a composer writes them);
    ``boost`` and ``favourite`` act on a post.  ``store`` writes everything in one batch.
    """

    def __init__(self, start: datetime = MONDAY, tag: str = "hcsm") -> None:
        self.start = start
        self.tag = tag
        self.statuses: list[dict[str, Any]] = []
        self.favourites: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def _id(self) -> str:
        return str(next(_IDS))  # unique across threads: one store may hold several

    def post(
        self,
        author: object,
        hours: float,
        *,
        to: dict[str, Any] | None = None,
        lead: tuple[object, ...] = (),
        typed: tuple[object, ...] = (),
        tagged: bool = True,
        text: str = "a point",
    ) -> dict[str, Any]:
        sid = self._id()
        run = " ".join(
            f'<span class="h-card"><a href="{INST}/@u{m}">@<span>u{m}</span></a></span>'
            for m in lead
        )
        tail = " ".join(f"@u{m}" for m in typed)
        st = {
            "id": sid,
            "uri": f"{INST}/users/u{author}/statuses/{sid}",
            "created_at": (self.start + timedelta(hours=hours)).isoformat(),
            "account": account(author),
            "content": f"<p>{run} {text}{' #' + self.tag if tagged else ''} {tail}</p>",
            "tags": [{"name": self.tag}] if tagged else [],
            "mentions": [account(m) | {"acct": f"u{m}"} for m in (*lead, *typed)],
            "in_reply_to_id": to["id"] if to else None,
            "in_reply_to_account_id": to["account"]["id"] if to else None,
            "reblog": None,
        }
        self.statuses.append(st)
        return st

    def boost(self, actor: object, hours: float, original: dict[str, Any]) -> None:
        sid = self._id()
        self.statuses.append(
            {
                "id": sid,
                "uri": f"{INST}/users/u{actor}/statuses/{sid}/activity",
                "created_at": (self.start + timedelta(hours=hours)).isoformat(),
                "account": account(actor),
                "content": "",
                "tags": [],
                "mentions": [],
                "reblog": original,
            }
        )

    def favourite(self, actors: Iterable[object], original: dict[str, Any]) -> None:
        self.favourites.append((original, [account(a) for a in actors]))

    def store(self, engine: Engine) -> None:
        from echochamber.collect.normalize_mastodon import normalize_actors
        from echochamber.models import Post
        from echochamber.text import parse_time

        batch = normalize_statuses(self.statuses, server=INST, tracked=[self.tag])
        for st, fans in self.favourites:
            post = Post(
                "mastodon",
                st["uri"],
                st["id"],
                f"{INST}/@{st['account']['username']}",
                parse_time(st["created_at"]),
            )
            batch = batch + normalize_actors(fans, post, "favourite", server=INST)
        with engine.begin() as conn:
            store_batch(conn, batch, now=self.start + timedelta(days=30))
