"""One read transaction over the graph tables, for the pipeline's week and query building.

The pipeline never holds a connection: it opens a :class:`GraphReader` with
:func:`graph_reader` and calls the aggregations of :mod:`echochamber.store.graphdata` on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from echochamber.models import Window
from echochamber.store import graphdata as gd
from echochamber.store.graphdata import ThreadPost


class GraphReader:
    """The window aggregations the graph and the metrics need, on one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def edge_rows(self, window: Window, scope: str = "all") -> list[tuple[int, int, str, int, int]]:
        """``(actor, target, kind, n, n_via_reply)`` summed over the window."""
        return gd.edge_rows(self._conn, window, scope)

    def tagged_posts_by_author(self, window: Window, scope: str = "all") -> dict[int, int]:
        """Tagged, non-boost posts per author created in the window."""
        return gd.tagged_posts_by_author(self._conn, window, scope)

    def activity(self, window: Window, scope: str = "all") -> dict[int, int]:
        """Tagged posts plus interactions made, per account (the roster's ranking)."""
        return gd.activity(self._conn, window, scope)

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

    def weeks_with_data(self, scope: str = "all") -> list[date]:
        """Mondays of the ISO weeks with tagged posts or interactions, oldest first."""
        return gd.weeks_with_data(self._conn, scope)

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


def weeks_with_data(engine: Engine, scope: str = "all") -> list[Window]:
    """The ISO weeks with tagged posts or interactions, oldest first."""
    from datetime import UTC

    with engine.connect() as conn:
        mondays = gd.weeks_with_data(conn, scope)
    return [Window.week_of(datetime(d.year, d.month, d.day, tzinfo=UTC)) for d in mondays]
