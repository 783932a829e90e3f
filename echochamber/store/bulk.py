"""Batch writes at the driver's speed on SQLite, the same statements as SQLAlchemy's.

SQLAlchemy spends more time per row preparing an ``executemany`` (building each row's
parameters, running each column's processor) than SQLite spends writing the row.  For SQLite
the statement is compiled once per (statement name, columns) with SQLAlchemy's own compiler, and
the rows go to ``sqlite3.Cursor.executemany`` as tuples: a C ``itemgetter`` per row plus
SQLAlchemy's bind processors (the UTC datetime and boolean conversions) only for the columns that
have one.  Any statement this module cannot prepare exactly takes the plain
``Connection.execute(stmt, rows)`` path, so the SQL sent is the same either way.

On PostgreSQL an ``INSERT`` of :data:`STAGE_ROWS` rows or more is staged instead: the rows are
copied into a staging table and the same statement runs once as ``INSERT ... SELECT``
(:mod:`echochamber.store.staging`); fewer rows (a collector's page) go as one ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable, Insert

from echochamber.store.schema import UTCDateTime
from echochamber.store.staging import execute_staged

Processor = Callable[[Any], Any]

STAGE_ROWS = 50
"""On PostgreSQL, an ``INSERT`` of at least this many rows is staged (``COPY``), fewer are sent
as an ``executemany``; both write the same rows."""


@dataclass(frozen=True)
class _Prepared:
    sql: str
    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    processors: tuple[tuple[int, Processor], ...]
    constants: tuple[tuple[int, Any], ...]


def _sqlite_utc_text() -> Processor:
    """What :class:`UTCDateTime` and SQLite's ``DATETIME`` make of a datetime, ten times as
    fast: ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC; a run of rows sharing one moment (the
    collection time) converts it once."""
    last: list[Any] = [None, None]

    def process(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value is last[0]:
            return last[1]  # type: ignore[no-any-return]
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store")
        utc = value if value.tzinfo is UTC else value.astimezone(UTC)
        text = utc.replace(tzinfo=None).isoformat(" ", "microseconds")
        last[0], last[1] = value, text
        return text

    return process


_PREPARED: dict[tuple[str, str, tuple[str, ...]], _Prepared | None] = {}


def _prepare(conn: Connection, stmt: Any, keys: tuple[str, ...]) -> _Prepared | None:
    compiled: Any = stmt.compile(dialect=conn.dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    order: Sequence[str] | None = compiled.positiontup
    if not order:
        return None
    wanted = set(keys)
    in_rows = [name for name in order if name in wanted]
    if not in_rows:
        return None
    processors = []
    constants = []
    for i, name in enumerate(order):
        proc = compiled._bind_processors.get(name)
        bind_type = getattr(compiled.binds.get(name), "type", None)
        if isinstance(bind_type, UTCDateTime) and conn.dialect.name == "sqlite":
            proc = _sqlite_utc_text()
        if name not in wanted:
            bind = compiled.binds.get(name)
            if bind is None or bind.callable is not None or bind.value is None:
                return None  # a column default or an unbound parameter: let SQLAlchemy do it
            constants.append((i, proc(bind.value) if proc else bind.value))
        elif proc is not None:
            processors.append((i, proc))
    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    if constants:
        index = {name: i for i, name in enumerate(in_rows)}
        spread = [index.get(name) for name in order]
        pick = itemgetter(*in_rows)
        single = len(in_rows) == 1

        def getter(row: dict[str, Any]) -> tuple[Any, ...]:
            got = (pick(row),) if single else pick(row)
            return tuple(None if j is None else got[j] for j in spread)

    elif len(order) == 1:
        only = order[0]

        def getter(row: dict[str, Any]) -> tuple[Any, ...]:
            return (row[only],)

    else:
        getter = itemgetter(*order)
    return _Prepared(str(compiled), getter, tuple(processors), tuple(constants))


def executemany(
    conn: Connection, name: str, stmt: Callable[[], Executable], rows: Sequence[dict[str, Any]]
) -> None:
    """Execute ``stmt()`` for every row (dicts with the same keys), in one driver call.

    ``name`` identifies the statement for the compile cache: the same name must always build
    the same statement.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        execute_returning(conn, stmt(), rows)
        return
    if conn.dialect.name != "sqlite" or conn.dialect.paramstyle != "qmark":
        conn.execute(stmt(), list(rows))
        return
    keys = tuple(rows[0])
    cache_key = (name, conn.dialect.name, keys)
    if cache_key not in _PREPARED:
        _PREPARED[cache_key] = _prepare(conn, stmt(), keys)
    prepared = _PREPARED[cache_key]
    if prepared is None:
        conn.execute(stmt(), list(rows))
        return
    get = prepared.getter
    if prepared.processors or prepared.constants:
        params: list[Any] = []
        for row in rows:
            values = list(get(row))
            for i, proc in prepared.processors:
                values[i] = proc(values[i])
            for i, value in prepared.constants:
                values[i] = value
            params.append(values)
    else:
        params = [get(row) for row in rows]
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(prepared.sql, params)
    except dbapi.Error as exc:  # the same exception SQLAlchemy's own path raises
        raise DBAPIError.instance(
            prepared.sql, None, exc, dbapi.Error, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


def execute_returning(conn: Connection, stmt: Any, rows: Sequence[dict[str, Any]]) -> Any:
    """``conn.execute(stmt, rows)`` for an ``INSERT`` (perhaps with ``RETURNING``): one staged
    statement on PostgreSQL for :data:`STAGE_ROWS` rows or more; returns the result."""
    if conn.dialect.name == "postgresql" and isinstance(stmt, Insert) and len(rows) >= STAGE_ROWS:
        return execute_staged(conn, stmt.table, stmt, rows)  # type: ignore[arg-type]
    return conn.execute(stmt, list(rows))
