"""The community's calendar: weeks run Monday 00:00 to Monday 00:00 in ``[core] timezone``.

#hcsm's chat runs Sunday 8 pm US Central; a UTC week would cut it from its own Monday-morning
replies (``docs/metrics.md``, "The week").  A week's bounds carry the zone, so
:attr:`~echochamber.models.Window.label` reads the local ISO week and
:meth:`~echochamber.models.Window.previous` steps by local weeks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from echochamber.models import Window


def zone_week(moment: datetime, zone: str = "UTC") -> Window:
    """The week, Monday 00:00 to Monday 00:00 in time zone ``zone``, that holds ``moment``.

    The bounds carry the zone, so :attr:`Window.label` reads the local ISO week and
    :meth:`Window.previous` steps by local weeks (a week with a daylight-saving change lasts
    167 or 169 hours).

    >>> w = zone_week(datetime(2026, 11, 16, 3, tzinfo=UTC), "America/Chicago")
    >>> w.label, w.start.isoformat()
    ('2026-W46', '2026-11-09T00:00:00-06:00')
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
    return Window(start, datetime.combine(monday + timedelta(days=7), start.timetz()))


def in_zone(window: Window, zone: str = "UTC") -> Window:
    """``window`` as the community's week: an ISO week (Monday 00:00 UTC, as ``--week``
    parses) becomes the same-numbered week in ``zone``; other windows keep their instants
    and are shown in ``zone``.

    >>> in_zone(Window.iso_week(2026, 47), "America/Chicago").start.isoformat()
    '2026-11-16T00:00:00-06:00'
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    start = window.start.astimezone(UTC)
    whole = window.end - window.start == timedelta(days=7) and start.weekday() == 0
    if whole and start.time() == datetime.min.time():
        return zone_week(datetime(start.year, start.month, start.day, 12, tzinfo=tz), zone)
    return Window(window.start.astimezone(tz), window.end.astimezone(tz))
