"""Metric labels and number formatting, defined once for the command line and the email.

Shares read as percentages and their changes as percentage points; counts carry thousands
separators; indices three decimals.
"""

from __future__ import annotations

from typing import Any

SHARES = frozenset(
    {
        "outside_share",
        "outside_post_share",
        "escaped_share",
        "top10_share",
        "detached_outsider_share",
        "in_openness",
        "out_openness",
    }
)

HEADLINE: tuple[tuple[str, str], ...] = (
    ("posts", "Tagged posts"),
    ("participants", "Participants"),
    ("outside_share", "Participants outside the core"),
    ("outside_post_share", "Conversation posts by outsiders"),
    ("ei_index", "E-I index of the core (-1 inward, +1 outward)"),
    ("conductance", "Conductance (share of core volume crossing)"),
    ("outsiders_touched", "Outsiders the core touched"),
    ("mean_hop", "Mean hops of reached outsiders"),
    ("escaped_share", "Core conversations with an outsider"),
    ("new_voices", "New voices"),
    ("returning_voices", "Returning outside voices"),
    ("potential_impressions", "Potential impressions"),
)


def fmt_value(key: str, value: Any) -> str:
    """A metric as people read it: shares as percentages, counts with separators.

    >>> fmt_value("outside_share", 0.381), fmt_value("posts", 12345), fmt_value("x", None)
    ('38.1%', '12,345', '–')
    """
    if value is None:
        return "–"
    if key in SHARES:
        return f"{100 * float(value):.1f}%"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def fmt_delta(key: str, delta: float | None) -> str:
    """``+4 pts`` for shares, ``+12`` for counts, ``+0.050`` for indices; blank when unknown.

    >>> fmt_delta("outside_share", 4.0), fmt_delta("posts", -3.0), fmt_delta("ei_index", 0.05)
    ('+4.0 pts', '-3', '+0.050')
    >>> fmt_delta("participants", 0)
    '+0'

    """
    if delta is None:
        return ""
    if key in SHARES:
        return f"{delta:+.1f} pts"
    if float(delta).is_integer():
        return f"{delta:+,.0f}"
    return f"{delta:+.3f}"


def change(key: str, now: Any, before: Any) -> float | None:
    """Week-over-week change: percentage points for shares, plain difference otherwise.

    >>> round(change("outside_share", 0.38, 0.34), 6), change("posts", 10, 7), change("x", None, 1)
    (4.0, 3.0, None)
    """
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return None
    diff = float(now) - float(before)
    return 100 * diff if key in SHARES else diff
