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


def _day(text: str, flag: str) -> datetime:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: expected a date like 2026-11-16") from None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


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
    engine: Engine, week: str | None, start: str | None, end: str | None, scope: str
) -> Window:
    if week and (start or end):
        raise ConfigError("give either --week or --start/--end, not both")
    if week:
        return parse_week(week)
    if start or end:
        if not (start and end):
            raise ConfigError("--start and --end go together")
        s, e = _day(start, "--start"), _day(end, "--end")
        if e <= s:
            raise ConfigError(f"--end {end} is not after --start {start}")
        return Window(s, e)
    return latest_week(engine, scope)


def latest_week(engine: Engine, scope: str) -> Window:
    """The newest ISO week with data (this week when the store is empty)."""
    from echochamber.store import weeks_with_data

    weeks = weeks_with_data(engine, scope)
    return weeks[-1] if weeks else Window.week_of(datetime.now(UTC))
