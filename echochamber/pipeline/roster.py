"""The core roster of a week, with its hygiene and the other rosters of the sensitivity runs.

* ``top-active``: the ``size`` accounts with most tagged posts written plus acts made (reply,
  quote, boost, favourite; never mention objects) over the ``window_weeks`` whole UTC weeks
  that end before the measured week starts;
* ``kcore``: the main k-core of those weeks' undirected graph (mentions left out, like the
  ranking), padded by activity to ``size`` when the main core is smaller;
* ``list``: the accounts named in the config.

Accounts flagged ``bot`` and accounts or servers in ``[core] exclude`` never enter a roster.
When the trailing weeks hold no data (the first weeks), the roster comes from the measured
week itself and says so: ``source`` is ``"same-week"`` (otherwise ``"trailing"``, or
``"list"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from echochamber.config import Settings
from echochamber.errors import ConfigError
from echochamber.graph.core import kcore_roster, top_active
from echochamber.graph.net import span_net
from echochamber.models import Window
from echochamber.store import GraphReader

AUTOMATIC = ("top-active", "kcore")


@dataclass(frozen=True)
class Roster:
    """A roster and where it came from (``trailing``, ``same-week`` or ``list``)."""

    ids: frozenset[int]
    source: str
    policy: str
    size: int


def trailing_window(window: Window, weeks: int) -> Window:
    """The ``weeks`` whole UTC weeks ending at the last UTC Monday at or before the week's
    start (whole weeks read the per-week edge counts kept at ingest).

    >>> from echochamber.config.weeks import zone_week
    >>> w = zone_week(datetime(2026, 11, 18, tzinfo=UTC), "America/Chicago")
    >>> t = trailing_window(w, 2)
    >>> t.start.isoformat(), t.end.isoformat()
    ('2026-11-02T00:00:00+00:00', '2026-11-16T00:00:00+00:00')
    """
    start = window.start.astimezone(UTC)
    monday = start.date() - timedelta(days=start.weekday())
    end = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return Window(end - timedelta(weeks=weeks), end)


@dataclass
class _Ranking:
    activity: dict[int, int]
    span: Window
    source: str
    unwanted: set[int]
    graph: Any = None  # the span's graph without mentions, built once for kcore


def _ranking(reader: GraphReader, settings: Settings, window: Window, scope: str) -> _Ranking:
    span = trailing_window(window, settings.core.window_weeks)
    act = reader.activity(span, scope)
    source = "trailing"
    if not act:  # nothing before: the measured week itself, and the snapshot says so
        span, source = window, "same-week"
        act = reader.activity(window, scope)
    bad = reader.unwanted(settings.core.exclude, act)
    return _Ranking({a: n for a, n in act.items() if a not in bad}, span, source, bad)


def _automatic(
    reader: GraphReader, r: _Ranking, policy: str, size: int, scope: str
) -> frozenset[int]:
    if policy == "kcore":
        if r.graph is None:  # the span's undirected ties without mentions, built once
            r.graph = span_net(reader.edge_rows(r.span, scope), r.unwanted)
        return kcore_roster(r.graph, size, r.activity, pad=True)
    return top_active(r.activity, size)


def rosters(
    reader: GraphReader, settings: Settings, window: Window, scope: str
) -> tuple[Roster, dict[str, frozenset[int]]]:
    """The configured roster and, when ``[metrics] sensitivity`` is on, the others:
    ``size:N`` for the configured policy at 0.5, 1.5 and 2 times the size, and
    ``policy:P`` for the other automatic policy (both, for ``list``) at the same size."""
    core = settings.core
    others: dict[str, frozenset[int]] = {}
    r = _ranking(reader, settings, window, scope)
    if core.policy == "list":
        found = reader.resolve_accounts(core.accounts)
        if not found:
            raise ConfigError("core.accounts: none of the listed accounts is in the store yet")
        ids = frozenset(found.values()) - reader.unwanted(core.exclude, found.values())
        main = Roster(ids, "list", "list", len(ids))
        if settings.metrics.sensitivity:
            for policy in AUTOMATIC:
                others[f"policy:{policy}"] = _automatic(reader, r, policy, len(ids), scope)
        return main, others
    main = Roster(
        _automatic(reader, r, core.policy, core.size, scope), r.source, core.policy, core.size
    )
    if settings.metrics.sensitivity:
        for factor in (0.5, 1.5, 2.0):
            size = max(1, round(core.size * factor))
            others[f"size:{size}"] = _automatic(reader, r, core.policy, size, scope)
        other = next(p for p in AUTOMATIC if p != core.policy)
        others[f"policy:{other}"] = _automatic(reader, r, other, core.size, scope)
    return main, others


def merged_rosters(
    rosters: Mapping[str, frozenset[int]], same: Mapping[int, int]
) -> dict[str, frozenset[int]]:
    """Rosters with linked identities replaced by their representative.

    >>> merged_rosters({"size:2": frozenset({1, 3})}, {3: 2})
    {'size:2': frozenset({1, 2})}
    """
    return {k: frozenset(same.get(i, i) for i in ids) for k, ids in rosters.items()}
