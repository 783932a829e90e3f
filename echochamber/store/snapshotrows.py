"""A snapshot's per-account rows (``snapshot_accounts``): written with the snapshot, read by
the accounts a query prints (``graph core`` reads the roster's, ``graph account`` one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from sqlalchemy import Connection, Table, delete, insert, select, update

from echochamber.store import bulk
from echochamber.store.keys import _chunks
from echochamber.store.schema import SnapshotAccountRow

rows_t: Table = SnapshotAccountRow.__table__  # type: ignore[assignment]
Accounts = Literal["all", "core", "none"] | Iterable[int]
COLUMNS = (
    "handle",
    "key",
    "is_core",
    "active",
    "hop",
    "posts",
    "followers",
    "out_core",
    "out_outside",
    "in_core",
    "in_outside",
)
_DEFAULTS: dict[str, Any] = {"is_core": False, "active": False, "posts": 0, "followers": 0}


def save_accounts(
    conn: Connection, snapshot_id: int, nodes: Mapping[str, Mapping[str, Any]]
) -> None:
    """Replace the rows of snapshot ``snapshot_id`` with ``nodes`` (``WeekDetails.nodes``)."""
    conn.execute(delete(rows_t).where(rows_t.c.snapshot_id == snapshot_id))
    rows = []
    for key, node in nodes.items():
        row: dict[str, Any] = {"snapshot_id": snapshot_id, "account_id": int(node.get("id", key))}
        for c in COLUMNS:
            v = node.get(c)
            row[c] = (
                _DEFAULTS.get(c, 0.0 if c.startswith(("in_", "out_")) else None) if v is None else v
            )
        row["is_core"], row["active"] = bool(row["is_core"]), bool(row["active"])
        row["followers"] = int(row["followers"] or 0)
        for c in ("out_core", "out_outside", "in_core", "in_outside"):
            row[c] = float(row[c])
        rows.append(row)
    rows.sort(key=lambda r: r["account_id"])
    for i in range(0, len(rows), 5000):
        bulk.executemany(
            conn, "snapshot_accounts.insert", lambda: insert(rows_t), rows[i : i + 5000]
        )


def load_accounts(
    conn: Connection, snapshot_id: int, wanted: tuple[int, ...] | None
) -> dict[str, dict[str, Any]]:
    """The rows of snapshot ``snapshot_id`` (``wanted``: these accounts; ``None``: all), as
    ``WeekDetails.nodes``."""
    cols = [rows_t.c.account_id, *(rows_t.c[c] for c in COLUMNS)]
    base = select(*cols).where(rows_t.c.snapshot_id == snapshot_id)
    parts = (
        [base]
        if wanted is None
        else [base.where(rows_t.c.account_id.in_(part)) for part in _chunks(wanted, 900)]
    )
    out: dict[str, dict[str, Any]] = {}
    for stmt in parts:
        for r in conn.execute(stmt):
            node = {"id": r[0], **dict(zip(COLUMNS, r[1:], strict=True))}
            node["is_core"], node["active"] = bool(node["is_core"]), bool(node["active"])
            out[str(r[0])] = node
    return out


def erase_snapshot_rows(conn: Connection, account: int, key: str | None) -> list[int]:
    """An erasure's part: the account's per-account rows keep no handle (``key``: its hashed
    key) or, with ``key`` ``None`` (a purge), are deleted; the snapshots they belong to, to
    be marked stale by the caller."""
    c = rows_t.c
    snaps = list(conn.scalars(select(c.snapshot_id).where(c.account_id == account)))
    if key is None:
        conn.execute(delete(rows_t).where(c.account_id == account))
    else:
        conn.execute(update(rows_t).where(c.account_id == account).values(handle=None, key=key))
    return snaps
