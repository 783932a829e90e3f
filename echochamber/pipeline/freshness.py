"""Is a stored snapshot current?  Its week, its settling and what it was computed from.

Light on purpose (no graph or numeric libraries): reading commands ask these questions of
stored snapshots without loading the measurement code.  A snapshot is *provisional* until its
conversations have settled (``collect.settle_days`` after its week) and *stale* when the store
rows of its window or the settings it depends on differ from what it recorded (``inputs``), or
when an older edition of the metrics computed it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from echochamber import __version__
from echochamber.config import Settings
from echochamber.config.weeks import in_zone, zone_week
from echochamber.metrics import EDITION
from echochamber.models import Snapshot, Window
from echochamber.store import Engine, graph_reader, weeks_with_data


def settle(settings: Settings) -> timedelta:
    """How long after its week a conversation keeps growing (``collect.settle_days``)."""
    return timedelta(days=settings.collect.settle_days)


def community_window(settings: Settings, window: Window) -> Window:
    """``window`` as a week of the community's time zone (an ISO week keeps its number)."""
    return in_zone(window, settings.core.timezone)


def is_final(window: Window, now: datetime, settings: Settings | None = None) -> bool:
    """A week's snapshot is final once its conversations have settled."""
    wait = settle(settings) if settings is not None else timedelta(days=7)
    return now >= window.end + wait


def inputs(settings: Settings, counts: dict[str, int]) -> dict[str, Any]:
    """What a snapshot was computed from: store rows, roster and metric settings, code."""
    c, m = settings.core, settings.metrics
    return {
        **counts,
        "edition": EDITION,
        "code": __version__,
        "policy": c.policy,
        "size": c.size,
        "window_weeks": c.window_weeks,
        "accounts": list(c.accounts),
        "exclude": list(c.exclude),
        "timezone": c.timezone,
        "settle_days": settings.collect.settle_days,
        "weights": settings.graph.weights(),
        "identities": [list(g) for g in settings.identities],
        "null_samples": m.null_samples,
        "seed": m.seed,
        "bootstrap": m.bootstrap,
        "jackknife_groups": m.jackknife_groups,
        "sensitivity": m.sensitivity,
    }


def stale(engine: Engine, settings: Settings, snap: Snapshot) -> list[str]:
    """What changed since ``snap`` was computed (empty: it is current).

    First-edition snapshots are stale; otherwise the store rows of its window and the
    settings it depends on are compared with what it recorded.
    """
    if snap.edition < EDITION:
        return ["edition"]
    with graph_reader(engine) as reader:
        counts = reader.count_inputs(snap.window, snap.scope, settle(settings))
    now = inputs(settings, counts)
    return sorted(k for k, v in now.items() if snap.inputs.get(k) != v)


def newest_final_week(settings: Settings, now: datetime) -> Window:
    """The newest community week whose conversations have settled (the report's week)."""
    w = zone_week(now, settings.core.timezone).previous()
    while not is_final(w, now, settings):
        w = w.previous()
    return w


def default_week(
    engine: Engine, settings: Settings, scope: str, now: datetime
) -> tuple[Window, str]:
    """The week the graph and report commands show when none is named, and why, in words.

    The newest *settled* week with data (the newest settled week by the clock when no
    settled week has data); when the store holds only provisional weeks, the newest of them.
    """
    weeks = weeks_with_data(engine, scope, settings.core.timezone)
    settled = [w for w in weeks if is_final(w, now, settings)]
    newest = weeks[-1] if weeks else None
    if settled:
        w = settled[-1]
        later = (
            f"; {newest.label} is still provisional" if newest and newest.start != w.start else ""
        )
        return w, f"{w.label} (the newest settled week{later})"
    if newest is not None:
        return newest, f"{newest.label} (the newest week with data; still provisional)"
    w = newest_final_week(settings, now)
    return w, f"{w.label} (the newest settled week; the store holds no data)"


def require_data(engine: Engine, settings: Settings, window: Window, scope: str) -> None:
    """Raise :class:`NotFound` when ``window`` holds no data, naming the weeks that do."""
    from echochamber.errors import NotFound

    weeks = weeks_with_data(engine, scope, settings.core.timezone)
    if any(window.start < w.end and w.start < window.end for w in weeks):
        return
    spans = f"data spans {weeks[0].label}..{weeks[-1].label}" if weeks else "the store is empty"
    raise NotFound(f"no data in {window.label}; {spans}")
