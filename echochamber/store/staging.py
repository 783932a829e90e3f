"""Batch writes on PostgreSQL: ``COPY`` into a staging table, then one ``INSERT ... SELECT``.

Sending a batch's rows as an ``executemany`` costs a statement per row (and with ``RETURNING``
a round trip per page of rows), and the driver's Python per row.  Here the rows stream into a
temporary table of the target's column types with ``COPY`` (the driver's C writer), and the
statement the other dialects run row by row runs once over that table: the same SQLAlchemy
statement (``ON CONFLICT`` clauses and all), made ``INSERT ... SELECT`` by ``from_select``.  The
values pass through the columns' own bind processors first (UTC datetimes, say), so the rows
stored are the ones the row-by-row statement stores.  A staging table lives as long as its
connection, is emptied before each use and at commit, and is named for its target table and
columns.

SQLAlchemy owns the connection: the ``COPY`` runs on the DBAPI connection under it, inside the
caller's transaction; a refused value raises the same SQLAlchemy exception the row-by-row path
raises (a ``DataError`` for a malformed value, an ``IntegrityError`` for a broken key).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, column, select
from sqlalchemy import table as table_clause
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any]

_PROCESSORS: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, Processor], ...]] = {}


def _processors(conn: Connection, table: Table, keys: tuple[str, ...]) -> Any:
    cache_key = (table.name, keys)
    found = _PROCESSORS.get(cache_key)
    if found is None:
        procs = []
        for i, key in enumerate(keys):
            proc = table.c[key].type.bind_processor(conn.dialect)
            if proc is not None:
                procs.append((i, proc))
        found = _PROCESSORS[cache_key] = tuple(procs)
    return found


def stage_name(table: Table, keys: tuple[str, ...]) -> str:
    """A staging table per target table and set of columns (so one made before a migration
    added a column is never reused for rows that carry it)."""
    return f"echochamber_stage_{table.name}_{zlib.crc32(','.join(keys).encode()):08x}"


def copy_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> Any:
    """Empty ``table``'s staging table and ``COPY`` the rows into it; returns the staging table
    as a selectable with the rows' columns."""
    keys = tuple(rows[0])
    name = stage_name(table, keys)
    cols = ", ".join(f'"{k}"' for k in keys)
    procs = _processors(conn, table, keys)
    get = itemgetter(*keys)
    single = len(keys) == 1
    dbapi = conn.dialect.loaded_dbapi
    raw: Any = conn.connection.driver_connection
    sql = f"COPY {name} ({cols}) FROM STDIN"
    try:
        with raw.cursor() as cur:
            cur.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
                f"SELECT {cols} FROM {table.name} WITH NO DATA; TRUNCATE {name}"
            )
            with cur.copy(sql) as copy:
                write = copy.write_row
                for row in rows:
                    values = (get(row),) if single else get(row)
                    if procs:
                        values = list(values)
                        for i, proc in procs:
                            values[i] = proc(values[i])
                    write(values)
    except dbapi.Error as exc:  # what SQLAlchemy's own path would raise
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=conn.dialect) from exc
    return table_clause(name, *(column(k) for k in keys))


def execute_staged(
    conn: Connection, table: Table, stmt: Any, rows: Sequence[dict[str, Any]]
) -> CursorResult[Any]:
    """Run the ``INSERT`` ``stmt`` (a dialect insert of ``table``, with its ``ON CONFLICT``
    and ``RETURNING`` clauses) once for all ``rows`` (dicts with the same keys), which are
    staged in their order."""
    stage = copy_rows(conn, table, rows)
    keys = list(rows[0])
    return conn.execute(stmt.from_select(keys, select(*(stage.c[k] for k in keys))))
