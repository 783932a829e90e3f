"""Retention: raw payloads and post texts pruned by age, and what the store keeps (``status``).

Metrics read no raw payload, and of a post's text only its opening run of @mentions (the
reply-all hygiene, :mod:`echochamber.graph.hygiene`): an old text keeps that run and loses
every word, so pruning changes no number (ties, counts and times stay).  Running it again
prunes nothing more.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, bindparam, delete, func, select, update

from echochamber.store.schema import PostRow, RawPayloadRow
from echochamber.text import mention_run

posts_t: Table = PostRow.__table__  # type: ignore[assignment]
raw_t: Table = RawPayloadRow.__table__  # type: ignore[assignment]


def prune(
    engine: Engine,
    now: datetime,
    *,
    raw_payloads_days: float,
    text_days: float,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Delete raw payloads fetched more than ``raw_payloads_days`` ago and erase the texts of
    posts created more than ``text_days`` ago but their opening @mentions (0: keep them);
    counts of what went."""
    out: dict[str, Any] = {"raw_payloads": 0, "texts": 0, "dry_run": dry_run}
    with engine.connect() as conn, conn.begin() as tx:
        if raw_payloads_days > 0:
            before = now - timedelta(days=raw_payloads_days)
            out["raw_payloads_before"] = before.isoformat()
            res = conn.execute(delete(raw_t).where(raw_t.c.fetched_at < before))
            out["raw_payloads"] = res.rowcount or 0
        if text_days > 0:
            before = now - timedelta(days=text_days)
            out["texts_before"] = before.isoformat()
            rows = conn.execute(
                select(posts_t.c.id, posts_t.c.text).where(
                    posts_t.c.created_at < before,
                    posts_t.c.text != "",
                    posts_t.c.text_pruned_at.is_(None),
                )
            ).all()
            changed = [{"pid": pid, "kept": mention_run(text)} for pid, text in rows]
            if changed:
                conn.execute(
                    update(posts_t)
                    .where(posts_t.c.id == bindparam("pid"))
                    .values(text=bindparam("kept"), text_pruned_at=now),
                    changed,
                )
            out["texts"] = sum(
                c["kept"] != text for c, (_, text) in zip(changed, rows, strict=True)
            )
        if dry_run:
            tx.rollback()
    return out


def kept(engine: Engine) -> dict[str, Any]:
    """How many raw payloads and whole post texts the store keeps, and the oldest of each
    (a pruned text, cut to its opening @names, is not counted)."""
    p = posts_t.c
    with engine.connect() as conn:
        n_raw, oldest_raw = conn.execute(
            select(func.count(), func.min(raw_t.c.fetched_at)).select_from(raw_t)
        ).one()
        n_text, oldest_text = conn.execute(
            select(func.count(), func.min(p.created_at)).where(
                p.text != "", p.text_pruned_at.is_(None)
            )
        ).one()
        n_gone = conn.scalar(select(func.count()).where(p.deleted_at.is_not(None)))
    return {
        "raw_payloads": int(n_raw),
        "oldest_raw_payload": _iso(oldest_raw),
        "texts": int(n_text),
        "oldest_text": _iso(oldest_text),
        "deleted_posts": int(n_gone or 0),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
