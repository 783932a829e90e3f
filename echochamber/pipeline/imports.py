"""The import job: archive files, chunk by chunk, a couple of thousand posts a transaction.

A record the database refuses (past the cleaning rules) does not stop its chunk: the rest is
stored, and the refused record is reported like a bad line, ``FILE:LINE: reason``, where LINE
is the line it came from (found by parsing that chunk's lines again, one by one).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from echochamber.collect.archive import Chunk, detect_format, each_record, iter_archive
from echochamber.collect.consent import ConsentRules
from echochamber.collect.registry import ARCHIVE_FORMATS
from echochamber.config import Settings
from echochamber.errors import ImportFormatError
from echochamber.models import Account, Interaction, Page, Post, StoredPage
from echochamber.pipeline.consent import ConsentSink
from echochamber.pipeline.context import JobContext
from echochamber.store import store_pages

Record = Account | Post | Interaction


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
    """Import an archive file chunk by chunk, about :data:`GROUP_POSTS` posts a transaction.

    Good records are stored even when others are bad; every bad record is reported with its
    line number.  Importing the same file again adds nothing.  ``workers`` processes parse
    ahead while this one stores (``None``: one per spare core for a large file; 0: none).
    ``server`` names the Mastodon server whose local ids a Mastodon capture holds.
    """
    detected = detect_format(path) if fmt == "auto" else fmt
    platform = ARCHIVE_FORMATS[detected]
    records = imported = new = seen = ties = 0
    errors: list[tuple[int, str]] = []
    at = 0
    size = Path(path).stat().st_size
    stopped: str | None = None
    chunks = iter_archive(path, detected, tracked=settings.tags, server=server, workers=workers)
    consent = ConsentSink(None, ctx.engine, ConsentRules.of(settings), ctx.clock)
    try:
        for group in _groups(chunks):
            refused: list[list[tuple[Record, str]]] = [[] for _ in group]
            stored = _store(ctx, group, platform, path, refused, consent)
            new += stored.posts_new
            seen += stored.posts_seen
            ties += stored.interactions_new
            for chunk, theirs in zip(group, refused, strict=True):
                if theirs:
                    located = _locate(chunk, theirs, detected, settings.tags, server)
                    chunk.errors = sorted([*chunk.errors, *located])
                records += chunk.records
                imported += chunk.records - len(chunk.errors)
                for line, reason in chunk.errors:
                    errors.append((line, reason))
                    if on_error:
                        on_error(path, line, reason)
                ctx.report(f"{path}: records", chunk.records)
                ctx.report(f"{path}: read", chunk.file_pos - at, size)
                at = chunk.file_pos
    except ImportFormatError as exc:  # the file broke off: what came before is stored
        stopped = str(exc)
    return ImportResult(path, detected, records, imported, new, seen, ties, tuple(errors), stopped)


GROUP_POSTS = 2000
"""Chunks are stored together, in one transaction, until they hold this many posts."""


def _groups(chunks: Iterator[Chunk], posts: int = GROUP_POSTS) -> Iterator[list[Chunk]]:
    """Consecutive chunks holding about ``posts`` posts together; when the file breaks off,
    the chunks read before the break are yielded before the error goes on."""
    group: list[Chunk] = []
    size = 0
    try:
        for chunk in chunks:
            group.append(chunk)
            size += len(chunk.batch.posts)
            if size >= posts:
                yield group
                group, size = [], 0
    except ImportFormatError:
        if group:
            yield group
        raise
    if group:
        yield group


def _store(
    ctx: JobContext,
    group: Sequence[Chunk],
    platform: str,
    path: str,
    refused: Sequence[list[tuple[Record, str]]],
    consent: ConsentSink,
) -> StoredPage:
    """Screen each chunk for consent (:class:`ConsentSink`), then store the group in one
    transaction; each chunk's refused records go to its own list in ``refused``."""

    def collector(into: list[tuple[Record, str]]) -> Callable[[Record, str], None]:
        return lambda record, reason: into.append((record, reason))

    pages = []
    for chunk, into in zip(group, refused, strict=True):
        page = consent.screen(Page(chunk.batch, chunk.raw_zlib, f"file://{path}"))
        raw = page.raw if page.raw is chunk.raw_zlib or not page.raw else zlib.compress(page.raw)
        pages.append((page.batch, raw, collector(into)))
    return store_pages(
        ctx.engine,
        pages,
        platform=platform,
        source=f"import:{path}",
        endpoint=f"file://{path}",
        now=ctx.clock(),
        compressed=True,
    )


def _what(record: Record) -> str:
    if isinstance(record, Post):
        return f"post {record.uri}"
    if isinstance(record, Account):
        return f"account {record.key}"
    return f"{record.kind} of {record.subject}"


def _keys(record: Record) -> list[tuple[str, ...]]:
    """How a record is recognised among a line's records (a tie also by its post)."""
    if isinstance(record, Post):
        return [("post", record.uri)]
    if isinstance(record, Account):
        return [("account", record.key)]
    return [("tie", record.kind, record.actor, record.subject), ("post", record.subject)]


def _locate(
    chunk: Chunk,
    refused: Sequence[tuple[Record, str]],
    fmt: str,
    tracked: Sequence[str],
    server: str | None,
) -> list[tuple[int, str]]:
    """One ``(line, reason)`` per line holding a refused record (the first line that yields
    it), each refused record named with the database's reason."""
    where: dict[tuple[str, ...], int] = {}
    for no, batch in each_record(chunk, fmt, tracked, server):
        yielded: list[Record] = [*batch.posts, *batch.accounts, *batch.interactions]
        for one in yielded:
            where.setdefault(_keys(one)[0], no)
    first, last = (chunk.lines[0], chunk.lines[-1]) if chunk.lines else (0, 0)
    by_line: dict[int, list[str]] = {}
    for record, reason in refused:
        found = next((where[k] for k in _keys(record) if k in where), None)
        what = _what(record)
        if found is None:  # no line yields it alone: name the chunk's lines
            what += f" (from lines {first}-{last})"
        by_line.setdefault(first if found is None else found, []).append(f"{what}: {reason}")
    return [
        (no, "refused by the database: " + "; ".join(dict.fromkeys(reasons)))
        for no, reasons in sorted(by_line.items())
    ]
