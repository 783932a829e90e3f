"""Single-flight across processes: PostgreSQL advisory locks, file locks for SQLite.

``with job_lock(engine, "collect", stream) as got:`` yields False when another process holds
the lock, so a job that finds its stream busy simply skips this turn.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for (job, stream)."""
    digest = hashlib.blake2b("\0".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_dir(engine: Engine) -> Path:
    db = engine.url.database
    if db and db != ":memory:":
        return Path(db).expanduser().resolve().parent
    return Path(tempfile.gettempdir())


@contextmanager
def job_lock(engine: Engine, *parts: str) -> Iterator[bool]:
    """Try to take the lock for ``parts``; yields whether we hold it. Never blocks."""
    key = lock_key(*parts)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    name = f".echochamber-{Path(engine.url.database or 'db').name}-{key & 0xFFFFFFFF:08x}.lock"
    path = _lock_dir(engine) / name
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
