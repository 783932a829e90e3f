"""Snapshots: save, load, list and the weekly history of stored measurements.

A snapshot row keeps its edition (rows of the first edition read 1), what it was computed
from (``inputs``) and the time zone of its week (``zone``; NULL is UTC), so windows come back
with their local bounds and :attr:`~echochamber.models.Window.label` reads the local week.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from echochamber.models import RosterMember, Snapshot, WeekDetails, Window
from echochamber.store.keys import dialect_insert
from echochamber.store.schema import SnapshotRow
from echochamber.store.snapshotrows import Accounts, load_accounts, save_accounts

_KEY = ("scope", "window_start", "window_end", "policy")


def save_snapshot(engine: Engine, snap: Snapshot) -> None:
    """Insert or replace the snapshot of (scope, window, policy)."""
    t = SnapshotRow.__table__
    values = {
        "scope": snap.scope,
        "window_start": snap.window.start,
        "window_end": snap.window.end,
        "policy": snap.policy,
        "computed_at": snap.computed_at,
        "metrics": json.dumps(snap.metrics, allow_nan=False),
        "roster": json.dumps([asdict(m) for m in snap.roster]),
        "details": json.dumps(
            {
                "nodes": {},  # as rows of snapshot_accounts
                "bridges": snap.details.bridges,
                "conversations": snap.details.conversations,
                "new_voices": snap.details.new_voices,
            },
            allow_nan=False,
            default=str,
        ),
        "final": snap.final,
        "edition": snap.edition,
        "inputs": json.dumps(snap.inputs, allow_nan=False, sort_keys=True),
        "zone": _zone_of(snap.window),
    }
    with engine.begin() as conn:
        ins = dialect_insert(conn, t).values(**values)  # type: ignore[arg-type]
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={k: v for k, v in values.items() if k not in _KEY},
            )
        )
        sid = conn.execute(
            select(SnapshotRow.id).where(*_of(snap.window, snap.scope, snap.policy))
        ).scalar_one()
        save_accounts(conn, int(sid), snap.details.nodes)


def _zone_of(window: Window) -> str | None:
    key = getattr(window.start.tzinfo, "key", None)
    return None if key in (None, "UTC") else str(key)


def _window(start: datetime, end: datetime, zone: str | None) -> Window:
    if not zone:
        return Window(start, end)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    return Window(start.astimezone(tz), end.astimezone(tz))


def _weekly(window: Window) -> bool:
    """A week in its own zone: Monday 00:00 to Monday 00:00 (167-169 hours across a DST change)."""
    s = window.start
    return window.end - s == timedelta(days=7) and s.weekday() == 0 and s.hour == s.minute == 0


def _inputs(text: str | None) -> dict[str, Any]:
    return dict(json.loads(text)) if text else {}


def _roster(text: str) -> tuple[RosterMember, ...]:
    return tuple(
        RosterMember(int(m["id"]), m.get("key"), m.get("handle")) for m in json.loads(text)
    )


def _details(text: str | None, nodes: dict[str, dict[str, Any]] | None = None) -> WeekDetails:
    raw: Mapping[str, Any] = json.loads(text or "{}")
    return WeekDetails(
        nodes=dict(raw.get("nodes") or {}) if nodes is None else nodes,
        bridges=list(raw.get("bridges") or []),
        conversations=list(raw.get("conversations") or []),
        new_voices=list(raw.get("new_voices") or []),
    )


def _of(window: Window, scope: str, policy: str) -> tuple[Any, ...]:
    """The conditions that name one snapshot: its window, scope and roster policy."""
    return (
        SnapshotRow.scope == scope,
        SnapshotRow.window_start == window.start,
        SnapshotRow.window_end == window.end,
        SnapshotRow.policy == policy,
    )


def load_snapshot(
    engine: Engine, window: Window, scope: str, policy: str, accounts: Accounts = "all"
) -> Snapshot | None:
    """The stored snapshot of (window, scope, policy), or ``None``.

    ``accounts`` says which per-account rows (``details.nodes``) to read: ``"all"``,
    ``"core"`` (the roster's), ``"none"`` or the account ids wanted.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(
                SnapshotRow.id,
                SnapshotRow.metrics,
                SnapshotRow.roster,
                SnapshotRow.details,
                SnapshotRow.computed_at,
                SnapshotRow.final,
                SnapshotRow.edition,
                SnapshotRow.inputs,
            ).where(*_of(window, scope, policy))
        ).first()
        if row is None:
            return None
        sid, metrics, roster_text, details, computed, final, edition, inputs = row
        roster = _roster(roster_text)
        wanted = _wanted(accounts, roster)
        nodes = None if wanted == () else load_accounts(conn, int(sid), wanted)
    if wanted == ():
        nodes = {}
    elif not nodes:  # saved before the rows (or a week without accounts): the JSON
        nodes = _pick(_details(details).nodes, wanted)
    return Snapshot(
        window=window,
        scope=scope,
        policy=policy,
        metrics=json.loads(metrics),
        roster=roster,
        details=_details(details, nodes),
        computed_at=computed,
        final=bool(final),
        edition=int(edition),
        inputs=_inputs(inputs),
    )


