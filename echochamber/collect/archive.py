"""Streaming archive reader: JSON lines (plain or gzip) -> chunks of normalised records.

Constant memory whatever the file size: lines are read one at a time and yielded in chunks of
``chunk_records`` records; a bad line is reported with its number and never stops the file.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from echochamber.errors import ImportFormatError
from echochamber.models import Batch

FORMATS = ("twarc2", "twitter-v1", "mastodon", "bluesky")
Normaliser = Callable[[Sequence[Any], Sequence[str], str | None], Batch]


@dataclass
class Chunk:
    """Records of one chunk: what they yield, their raw lines, and the bad ones."""

    batch: Batch
    raw_lines: list[bytes] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0
    bytes_read: int = 0


def _open(path: str | Path) -> IO[bytes]:
    """The file, decompressed on the fly when it is gzip (by its magic bytes)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def sniff(obj: Any) -> str | None:
    """The format of one parsed record, or ``None`` if it is none we know."""
    if not isinstance(obj, dict):
        return None
    if "data" in obj and ("includes" in obj or "meta" in obj):
        return "twarc2"
    if "author_id" in obj and "text" in obj and "id" in obj:
        return "twarc2"
    if "id_str" in obj or ("user" in obj and "text" in obj) or "retweeted_status" in obj:
        return "twitter-v1"
    if "account" in obj and "uri" in obj and "created_at" in obj:
        return "mastodon"
    if (
        "posts" in obj
        or "thread" in obj
        or ("uri" in obj and str(obj.get("uri", "")).startswith("at://"))
        or ("post" in obj and isinstance(obj.get("post"), dict))
    ):
        return "bluesky"
    return None


def detect_format(path: str | Path, probe_lines: int = 20) -> str:
    """Detect the archive format from the first parseable records."""
    with _open(path) as fh:
        for _, line in zip(range(probe_lines), fh, strict=False):
            line = line.strip()
            if not line:
                continue
            try:
                fmt = sniff(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
            if fmt:
                return fmt
    raise ImportFormatError(
        "cannot tell the archive format from its first records; give --format "
        f"({', '.join(FORMATS)})",
        path=str(path),
    )


def _normaliser(fmt: str) -> Normaliser:
    if fmt == "mastodon":
        from echochamber.collect.normalize_mastodon import normalize_statuses

        def mastodon(records: Sequence[Any], tracked: Sequence[str], instance: str | None) -> Batch:
            return normalize_statuses(records, instance=instance or "import", tracked=tracked)

        return mastodon
    if fmt in ("twarc2", "twitter-v1"):
        from echochamber.collect import normalize_twitter

        def twitter(records: Sequence[Any], tracked: Sequence[str], instance: str | None) -> Batch:
            return normalize_twitter.normalize_records(records, tracked=tracked)

        return twitter
    if fmt == "bluesky":
        from echochamber.collect import normalize_bluesky

        def bluesky(records: Sequence[Any], tracked: Sequence[str], instance: str | None) -> Batch:
            return normalize_bluesky.normalize_records(records, tracked=tracked)

        return bluesky
    raise ImportFormatError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def iter_archive(
    path: str | Path,
    fmt: str = "auto",
    *,
    tracked: Sequence[str] = (),
    instance: str | None = None,
    chunk_records: int = 2000,
    chunk_bytes: int = 4_000_000,
) -> Iterator[Chunk]:
    """Yield :class:`Chunk` objects of up to ``chunk_records`` records or ``chunk_bytes`` of
    input (an API v2 page is one record of a hundred tweets), so memory stays flat."""
    if fmt == "auto":
        fmt = detect_format(path)
    normalise = _normaliser(fmt)
    records: list[Any] = []
    lines: list[bytes] = []
    numbers: list[int] = []
    chunk = Chunk(Batch())
    read = pending = 0

    def flush() -> Chunk:
        nonlocal records, lines, numbers, chunk
        done = chunk
        if records:
            try:
                done.batch = normalise(records, tracked, instance)
                done.raw_lines = lines
            except ImportFormatError:
                # one record spoils the page: normalise one by one to name it
                good: list[Batch] = []
                for rec, raw, no in zip(records, lines, numbers, strict=True):
                    try:
                        good.append(normalise([rec], tracked, instance))
                        done.raw_lines.append(raw)
                    except ImportFormatError as exc:
                        done.errors.append((no, exc.reason))
                done.batch = sum(good, Batch())
        done.errors.sort()
        done.bytes_read = read
        records, lines, numbers = [], [], []
        chunk = Chunk(Batch())
        return done

    with _open(path) as fh:
        for no, line in enumerate(fh, start=1):
            read += len(line)
            text = line.strip()
            if not text:
                continue
            chunk.records += 1
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                chunk.errors.append((no, f"not valid JSON ({str(exc).split(':')[0]})"))
                continue
            if not isinstance(obj, dict):
                chunk.errors.append((no, "not a JSON object"))
                continue
            records.append(obj)
            lines.append(text)
            numbers.append(no)
            pending += len(text)
            if chunk.records >= chunk_records or pending >= chunk_bytes:
                pending = 0
                yield flush()
    if chunk.records:
        yield flush()
