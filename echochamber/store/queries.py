"""Read-only summaries of the store (``status``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from echochamber.models import KINDS
from echochamber.store.schema import AccountRow, InteractionRow, PostRow, RawPayloadRow
from echochamber.store.streams import all_cursors, last_runs


def status(engine: Engine) -> dict[str, Any]:
    """Counts of what is stored and the state of every stream."""
    with engine.connect() as conn:
        posts = conn.scalar(select(func.count()).select_from(PostRow)) or 0
        tagged = conn.scalar(select(func.count()).select_from(PostRow).where(PostRow.tagged)) or 0
        accounts = conn.scalar(select(func.count()).select_from(AccountRow)) or 0
        raw = conn.scalar(select(func.count()).select_from(RawPayloadRow)) or 0
        by_kind = dict(
            conn.execute(
                select(InteractionRow.kind, func.count()).group_by(InteractionRow.kind)
            ).all()
        )
        by_platform = dict(
            conn.execute(select(PostRow.platform, func.count()).group_by(PostRow.platform)).all()
        )
        span = conn.execute(
            select(func.min(PostRow.created_at), func.max(PostRow.created_at)).where(PostRow.tagged)
        ).one()
    runs = last_runs(engine)
    cursors = {(c["platform"], c["instance"], c["tag"]): c for c in all_cursors(engine)}
    keys = set(cursors) | {k for k in runs if not k[2].startswith("(")}
    streams = []
    for key in sorted(keys):
        c = cursors.get(key, {})
        updated = c.get("updated_at")
        streams.append(
            {
                "platform": key[0],
                "instance": key[1],
                "tag": key[2],
                "cursor": c.get("newest_id"),
                "backfill_done": bool(c.get("backfill_done")),
                "backfill_from": c.get("backfill_max_id"),
                "updated_at": updated.isoformat() if updated else None,
                "last_run": runs.get(key),
            }
        )
    conversations = {k[1]: v for k, v in runs.items() if k[2] == "(conversations)"}
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
    }
