"""Read-only summaries of the store for ``status``: counts, streams, cursors, last runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select

from echochamber.models import KINDS, REVISITS
from echochamber.store.fediverse import completeness, failing_servers
from echochamber.store.schema import (
    AccountRow,
    CollectionRunRow,
    CursorRow,
    InteractionRow,
    PostRow,
    RawPayloadRow,
)

cursors_t: Table = CursorRow.__table__  # type: ignore[assignment]
runs_t: Table = CollectionRunRow.__table__  # type: ignore[assignment]


def last_runs(engine: Engine) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The newest run of every stream."""
    with engine.connect() as conn:
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in conn.execute(select(runs_t).order_by(runs_t.c.id.desc()).limit(1000)).mappings():
            key = (row["platform"], row["server"], row["tag"])
            if key not in out:
                out[key] = {
                    "started_at": row["started_at"].isoformat(),
                    "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
                    "status": row["status"],
                    "requests": row["requests"],
                    "posts_new": row["posts_new"],
                    "posts_seen": row["posts_seen"],
                    "interactions_new": row["interactions_new"],
                    "errors": row["errors"],
                    "message": row["message"],
                }
    return out


def all_cursors(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(cursors_t).order_by(
                    cursors_t.c.platform, cursors_t.c.server, cursors_t.c.tag
                )
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def status(engine: Engine) -> dict[str, Any]:
    """Counts of what is stored and the state of every stream."""
    with engine.connect() as conn:
        posts = conn.scalar(select(func.count()).select_from(PostRow.__table__)) or 0
        tagged = (
            conn.scalar(select(func.count()).select_from(PostRow.__table__).where(PostRow.tagged))
            or 0
        )
        accounts = conn.scalar(select(func.count()).select_from(AccountRow.__table__)) or 0
        raw = conn.scalar(select(func.count()).select_from(RawPayloadRow.__table__)) or 0
        by_kind: dict[str, int] = dict(
            conn.execute(
                select(InteractionRow.kind, func.count()).group_by(InteractionRow.kind)
            ).all()
        )
        by_platform: dict[str, int] = dict(
            conn.execute(select(PostRow.platform, func.count()).group_by(PostRow.platform)).all()
        )
        span = conn.execute(
            select(func.min(PostRow.created_at), func.max(PostRow.created_at)).where(PostRow.tagged)
        ).one()
    runs = last_runs(engine)
    cursors = {(c["platform"], c["server"], c["tag"]): c for c in all_cursors(engine)}
    keys = set(cursors) | {k for k in runs if k[2] != REVISITS}
    streams = []
    for key in sorted(keys):
        c = cursors.get(key, {})
        updated = c.get("updated_at")
        streams.append(
            {
                "platform": key[0],
                "server": key[1],
                "stream": key[2],
                "cursor": c.get("newest_id"),
                "backfill_done": bool(c.get("backfill_done")),
                "backfill_from": c.get("backfill_max_id"),
                "updated_at": updated.isoformat() if updated else None,
                "last_run": runs.get(key),
            }
        )
    conversations = [
        {"platform": k[0], "server": k[1], "last_run": v}
        for k, v in sorted(runs.items())
        if k[2] == REVISITS
    ]
    return {
        "posts": int(posts),
        "tagged_posts": int(tagged),
        "accounts": int(accounts),
        "raw_payloads": int(raw),
        "posts_by_platform": {k: int(v) for k, v in by_platform.items()},
        "interactions": {k: int(by_kind.get(k, 0)) for k in KINDS},
        "tagged_span": {
            "first": span[0].isoformat() if span[0] else None,
            "last": span[1].isoformat() if span[1] else None,
        },
        "streams": streams,
        "conversations": conversations,
        "completeness": completeness(engine).as_dict(),
        "servers": failing_servers(engine, datetime.now(UTC)),
    }
