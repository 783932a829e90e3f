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


# ---------------------------------------------------------------- the report's words


def fmt_percent(value: Any) -> str:
    """A share as a whole percentage, for sentences: ``41%`` (``–`` when unknown).

    >>> fmt_percent(0.4149), fmt_percent(None)
    ('41%', '–')
    """
    return f"{100 * float(value):.0f}%" if isinstance(value, int | float) else "–"


def fmt_range(interval: Any, *, ascii_only: bool = False) -> str:
    """A share's 95% interval as whole percentages, for sentences (blank when there is none).

    >>> fmt_range([0.36, 0.4649]), fmt_range([0.36, 0.46], ascii_only=True), fmt_range(None)
    ('36–46%', '36-46%', '')
    """
    if not isinstance(interval, list | tuple) or len(interval) != 2 or None in interval:
        return ""
    dash = "-" if ascii_only else "–"
    return f"{100 * float(interval[0]):.0f}{dash}{100 * float(interval[1]):.0f}%"


def fmt_count(value: Any) -> str:
    """A count with thousands separators (``–`` when unknown).

    >>> fmt_count(1212), fmt_count(None)
    ('1,212', '–')
    """
    return f"{int(value):,}" if isinstance(value, int | float) else "–"


def fmt_change_words(key: str, v: Mapping[str, Any] | None) -> str:
    """The week-over-week verdict as words: "no clear change from last week", "up 6.2 pts
    from last week"; blank without a previous week.

    >>> fmt_change_words("engaged_outside_share", {"change": -6.2, "clear": True})
    'down 6.2 pts from last week'
    >>> fmt_change_words("engaged_outside_share", {"change": 1.0, "clear": False})
    'no clear change from last week'
    >>> fmt_change_words("engaged_outside_share", {"change": 1.0, "clear": None})
    'up 1.0 pts from last week (no interval to judge it)'
    >>> fmt_change_words("engaged_outside_share", {"change": 0.0, "clear": None})
    'unchanged from last week'
    """
    if v is None or not isinstance(v.get("change"), int | float):
        return ""
    if v.get("clear") is False:
        return f"{NO_CLEAR_CHANGE} from last week"
    delta = float(v["change"])
    if delta == 0:
        return "unchanged from last week"
    size = fmt_delta(key, abs(delta)).lstrip("+")
    words = f"{'up' if delta > 0 else 'down'} {size} from last week"
    return words if v.get("clear") else f"{words} (no interval to judge it)"


PROVISIONAL = "provisional: still settling"
"""The label of a week whose conversations are still settling, wherever it appears."""

KIND_WORDS = {"root": "post", "reply": "reply", "quote": "quote", "boost": "boost"}


def fmt_distance(core: bool, distance: int | None) -> str:
    """Where an account stands: ``core``, ``outsider, 2 steps`` or ``outsider, not reached``.

    >>> fmt_distance(True, 0), fmt_distance(False, 1), fmt_distance(False, None)
    ('core', 'outsider, 1 step', 'outsider, not reached')
    """
    if core:
        return "core"
    if distance is None:
        return "outsider, not reached"
    return f"outsider, {distance} step{'' if distance == 1 else 's'}"


def fmt_more(n: int) -> str:
    """``+3 more`` for what a tree or list leaves out (blank for none).

    >>> fmt_more(3), fmt_more(0)
    ('+3 more', '')
    """
    return f"+{n:,} more" if n > 0 else ""


UNKNOWN_ACCOUNT = "(unknown account)"


def fmt_step(kind: str, depth: int) -> str:
    """How a post hangs in its conversation: ``post`` for the root, ``reply at depth 2``.

    >>> fmt_step("root", 0), fmt_step("boost", 3)
    ('post', 'boost at depth 3')
    """
    word = KIND_WORDS.get(kind, kind)
    return word if depth == 0 else f"{word} at depth {depth}"


def fmt_reached(score: Any) -> str:
    """A bridge's score: the outsiders reached through an account (ties share the credit).

    >>> fmt_reached(3.0), fmt_reached(2.5), fmt_reached(1)
    ('reached 3 outsiders', 'reached 2.5 outsiders', 'reached 1 outsider')
    """
    x = float(score) if isinstance(score, int | float) else 0.0
    n = f"{x:,.0f}" if x.is_integer() else f"{x:,.1f}"
    return f"reached {n} outsider{'' if x == 1 else 's'}"


def fmt_conversation(posts: int, boosts: int, outsiders: int, farthest: int | None) -> str:
    """What a conversation of the report held, in words.

    >>> fmt_conversation(9, 2, 4, 3)
    '9 posts, 2 boosts, 4 outsiders; farthest 3 steps from the core'
    """
    parts = [f"{posts:,} post{'' if posts == 1 else 's'}"]
    if boosts:
        parts.append(f"{boosts:,} boost{'' if boosts == 1 else 's'}")
    parts.append(f"{outsiders:,} outsider{'' if outsiders == 1 else 's'}")
    far = (
        f"; farthest {farthest} step{'' if farthest == 1 else 's'} from the core"
        if farthest
        else ""
    )
    return ", ".join(parts) + far


VOICES_SHOWN = 15
"""New voices listed by name; the rest are counted ("+N more")."""


def fmt_name(text: str | None, limit: int = 60) -> str:
    """A handle or name as every report shows it (before HTML escaping): one clean line
    through :func:`echochamber.text.display_name`; an account without one says so.

    >>> fmt_name("evil\\u202egnp.exe"), fmt_name(None)
    ('evilgnp.exe', '(unknown account)')
    """
    from echochamber.text import display_name

    return display_name(text, limit) if text else UNKNOWN_ACCOUNT
