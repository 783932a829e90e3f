"""What every job needs besides the settings: the store, a clock, and ways to report and stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from echochamber.models import CollectResult

if TYPE_CHECKING:
    from echochamber.store import Engine

Clock = Callable[[], datetime]
# ``progress(what, n)`` advances ``what`` by ``n``; ``progress(what, n, total)`` also says how
# much there is in all, so the display can show a percentage.
Progress = Callable[..., None]


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def _never() -> bool:
    return False


@dataclass
class JobContext:
    """The store's engine, a clock, ``sleep`` for waits, progress and stop callbacks.

    ``client_factory`` replaces a platform's HTTP client constructor (tests point it at a
    local server); ``routes`` sends public fediverse servers' requests to local servers on
    loopback and refuses every other host (``echochamber.collect.routes``; tests and
    operations scripts only, never the configuration file).  ``results`` collects every
    collection result of the job, so the daemon can judge a job whose caller was interrupted.
    """

    engine: Engine
    clock: Clock = utcnow
    sleep: Callable[[float], None] = time.sleep
    progress: Progress | None = None
    stop: Callable[[], bool] = _never
    client_factory: Callable[..., Any] | None = None
    routes: Mapping[str, str] | None = None
    results: list[CollectResult] = field(default_factory=list)

    def report(self, what: str, n: int, total: int | None = None) -> None:
        """Advance the progress display of ``what`` by ``n`` of ``total`` when it is known
        (nothing when no display is shown)."""
        if self.progress is None:
            return
        if total is None:
            self.progress(what, n)
        else:
            self.progress(what, n, total)
