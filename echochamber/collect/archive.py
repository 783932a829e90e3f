"""Streaming archive reader: JSON lines (plain or gzip) -> chunks of normalised records.

Constant memory whatever the file size: the file is read in blocks of about ``block_bytes``
that end on a line break, each block is parsed into chunks of at most ``chunk_records`` records,
and a bad line is reported with its number and never stops the file.

Parsing and normalising is as much work as storing, so a large file is parsed by worker
processes (a couple of blocks ahead, in order) while the caller stores the chunks already
parsed: the two halves run on two cores.  Small files, and machines with one core, are parsed
in-process by the same function.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import zlib
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from echochamber.collect.registry import ARCHIVE_FORMATS
from echochamber.errors import EchoChamberError, ImportFormatError
from echochamber.models import Batch

FORMATS = tuple(ARCHIVE_FORMATS)
Normaliser = Callable[[Sequence[Any], Sequence[str], str | None], Batch]
BLOCK_BYTES = 4_000_000
AHEAD = 4
"""Blocks parsed ahead of the one being stored, beyond one per worker."""


@dataclass
class Chunk:
    """Records of one chunk: what they yield, their good lines (joined by newlines and
    zlib-compressed, as the store keeps raw payloads) and those lines' numbers, the bad ones,
    how far into the (decompressed) input the chunk ends, and about how far into the file on
    disk (``file_pos``; compressed bytes for a gzip file), for a percentage of the file."""

    batch: Batch
    raw_zlib: bytes = b""
    errors: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0
    bytes_read: int = 0
    lines: list[int] = field(default_factory=list)
    file_pos: int = 0


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
    if _is_array(path):
        items = orjson.loads(_array_lines(path).split(b"\n", 1)[0] or b"null")
        if fmt := sniff(items):
            return fmt
    with _open(path) as fh:
        for _, line in zip(range(probe_lines), fh, strict=False):
            line = line.removeprefix(BOM).strip()
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

        def mastodon(records: Sequence[Any], tracked: Sequence[str], server: str | None) -> Batch:
            return normalize_statuses(records, server=server or "import", tracked=tracked)

        return mastodon
    if fmt in ("twarc2", "twitter-v1"):
        from echochamber.collect import normalize_twitter

        def twitter(records: Sequence[Any], tracked: Sequence[str], server: str | None) -> Batch:
            return normalize_twitter.normalize_records(records, tracked=tracked)

        return twitter
    if fmt == "bluesky":
        from echochamber.collect import normalize_bluesky

        def bluesky(records: Sequence[Any], tracked: Sequence[str], server: str | None) -> Batch:
            return normalize_bluesky.normalize_records(records, tracked=tracked)

        return bluesky
    raise ImportFormatError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


BOM = b"\xef\xbb\xbf"
READ_BYTES = 1 << 16


def _is_array(path: str | Path) -> bool:
    """Does the file hold one JSON array (statuses saved from an API) rather than lines?"""
    with _open(path) as fh:
        head = fh.read(64).removeprefix(BOM).lstrip()
    return head.startswith(b"[")


def _array_lines(path: str | Path) -> bytes:
    """A JSON array file as JSON lines, one item a line (line N is the array's N-th item)."""
    with _open(path) as fh:
        data = fh.read().removeprefix(BOM)
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ImportFormatError(f"not a valid JSON array ({exc})", path=str(path)) from None
    return b"\n".join(orjson.dumps(item) for item in items) + b"\n"


def _blocks(path: str | Path, block_bytes: int) -> Iterator[tuple[bytes, int, int]]:
    """``(block, number of its first line, bytes of the file read)``: blocks of whole lines,
    about ``block_bytes``; the last item counts the file on disk (compressed, for gzip).

    A UTF-8 byte-order mark is dropped; a JSON array becomes one item a line.  A compressed
    file that ends early yields every whole line before the break, then raises an
    :class:`ImportFormatError` naming the line where it stopped.
    """
    if _is_array(path):
        yield _array_lines(path), 1, Path(path).stat().st_size
        return
    with _open(path) as fh:
        raw = getattr(fh, "fileobj", fh)
        line_no = 1
        rest = b""
        first = True
        broken: BaseException | None = None
        while broken is None:
            parts: list[bytes] = []
            size = 0
            while size < block_bytes:  # small reads: a break loses at most one of them
                try:
                    part = fh.read(min(READ_BYTES, block_bytes - size))
                except (EOFError, OSError, zlib.error) as exc:
                    broken = exc
                    break
                if not part:
                    break
                parts.append(part)
                size += len(part)
            data = b"".join(parts)
            if not data:
                break
            if first:
                data, first = data.removeprefix(BOM), False
            data = rest + data if rest else data
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a block: read on
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
            yield block, line_no, raw.tell()
            line_no += block.count(b"\n")
        if broken is not None:
            raise ImportFormatError(
                f"the file ends early ({broken}); the {line_no - 1} lines before are imported",
                path=str(path),
                line=line_no,
            )
        if rest:
            yield rest, line_no, raw.tell()


def parse_block(
    block: bytes,
    first_line: int,
    fmt: str,
    tracked: Sequence[str],
    server: str | None,
    chunk_records: int,
) -> list[Chunk]:
    """Parse and normalise the lines of one block into chunks of ``chunk_records`` records.

    ``bytes_read`` of each chunk counts from the start of the block.  Runs in a worker process
    for large files, so it takes and returns only picklable values.
    """
    normalise = _normaliser(fmt)
    chunks: list[Chunk] = []
    records: list[Any] = []
    lines: list[bytes] = []
    numbers: list[int] = []
    chunk = Chunk(Batch())

    def flush(offset: int) -> None:
        nonlocal records, lines, numbers, chunk
        good, good_numbers = lines, numbers
        if records:
            try:
                chunk.batch = normalise(records, tracked, server)
            except ImportFormatError:
                # one record spoils the page: normalise one by one to name it
                batches: list[Batch] = []
                good, good_numbers = [], []
                for rec, raw, no in zip(records, lines, numbers, strict=True):
                    try:
                        batches.append(normalise([rec], tracked, server))
                        good.append(raw)
                        good_numbers.append(no)
                    except ImportFormatError as exc:
                        chunk.errors.append((no, exc.reason))
                chunk.batch = sum(batches, Batch())
        if good:
            chunk.raw_zlib = zlib.compress(b"\n".join(good), 1)
        chunk.lines = good_numbers
        chunk.errors.sort()
        chunk.bytes_read = offset
        chunks.append(chunk)
        records, lines, numbers = [], [], []
        chunk = Chunk(Batch())

    offset = 0
    for no, line in enumerate(block.split(b"\n"), start=first_line):
        offset += len(line) + 1
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
        if chunk.records >= chunk_records:
            flush(offset)
    if chunk.records:
        flush(min(offset, len(block)))
    return chunks


def each_record(
    chunk: Chunk, fmt: str, tracked: Sequence[str], server: str | None
) -> Iterator[tuple[int, Batch]]:
    """``(line number, what that line alone yields)`` for each good line of a chunk: parsed
    again, so only when needed (to name the line of a record the store refused)."""
    normalise = _normaliser(fmt)
    raw = zlib.decompress(chunk.raw_zlib).split(b"\n") if chunk.raw_zlib else []
    for no, line in zip(chunk.lines, raw, strict=True):
        try:
            yield no, normalise([orjson.loads(line)], tracked, server)
        except (ImportFormatError, orjson.JSONDecodeError):
            continue


def default_workers(path: str | Path, block_bytes: int = BLOCK_BYTES) -> int:
    """Worker processes for parsing ``path``: none for a small file (under four blocks of
    JSON; gzip counts five times its size) or a one-core machine, where starting a process
    costs more than it saves; else one per spare core, at most four."""
    cores = os.cpu_count() or 1
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as probe:
            if probe.read(2) == b"\x1f\x8b":
                size *= 5  # JSON lines compress about five to ten times
    except OSError:
        return 0
    if cores < 2 or size < 4 * block_bytes:
        return 0
    return min(4, cores - 1)


def iter_archive(
    path: str | Path,
    fmt: str = "auto",
    *,
    tracked: Sequence[str] = (),
    server: str | None = None,
    chunk_records: int = 2000,
    block_bytes: int = BLOCK_BYTES,
    workers: int | None = None,
) -> Iterator[Chunk]:
    """Yield the file's :class:`Chunk` objects in order, at most ``chunk_records`` records
    each (an API v2 page is one record of a hundred tweets), so memory stays flat.

    ``workers`` parse in other processes (``None``: :func:`default_workers`); at most
    ``workers +`` :data:`AHEAD` blocks are in flight (the caller stores a few chunks together,
    and the workers parse on meanwhile).
    """
    if fmt == "auto":
        fmt = detect_format(path)
    _normaliser(fmt)  # an unknown format fails here, before any work
    tracked = tuple(tracked)
    if workers is None:
        workers = default_workers(path, block_bytes)
    read = 0
    if workers <= 0:
        pos = 0
        for block, first, end in _blocks(path, block_bytes):
            chunks = parse_block(block, first, fmt, tracked, server, chunk_records)
            yield from _placed(chunks, read, len(block), (pos, end))
            read, pos = read + len(block), end
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: deque[tuple[Future[list[Chunk]], int, tuple[int, int]]] = deque()
    try:
        try:
            pos = 0
            for block, first, end in _blocks(path, block_bytes):
                job = pool.submit(parse_block, block, first, fmt, tracked, server, chunk_records)
                pending.append((job, len(block), (pos, end)))
                pos = end
                if len(pending) >= workers + AHEAD:
                    read = yield from _finish(pending.popleft(), read, path)
        finally:  # the blocks read before a break are still parsed and stored
            while pending:
                read = yield from _finish(pending.popleft(), read, path)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _placed(chunks: list[Chunk], read: int, size: int, span: tuple[int, int]) -> Iterator[Chunk]:
    """Chunks of one block, their offsets made the file's: ``bytes_read`` from the start of
    the input, ``file_pos`` interpolated within the block's ``span`` of the file on disk."""
    start, end = span
    for chunk in chunks:
        chunk.file_pos = start + (end - start) * chunk.bytes_read // max(size, 1)
        chunk.bytes_read += read
        yield chunk


def _finish(
    job: tuple[Future[list[Chunk]], int, tuple[int, int]], read: int, path: str | Path
) -> Generator[Chunk, None, int]:
    future, size, span = job
    try:
        chunks = future.result()
    except BrokenProcessPool as exc:
        raise EchoChamberError(
            f"{path}: a parsing worker process died ({exc}); chunks before it are stored, "
            "rerun the import (with --workers 0 to parse in-process)"
        ) from None
    yield from _placed(chunks, read, size, span)
    return read + size
