"""Engine factory and schema management (Alembic).

Engines are made by the caller and injected; nothing connects at import time.  SQLite gets WAL,
a busy timeout and foreign keys; PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool, StaticPool

from echochamber.config import mask_url
from echochamber.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0008"
"""The newest schema revision; a test keeps it equal to Alembic's head.  Reading commands
compare the store's revision with it without importing Alembic (a quick start-up)."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def is_database_error(exc: BaseException) -> bool:
    """Was ``exc`` raised by SQLAlchemy or a database driver (not by echochamber)?"""
    return type(exc).__module__.split(".")[0] in ("sqlalchemy", "psycopg", "sqlite3")


def database_error(orig: BaseException, where: str = "") -> StoreError:
    """A database driver's error as one line of the exception tree: no SQL, no parameters.

    The command line and the daemon turn SQLAlchemy's errors into this at their boundary
    (third-party code sharing the engine, such as the scheduler's job store, still sees
    SQLAlchemy's own exceptions).

    >>> str(database_error(ValueError("attempt to write a readonly database")))
    'the store is read-only: attempt to write a readonly database'
    """
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    text = text[:300]
    low = text.lower()
    if "readonly" in low or "read-only" in low or "read only" in low:
        return StoreError(f"the store{where} is read-only: {text}")
    if "database is locked" in low:
        return StoreError(f"the store{where} is locked by another process: {text}")
    return StoreError(f"database error{where}: {type(orig).__name__}: {text}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///file.db`` or ``postgresql+psycopg://...``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:" and not path.startswith("file:"):
                parent = Path(path).expanduser().resolve().parent
                if not parent.is_dir():
                    raise StoreError(f"store.url {url}: folder {parent} does not exist")
            memory = not path or path == ":memory:"
            # file databases keep a small pool: reconnecting (and re-running the PRAGMAs)
            # for every page cost more than the page itself
            pool: Any = StaticPool if memory else QueuePool
            extra = {"connect_args": {"check_same_thread": False}} if memory else {}
            engine = create_engine(url, poolclass=pool, **extra, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"store.url {mask_url(url)}: {exc}") from None
    return engine


def _alembic_config(engine: Engine | None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """Alembic's head revision, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise StoreError(f"no schema migrations found in {MIGRATIONS}")
    return str(head)


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision (``None``: not initialised)."""
    try:
        with engine.connect() as conn:
            if not _has_table(conn, "alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except OperationalError as exc:
        raise StoreError(f"cannot open the store {mask_url(str(engine.url))}: {exc.orig}") from None
    except StoreError as exc:
        raise StoreError(f"cannot open the store {mask_url(str(engine.url))}: {exc}") from None
    return None if row is None else str(row[0])


def _has_table(conn: Any, name: str) -> bool:
    """Does the table exist? One catalogue query (reflection would cost more than the rest)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"
    else:
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = :n"
    return conn.execute(text(sql), {"n": name}).first() is not None


def init_db(engine: Engine) -> tuple[str | None, str]:
    """Create the schema or upgrade it to the newest revision; never drops data.

    Returns (revision before, revision after).
    """
    before = current_revision(engine)
    if before is None:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"apscheduler_jobs"}
        if tables & {"posts", "accounts"}:
            raise StoreError(
                f"{mask_url(str(engine.url))} holds echochamber-like tables without a schema "
                "version; refusing to touch it (point store.url at a new database)"
            )
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"schema upgrade failed: {exc}") from None
    return before, head_revision()


def require_schema(engine: Engine) -> None:
    """Raise a clear :class:`StoreError` unless the schema is at the newest revision."""
    current = current_revision(engine)
    if current is None:
        raise StoreError(
            f"the store {mask_url(str(engine.url))} is not initialised: run 'echochamber init'"
        )
    if current != HEAD:
        from alembic.script import ScriptDirectory

        head = head_revision()
        script = ScriptDirectory.from_config(_alembic_config(engine))
        known = {rev.revision for rev in script.walk_revisions()}
        if current not in known:
            raise StoreError(
                f"the store is at schema {current}, newer than this echochamber knows; upgrade it"
            )
        raise StoreError(f"the store's schema is at {current}, not {head}: run 'echochamber init'")
