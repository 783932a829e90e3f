"""Metric labels and number formatting, defined once for the command line and the email.

Shares read as percentages and their changes as percentage points; counts carry thousands
separators; indices three decimals.  A week-over-week change is a change only when the 95%
interval of the difference excludes 0 (:func:`verdict`); otherwise it reads "no clear change".
Pure Python: reading commands that format need no numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

NO_CLEAR_CHANGE = "no clear change"

SHARES = frozenset(
    {
        "engaged_outside_share",
        "core_outbound_share",
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
    ("engaged_outside_share", "Outsiders among those who engaged with the core"),
    ("engaged", "Accounts that engaged with the core"),
    ("outsiders_reached", "Outsiders the core's posts reached (time-respecting)"),
    ("mean_travel", "Mean steps to reached outsiders"),
    ("core_outbound_share", "Core's replies, quotes, boosts, favourites to outsiders"),
    ("core_mentions_outward", "Outsiders the core mentioned"),
    ("posts", "Tagged posts"),
    ("participants", "Participants"),
    ("outside_share", "Participants outside the core"),
    ("outside_post_share", "Conversation posts by outsiders"),
    ("ei_index", "E-I index of the core (-1 inward, +1 outward)"),
    ("conductance", "Conductance (share of core volume crossing)"),
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


def fmt_interval(key: str, interval: Any) -> str:
    """A 95% interval as people read it; blank when there is none.

    >>> fmt_interval("engaged_outside_share", [0.651, 0.7465]), fmt_interval("ei_index", None)
    ('95% CI 65.1–74.7%', '')
    >>> fmt_interval("ei_index", [-0.3, -0.1])
    '95% CI -0.300 to -0.100'
    """
    if not isinstance(interval, list | tuple) or len(interval) != 2 or None in interval:
        return ""
    lo, hi = float(interval[0]), float(interval[1])
    if key in SHARES:
        return f"95% CI {100 * lo:.1f}–{100 * hi:.1f}%"
    return f"95% CI {lo:.3f} to {hi:.3f}"


def verdict(
    key: str, now: Mapping[str, Any], before: Mapping[str, Any] | None, level: float = 0.95
) -> dict[str, Any] | None:
    """The week-over-week change of ``key`` and whether it is clear.

    The two weeks' conversations are independent samples, so the interval of the difference
    is ``Δ ± z √(se_now² + se_before²)`` with each week's standard error (``ci_se``: the
    bootstrap SD or the jackknife SE).  ``change`` is in the unit of :func:`change` (points
    for shares); ``clear`` is False when the interval holds 0, and None when a week has no
    standard error (then the change cannot be judged).

    Examples
    --------
    >>> a = {"engaged_outside_share": 0.70, "ci_se": {"engaged_outside_share": 0.02}}
    >>> b = {"engaged_outside_share": 0.80, "ci_se": {"engaged_outside_share": 0.03}}
    >>> v = verdict("engaged_outside_share", b, a)
    >>> round(v["change"], 6), v["clear"], [round(x, 1) for x in v["interval"]]
    (10.0, True, [2.9, 17.1])
    >>> verdict("engaged_outside_share", {**b, "engaged_outside_share": 0.73}, a)["clear"]
    False
    """
    if before is None:
        return None
    delta = change(key, now.get(key), before.get(key))
    if delta is None:
        return None
    se_now = (now.get("ci_se") or {}).get(key)
    se_before = (before.get("ci_se") or {}).get(key)
    if not isinstance(se_now, int | float) or not isinstance(se_before, int | float):
        return {"change": delta, "interval": None, "clear": None}
    half = NormalDist().inv_cdf((1 + level) / 2) * math.hypot(se_now, se_before)
    half *= 100 if key in SHARES else 1
    lo, hi = delta - half, delta + half
    return {"change": delta, "interval": [lo, hi], "clear": lo > 0 or hi < 0}


def fmt_verdict(key: str, v: Mapping[str, Any] | None) -> str:
    """``+6.2 pts`` for a clear change, "no clear change" otherwise (blank: no previous week).

    >>> fmt_verdict("engaged_outside_share", {"change": 6.2, "clear": True})
    '+6.2 pts'
    >>> fmt_verdict("ei_index", {"change": 0.02, "clear": False})
    'no clear change'
    """
    if v is None:
        return ""
    if v.get("clear") is False:
        return NO_CLEAR_CHANGE
    text = fmt_delta(key, v.get("change"))
    return text if v.get("clear") else f"{text} (no interval)" if text else ""
