"""Raw payloads: every API page and archive chunk kept compressed, stored with what it yields."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, Table

from echochamber.models import Batch, StoredPage
from echochamber.store.ingest import OnRefused, store_batch
from echochamber.store.schema import RawPayloadRow

raw_t: Table = RawPayloadRow.__table__  # type: ignore[assignment]


def store_raw(
    conn: Connection,
    *,
    platform: str,
    source: str,
    endpoint: str,
    body: bytes,
    now: datetime,
    compressed: bool = False,
) -> None:
    """Keep a raw API page or archive chunk, zlib-compressed (``compressed``: it already is)."""
    conn.execute(
        raw_t.insert().values(
            platform=platform,
            source=source[:255],
            endpoint=endpoint[:2048],
            fetched_at=now,
            encoding="zlib",
            body=body if compressed else zlib.compress(body, 1),
        )
    )


def store_page(
    engine: Engine,
    batch: Batch,
    *,
    raw: bytes,
    platform: str,
    source: str,
    endpoint: str,
    now: datetime,
    compressed: bool = False,
    on_refused: OnRefused | None = None,
) -> StoredPage:
    """Store a batch and its raw payload in one transaction (an archive chunk, say); each
    record the database refuses goes to ``on_refused`` (see :func:`store_batch`)."""
    with engine.begin() as conn:
        stored = store_batch(conn, batch, now=now, on_refused=on_refused)
        if raw:
            store_raw(
                conn,
                platform=platform,
                source=source,
                endpoint=endpoint,
                body=raw,
                now=now,
                compressed=compressed,
            )
    return stored


def store_pages(
    engine: Engine,
    pages: Sequence[tuple[Batch, bytes, OnRefused | None]],
    *,
    platform: str,
    source: str,
    endpoint: str,
    now: datetime,
    compressed: bool = False,
) -> StoredPage:
    """Store several ``(batch, raw payload, on_refused)`` in one transaction, each as
    :func:`store_page` stores one and in their order (archive chunks: a transaction of a
    couple of thousand posts writes each index page once, where one per chunk would write it
    again and again)."""
    total = StoredPage()
    with engine.begin() as conn:
        for batch, raw, on_refused in pages:
            total = total + store_batch(conn, batch, now=now, on_refused=on_refused)
            if raw:
                store_raw(
                    conn,
                    platform=platform,
                    source=source,
                    endpoint=endpoint,
                    body=raw,
                    now=now,
                    compressed=compressed,
                )
    return total
