"""The contract every platform's collector fulfils: the :class:`Source` protocol.

A source knows its platform's streams (from the settings), collects one stream into a
:class:`~echochamber.models.PageSink` starting from the stream's stored cursor, and revisits a
settling post (its replies, boosts, favourites and quotes).  It never writes to the database
itself: the pipeline gives it a sink (implemented by the store), records the run, holds the
lock and applies one error policy for every platform.  Adding a platform means one module that
implements this protocol and one line in :mod:`echochamber.collect.registry`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from echochamber.errors import BudgetExhausted, SourceError
from echochamber.models import Cursor, PageSink, Platform, ServerState, Stream, WatchedPost
from echochamber.text import one_line

Progress = Callable[[str, int], None]


def _never() -> bool:
    return False


def _quiet(what: str, n: int) -> None:
    return None


@dataclass(frozen=True)
class Options:
    """How a source behaves in this run: waiting, stopping, progress, and test hooks.

    ``client_factory`` replaces the platform's HTTP client constructor (tests point it at a
    local server); ``local_posts`` maps a server's local status ids to (post URI, author key)
    from the store, so a reply to a post stored earlier is linked to it.  ``servers`` is what
    the store knows of fediverse servers (software, breakers) and ``save_servers`` writes what a
    run learned back.  ``routes`` maps public fediverse servers' base URLs to local ones on
    loopback, and refuses every other host (:mod:`echochamber.collect.routes`): a test and
    operations hook, never read from the configuration file.
    """

    sleep: Callable[[float], None] = time.sleep
    stop: Callable[[], bool] = _never
    progress: Progress = _quiet
    client_factory: Callable[..., Any] | None = None
    local_posts: Callable[[str, Iterable[str]], Mapping[str, tuple[str, str]]] | None = None
    servers: Mapping[str, ServerState] | None = None
    save_servers: Callable[[Sequence[ServerState]], None] | None = None
    routes: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Revisit:
    """How revisiting one watched post ended (``error``: it failed; ``budget``: the run's
    request budget ran out while it was asked)."""

    watched: WatchedPost
    error: str | None = None
    budget: bool = False


def revisit_each(
    source: Source, watched: Sequence[WatchedPost], sink: PageSink, stop: Callable[[], bool]
) -> Iterator[Revisit]:
    """Revisit posts one after the other (sources without concurrent revisits)."""
    for w in watched:
        if stop():
            return
        try:
            source.revisit(w, sink)
        except BudgetExhausted as exc:
            yield Revisit(w, str(exc), budget=True)
            return
        except SourceError as exc:
            yield Revisit(w, one_line(exc, 300))
            continue
        yield Revisit(w)


class Source(Protocol):
    """One configured server of a platform (Mastodon) or the platform's one API (X, Bluesky)."""

    platform: ClassVar[Platform]

    @property
    def server(self) -> str:
        """The URL this source asks."""
        ...

    @property
    def requests(self) -> int:
        """HTTP requests made so far."""
        ...

    def streams(self) -> Sequence[Stream]:
        """The streams this source follows."""
        ...

    def collect(self, stream: Stream, cursor: Cursor, sink: PageSink) -> None:
        """One pass over ``stream`` from ``cursor``; pages go to ``sink`` as they arrive.

        A :class:`~echochamber.errors.SourceError` ends the pass; what was stored stays, and
        the pipeline records the run as partial or failed.  Returns early when asked to stop.
        """
        ...

    def revisit(self, watched: WatchedPost, sink: PageSink) -> None:
        """Fetch a settling post's conversation again; raises SourceError on failure."""
        ...

    def revisit_many(self, watched: Sequence[WatchedPost], sink: PageSink) -> Iterator[Revisit]:
        """Revisit these posts (in any order, perhaps concurrently), yielding each outcome as
        its pages are stored; stops early when asked to stop or the budget is spent."""
        ...

    def notes(self) -> Sequence[str]:
        """What this source skipped in this run and why (shown with its revisit run)."""
        ...
