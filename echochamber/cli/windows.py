"""Window options shared by the reading commands: --week, --start/--end, --scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import click

from echochamber.errors import ConfigError
from echochamber.models import SCOPES, Window

if TYPE_CHECKING:
    from echochamber.store import Engine

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I)


def parse_week(text: str) -> Window:
    m = _WEEK.match(text.strip())
    if not m:
        raise ConfigError(f"--week {text!r}: expected an ISO week like 2026-W47")
    try:
        return Window.iso_week(int(m.group(1)), int(m.group(2)))
    except ValueError:
        raise ConfigError(f"--week {text!r}: no such ISO week") from None


def _day(text: str, flag: str, zone: str = "UTC") -> datetime:
    from zoneinfo import ZoneInfo

    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: expected a date like 2026-11-16") from None
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone) if zone != "UTC" else UTC)


def window_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--scope",
        type=click.Choice(SCOPES),
        default="all",
        show_default=True,
        help="Which platform's graph (all merges them).",
    )(fn)
    fn = click.option("--end", help="Window end date (exclusive), with --start.")(fn)
    fn = click.option("--start", help="Window start date (YYYY-MM-DD).")(fn)
    fn = click.option("--week", help="ISO week, e.g. 2026-W47 (default: the newest with data).")(fn)
    return fn


def resolve_window(
    engine: Engine,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    zone: str = "UTC",
) -> Window:
    """The window the options name: ``--week`` is that ISO week in the community's time zone
    ``zone`` (``[core] timezone``), ``--start``/``--end`` are local dates."""
    from echochamber.config.weeks import in_zone

    if week and (start or end):
        raise ConfigError("give either --week or --start/--end, not both")
    if week:
        return in_zone(parse_week(week), zone)
    if start or end:
        if not (start and end):
            raise ConfigError("--start and --end go together")
        s, e = _day(start, "--start", zone), _day(end, "--end", zone)
        if e <= s:
            raise ConfigError(f"--end {end} is not after --start {start}")
        return Window(s, e)
    return latest_week(engine, scope, zone)


def latest_week(engine: Engine, scope: str, zone: str = "UTC") -> Window:
    """The newest week with data (this week when the store is empty), in ``zone``."""
    from echochamber.config.weeks import zone_week
    from echochamber.store import weeks_with_data

    weeks = weeks_with_data(engine, scope, zone)
    return weeks[-1] if weeks else zone_week(datetime.now(UTC), zone)