def _wanted(accounts: Accounts, roster: tuple[RosterMember, ...]) -> tuple[int, ...] | None:
    """``None``: every account; ``()``: none; otherwise these ids."""
    if accounts == "all":
        return None
    if accounts == "none":
        return ()
    if accounts == "core":
        return tuple(sorted({m.id for m in roster})) or (-1,)
    return tuple(sorted({int(a) for a in accounts})) or (-1,)  # type: ignore[union-attr]


def _pick(nodes: dict[str, dict[str, Any]], wanted: tuple[int, ...] | None) -> dict[str, Any]:
    if wanted is None:
        return nodes
    return {str(a): nodes[str(a)] for a in wanted if str(a) in nodes}


def previous_roster(
    engine: Engine, window: Window, scope: str, policy: str
) -> frozenset[str] | None:
    """The account keys of the roster of the window before ``window`` (``None``: no snapshot)."""
    prev = window.previous()
    with engine.connect() as conn:
        row = conn.execute(select(SnapshotRow.roster).where(*_of(prev, scope, policy))).first()
    if row is None:
        return None
    return frozenset(m.key for m in _roster(row[0]) if m.key)


@dataclass(frozen=True, slots=True)
class SnapshotState:
    """What ``metrics compute --missing`` needs to know of a stored weekly snapshot."""

    window: Window
    edition: int
    final: bool
    inputs: dict[str, Any]


def snapshot_states(engine: Engine, scope: str, policy: str) -> dict[date, SnapshotState]:
    """The weekly snapshots by the local date of their Monday."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                SnapshotRow.window_start,
                SnapshotRow.window_end,
                SnapshotRow.zone,
                SnapshotRow.edition,
                SnapshotRow.final,
                SnapshotRow.inputs,
            ).where(SnapshotRow.scope == scope, SnapshotRow.policy == policy)
        ).all()
    out: dict[date, SnapshotState] = {}
    for start, end, zone, edition, final, inputs in rows:
        w = _window(start, end, zone)
        if _weekly(w):
            out[w.start.date()] = SnapshotState(w, int(edition), bool(final), _inputs(inputs))
    return out


def snapshot_weeks(engine: Engine, scope: str, policy: str) -> set[date]:
    """Local Mondays of the weekly windows that have a snapshot."""
    return set(snapshot_states(engine, scope, policy))


def history(engine: Engine, scope: str, policy: str, weeks: int) -> list[Snapshot]:
    """The newest ``weeks`` weekly snapshots, oldest first (details not loaded)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                SnapshotRow.window_start,
                SnapshotRow.window_end,
                SnapshotRow.metrics,
                SnapshotRow.roster,
                SnapshotRow.computed_at,
                SnapshotRow.final,
                SnapshotRow.edition,
                SnapshotRow.inputs,
                SnapshotRow.zone,
            )
            .where(SnapshotRow.scope == scope, SnapshotRow.policy == policy)
            .order_by(SnapshotRow.window_start.desc())
        ).all()
    out: list[Snapshot] = []
    for start, end, metrics, roster, computed, final, edition, inputs, zone in rows:
        window = _window(start, end, zone)
        if not _weekly(window):
            continue
        out.append(
            Snapshot(
                window=window,
                scope=scope,
                policy=policy,
                metrics=json.loads(metrics),
                roster=_roster(roster),
                details=WeekDetails(),
                computed_at=computed,
                final=bool(final),
                edition=int(edition),
                inputs=_inputs(inputs),
            )
        )
        if len(out) >= weeks:
            break
    return out[::-1]
