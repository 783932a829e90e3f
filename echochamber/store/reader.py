"""One read transaction over the graph tables, for the pipeline's week and query building.

The pipeline never holds a connection: it opens a :class:`GraphReader` with
:func:`graph_reader` and calls the aggregations of :mod:`echochamber.store.graphdata` on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from echochamber.models import WeekRows, Window
from echochamber.store import graphdata as gd
from echochamber.store import weekdata as wd
from echochamber.store.graphdata import ThreadPost


class GraphReader:
    """The window aggregations the graph and the metrics need, on one connection.

    A reader lives for one read (one snapshot): each window aggregation is computed once and
    kept, so the roster, its fallback to the measured week and the sensitivity rosters do not
    aggregate the same week again.  Callers must not change what they are given.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._kept: dict[tuple[str, Window, str], Any] = {}

    def _once(self, name: str, window: Window, scope: str, make: Any) -> Any:
        key = (name, window, scope)
        if key not in self._kept:
            self._kept[key] = make()
        return self._kept[key]

    def edge_rows(self, window: Window, scope: str = "all") -> list[tuple[int, int, str, int, int]]:
        """``(actor, target, kind, n, n_via_reply)`` summed over the window."""
        return self._once(  # type: ignore[no-any-return]
            "edges", window, scope, lambda: gd.edge_rows(self._conn, window, scope)
        )

    def tagged_posts_by_author(self, window: Window, scope: str = "all") -> dict[int, int]:
        """Tagged, non-boost posts per author created in the window."""
        return self._once(  # type: ignore[no-any-return]
            "tagged", window, scope, lambda: gd.tagged_posts_by_author(self._conn, window, scope)
        )

    def activity(self, window: Window, scope: str = "all") -> dict[int, int]:
        """Tagged posts plus acts made (no mentions), per account (the roster's ranking);
        whole weeks read the ``account_weeks`` rows kept at ingest."""
        return self._once(  # type: ignore[no-any-return]
            "activity", window, scope, lambda: gd.activity(self._conn, window, scope)
        )

    def unwanted(self, entries: Iterable[str], ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` are bots or excluded by ``[core] exclude`` (accounts or servers)."""
        return gd.unwanted(self._conn, entries, ids)

    def week_rows(self, window: Window, scope: str = "all", tail: timedelta = wd.TAIL) -> WeekRows:
        """The conversations rooted in ``window`` (posts up to ``tail`` after it), their ties."""
        return wd.week_rows(self._conn, window, scope, tail)

    def count_inputs(
        self, window: Window, scope: str = "all", tail: timedelta = wd.TAIL
    ) -> dict[str, int]:
        """The store rows a week is read from (a snapshot whose counts differ is stale)."""
        return wd.count_inputs(self._conn, window, scope, tail)

    def thread_posts(self, window: Window, scope: str = "all") -> list[ThreadPost]:
        """Non-boost posts of the window and of the week after it (late replies)."""
        return gd.thread_posts(self._conn, window, scope)

    def account_info(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Handle, display name, followers, server and platform of these accounts."""
        return gd.account_info(self._conn, ids)

    def first_active(self, ids: Sequence[int]) -> dict[int, datetime]:
        """The earliest post or interaction time of each account."""
        return gd.first_active(self._conn, ids)

    def resolve_accounts(self, names: Iterable[str]) -> dict[str, int]:
        """Handles, profile URLs or keys -> account ids (unknown names are left out)."""
        return gd.resolve_accounts(self._conn, names)

    def identity_map(self, groups: Iterable[Sequence[str]]) -> dict[int, int]:
        """Account id -> the id that stands for its person (``[identities]``)."""
        return gd.identity_map(self._conn, groups)

    def weeks_with_data(self, scope: str = "all", zone: str = "UTC") -> list[date]:
        """Mondays (in ``zone``) of the weeks with tagged posts or interactions, oldest first."""
        return gd.weeks_with_data(self._conn, scope, zone)

    def neighbours(
        self, window: Window, nodes: Iterable[int], scope: str = "all"
    ) -> dict[int, set[int]]:
        """Accounts tied to ``nodes`` either way in a whole-week window."""
        return gd.neighbours(self._conn, window, nodes, scope)

    def pair_kinds(self, window: Window, u: int, v: int, scope: str = "all") -> dict[str, int]:
        """Per-kind counts of ``u -> v`` in a whole-week window."""
        return gd.pair_kinds(self._conn, window, u, v, scope)


@contextmanager
def graph_reader(engine: Engine) -> Iterator[GraphReader]:
    """A :class:`GraphReader` on one connection, closed on exit."""
    with engine.connect() as conn:
        yield GraphReader(conn)


def is_whole_weeks(window: Window) -> bool:
    """Does the window consist of whole ISO weeks (so ``edge_weeks`` answers it)?"""
    return gd.is_whole_weeks(window)


def weeks_with_data(engine: Engine, scope: str = "all", zone: str = "UTC") -> list[Window]:
    """The weeks (Monday to Monday in ``zone``) with tagged posts or interactions, oldest
    first."""
    from zoneinfo import ZoneInfo

    from echochamber.config.weeks import zone_week

    tz = ZoneInfo(zone)
    with engine.connect() as conn:
        mondays = gd.weeks_with_data(conn, scope, zone)
    return [zone_week(datetime(d.year, d.month, d.day, 12, tzinfo=tz), zone) for d in mondays]
