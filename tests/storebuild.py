"""Write a graph into a store as Mastodon statuses, through the same code path as an import."""

from __future__ import annotations

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
