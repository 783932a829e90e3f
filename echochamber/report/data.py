"""What a weekly report shows: the snapshot history and the week's details, as plain data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ReportData:
    """``history`` is (week label, snapshot metrics) oldest first; the last is this week."""

    tag_label: str
    week_label: str
    history: Sequence[tuple[str, Mapping[str, Any]]]
    conversations: Sequence[Mapping[str, Any]] = ()
    bridges: Sequence[Mapping[str, Any]] = ()
    new_voices: Sequence[Mapping[str, Any]] = ()
    by_scope: Mapping[str, Mapping[str, Any]] | None = None

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
        if not isinstance(now, int | float) or not isinstance(before, int | float):
            return None
        diff = float(now) - float(before)
        return 100 * diff if key in SHARES else diff


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


def headline_rows(data: ReportData) -> list[dict[str, str]]:
    """The headline table: label, value and change for each headline metric."""
    rows = []
    for key, label in HEADLINE:
        rows.append(
            {
                "key": key,
                "label": label,
                "value": fmt_value(key, data.current.get(key)),
                "change": fmt_delta(key, data.delta(key)),
            }
        )
    hop = data.current.get("hop_profile") or {}
    rows.insert(
        8,
        {
            "key": "hop_profile",
            "label": "Outsiders by hops (1 / 2 / 3+ / unreached)",
            "value": " / ".join(str(hop.get(k, 0)) for k in ("1", "2", "3+", "unreached")),
            "change": "",
        },
    )
    return rows
