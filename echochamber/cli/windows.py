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
    from echochamber.config import Settings
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
    fn = click.option(
        "--week", help="ISO week, e.g. 2026-W47 (default: the newest settled week with data)."
    )(fn)
    return fn


def resolve_window(
    engine: Engine,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    settings: Settings,
    *,
    require: bool = True,
) -> Window:
    """The window the options name: ``--week`` is that ISO week in the community's time zone
    (``[core] timezone``), ``--start``/``--end`` are local dates.  A named week without data
    is :class:`NotFound` when ``require``; without either, the week is :func:`default_week`'s
    (the report's too), and stderr says which it is and why."""
    from echochamber.config.weeks import in_zone
    from echochamber.pipeline.freshness import require_data

    zone = settings.core.timezone
    if week and (start or end):
        raise ConfigError("give either --week or --start/--end, not both")
    if week:
        window = in_zone(parse_week(week), zone)
        if require:
            require_data(engine, settings, window, scope)
        return window
    if start or end:
        if not (start and end):
            raise ConfigError("--start and --end go together")
        s, e = _day(start, "--start", zone), _day(end, "--end", zone)
        if e <= s:
            raise ConfigError(f"--end {end} is not after --start {start}")
        return Window(s, e)
    return default_window(engine, settings, scope)


def default_window(engine: Engine, settings: Settings, scope: str = "all") -> Window:
    """The week a command shows when none is named (the newest settled week with data), said
    on stderr: one function for the graph, metrics and report commands."""
    from echochamber.pipeline.context import utcnow
    from echochamber.pipeline.freshness import default_week

    window, why = default_week(engine, settings, scope, utcnow())
    click.echo(why, err=True)
    return window
