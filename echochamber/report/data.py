"""What a weekly report shows: the snapshot history and the week's details, as plain data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from echochamber.report.format import (
    HEADLINE,
    change,
    fmt_delta,
    fmt_interval,
    fmt_value,
    fmt_verdict,
    verdict,
)

HEADLINE_KEY = "engaged_outside_share"


@dataclass(frozen=True)
class ReportData:
    """``history`` is (week label, snapshot metrics) oldest first; the last is this week, the
    newest final one.  ``provisional`` is the newer week still settling, shown beside it."""

    tag_label: str
    week_label: str
    history: Sequence[tuple[str, Mapping[str, Any]]]
    conversations: Sequence[Mapping[str, Any]] = ()
    bridges: Sequence[Mapping[str, Any]] = ()
    new_voices: Sequence[Mapping[str, Any]] = ()
    by_scope: Mapping[str, Mapping[str, Any]] | None = None
    provisional: tuple[str, Mapping[str, Any]] | None = None
    settling: bool = False  # the week reported is itself still provisional (asked for by name)

    @property
    def current(self) -> Mapping[str, Any]:
        return self.history[-1][1] if self.history else {}

    @property
    def previous(self) -> Mapping[str, Any] | None:
        return self.history[-2][1] if len(self.history) > 1 else None

    def delta(self, key: str) -> float | None:
        """Week-over-week change: percentage points for shares, plain difference otherwise.

        >>> d = ReportData("#x", "2026-W47", [("W46", {"outside_share": 0.34}),
        ...                                   ("W47", {"outside_share": 0.38})])
        >>> round(d.delta("outside_share"), 6)
        4.0
        """
        prev = self.previous
        now = self.current.get(key)
        before = prev.get(key) if prev else None
        return change(key, now, before)

    def verdict(self, key: str) -> dict[str, Any] | None:
        """The week-over-week change of ``key`` and whether its interval excludes 0."""
        return verdict(key, self.current, self.previous)

    def change_text(self, key: str) -> str:
        """ "+6.2 pts" when the change is clear, "no clear change" when the interval of the
        difference holds 0 (keys with an interval), the plain change otherwise."""
        if key in (self.current.get("ci") or {}):
            return fmt_verdict(key, self.verdict(key))
        return fmt_delta(key, self.delta(key))


def headline_sentence(data: ReportData, *, short: bool = False) -> str:
    """The report's first line (and, ``short``, the email subject's): the headline share
    with its interval and the week-over-week verdict.

    Examples
    --------
    >>> a = {"engaged_outside_share": 0.70, "ci_se": {"engaged_outside_share": 0.02},
    ...      "ci": {"engaged_outside_share": [0.66, 0.74]}}
    >>> d = ReportData("#hcsm", "2026-W47", [("2026-W46", a), ("2026-W47", a)])
    >>> headline_sentence(d, short=True)
    "70% of the core's audience from outside (95% CI 66-74%), no clear change"
    >>> for part in headline_sentence(d).split(" ("):
    ...     print(part)
    70.0% of the accounts that engaged with the core were outsiders
    95% CI 66.0–74.0%), no clear change
    """
    m = data.current
    share = m.get(HEADLINE_KEY)
    if not isinstance(share, int | float):
        return "nobody engaged with the core's posts"
    ci = m.get("ci", {}).get(HEADLINE_KEY) if isinstance(m.get("ci"), dict) else None
    if short:
        value = f"{100 * share:.0f}%"
        interval = (
            f" (95% CI {100 * ci[0]:.0f}-{100 * ci[1]:.0f}%)"  # ASCII: headers stay unencoded
            if isinstance(ci, list) and None not in ci
            else ""
        )
    else:
        value = fmt_value(HEADLINE_KEY, share)
        interval = f" ({fmt_interval(HEADLINE_KEY, ci)})" if fmt_interval(HEADLINE_KEY, ci) else ""
    what = (
        "of the core's audience from outside"
        if short
        else "of the accounts that engaged with the core were outsiders"
    )
    text = f"{value} {what}{interval}"
    word = fmt_verdict(HEADLINE_KEY, data.verdict(HEADLINE_KEY))
    return f"{text}, {word}" if word else text


def completeness_line(value: Any) -> str:
    """How much of what the home servers count was fetched (blank until it is measured).

    >>> completeness_line({"replies": 0.9, "boosts": 0.75, "favourites": 0.5})
    'Fetched of what home servers count: replies 90%, boosts 75%, favourites 50%.'
    >>> completeness_line(None)
    ''
    """
    if not isinstance(value, Mapping):
        return ""
    parts = [
        f"{k} {100 * float(value[k]):.0f}%"
        for k in ("replies", "boosts", "favourites")
        if isinstance(value.get(k), int | float)
    ]
    return f"Fetched of what home servers count: {', '.join(parts)}." if parts else ""


def headline_rows(data: ReportData) -> list[dict[str, str]]:
    """The headline table: label, value (with its 95% interval) and change of each key."""
    rows = []
    ci = data.current.get("ci") if isinstance(data.current.get("ci"), dict) else {}
    for key, label in HEADLINE:
        interval = fmt_interval(key, (ci or {}).get(key))
        rows.append(
            {
                "key": key,
                "label": label,
                "value": fmt_value(key, data.current.get(key))
                + (f" ({interval})" if interval else ""),
                "change": data.change_text(key),
            }
        )
    travel = data.current.get("travel_profile") or {}
    rows.insert(
        4,
        {
            "key": "travel_profile",
            "label": "Outsiders reached by steps (1 / 2 / 3+)",
            "value": " / ".join(str(travel.get(k, 0)) for k in ("1", "2", "3+")),
            "change": "",
        },
    )
    return rows
