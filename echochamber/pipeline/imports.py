"""The import job: archive files, chunk by chunk, each chunk stored in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from echochamber.collect.archive import Chunk, detect_format, iter_archive
from echochamber.collect.registry import ARCHIVE_FORMATS
from echochamber.config import Settings
from echochamber.errors import ImportFormatError
from echochamber.models import StoredPage
from echochamber.pipeline.context import JobContext
from echochamber.store import store_page


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did; ``errors`` are (line, reason) of the skipped records."""

    path: str
    format: str
    records: int
    imported: int
    posts_new: int
    posts_seen: int
    interactions_new: int
    errors: tuple[tuple[int, str], ...]
    stopped: str | None = None
    """Why the import ended before the end of the file (``FILE:LINE: reason``), if it did."""


def import_file(
    settings: Settings,
    ctx: JobContext,
    path: str,
    fmt: str = "auto",
    *,
    server: str | None = None,
    on_error: Callable[[str, int, str], None] | None = None,
    workers: int | None = None,
) -> ImportResult:
    """Import an archive file chunk by chunk, each chunk in one transaction.

    Good records are stored even when others are bad; every bad record is reported with its
    line number.  Importing the same file again adds nothing.  ``workers`` processes parse
    ahead while this one stores (``None``: one per spare core for a large file; 0: none).
    ``server`` names the Mastodon server whose local ids a Mastodon capture holds.
    """
    detected = detect_format(path) if fmt == "auto" else fmt
    platform = ARCHIVE_FORMATS[detected]
    records = imported = new = seen = ties = 0
    errors: list[tuple[int, str]] = []
    read = 0
    stopped: str | None = None
    chunks = iter_archive(path, detected, tracked=settings.tags, server=server, workers=workers)
    try:
        for chunk in chunks:
            stored = _store(ctx, chunk, platform, path)
            records += chunk.records
            imported += chunk.records - len(chunk.errors)
            new += stored.posts_new
            seen += stored.posts_seen
            ties += stored.interactions_new
            for line, reason in chunk.errors:
                errors.append((line, reason))
                if on_error:
                    on_error(path, line, reason)
            ctx.report(f"{path}: records", chunk.records)
            ctx.report(f"{path}: kB read", (chunk.bytes_read - read) // 1000)
            read = chunk.bytes_read
    except ImportFormatError as exc:  # the file broke off: what came before is stored
        stopped = str(exc)
    return ImportResult(path, detected, records, imported, new, seen, ties, tuple(errors), stopped)


def _store(ctx: JobContext, chunk: Chunk, platform: str, path: str) -> StoredPage:
    return store_page(
        ctx.engine,
        chunk.batch,
        raw=chunk.raw_zlib,
        platform=platform,
        source=f"import:{path}",
        endpoint=f"file://{path}",
        now=ctx.clock(),
        compressed=True,
    )
