"""What a weekly report shows: the snapshot history and the week's details, as plain data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from echochamber.report.format import HEADLINE, change, fmt_delta, fmt_value


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
        return change(key, now, before)


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
