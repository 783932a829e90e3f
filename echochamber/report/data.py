"""What a weekly report shows: the snapshot history and the week's details, as plain data.

The first line answers the seed question in words (:func:`headline_sentence`); numbers and
labels come from :mod:`echochamber.report.format`, the footnotes from
:mod:`echochamber.report.notes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from echochamber.models.reporting import BridgeView, ConversationView, VoiceView
from echochamber.report.format import (
    HEADLINE,
    change,
    fmt_change_words,
    fmt_count,
    fmt_delta,
    fmt_interval,
    fmt_percent,
    fmt_range,
    fmt_value,
    fmt_verdict,
    verdict,
)
from echochamber.report.notes import Footnote, footnotes

HEADLINE_KEY = "engaged_outside_share"


@dataclass(frozen=True)
class ReportData:
    """``history`` is (week label, snapshot metrics) oldest first; the last is this week, the
    newest final one.  ``provisional`` is the newer week still settling, shown beside it."""

    tag_label: str
    week_label: str
    history: Sequence[tuple[str, Mapping[str, Any]]]
    conversations: Sequence[ConversationView] = ()
    bridges: Sequence[BridgeView] = ()
    new_voices: Sequence[VoiceView] = ()
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


def _ci(m: Mapping[str, Any], key: str) -> Any:
    ci = m.get("ci")
    return ci.get(key) if isinstance(ci, Mapping) else None


def headline_sentence(data: ReportData, *, short: bool = False) -> str:
    """The report's first line, the seed question answered in words (and, ``short``, the
    email subject's ASCII form): the headline share with its interval, how many outsiders the
    conversations reached and how many of them two or more steps away, and the week-over-week
    verdict.

    Examples
    --------
    >>> a = {"engaged_outside_share": 0.41, "ci_se": {"engaged_outside_share": 0.03},
    ...      "ci": {"engaged_outside_share": [0.36, 0.46]}, "outsiders_reached": 212,
    ...      "travel_profile": {"1": 174, "2": 30, "3+": 8}}
    >>> d = ReportData("#hcsm", "2026-W47", [("2026-W46", a), ("2026-W47", a)])
    >>> for part in headline_sentence(d).split("; "):
    ...     print(part)
    This week 41% (36–46%) of the people who engaged with the core were outside it
    conversations reached 212 outsiders, 38 of them two or more steps away
    no clear change from last week
    >>> headline_sentence(d, short=True)
    '41% (36-46%) of those engaging with the core were outsiders, no clear change'
    """
    m = data.current
    share = m.get(HEADLINE_KEY)
    if short:
        if not isinstance(share, int | float):
            return "nobody engaged with the core's posts"
        ci = fmt_range(_ci(m, HEADLINE_KEY), ascii_only=True)
        text = f"{fmt_percent(share)}{f' ({ci})' if ci else ''} of those engaging with the core"
        word = fmt_verdict(HEADLINE_KEY, data.verdict(HEADLINE_KEY))
        return f"{text} were outsiders{f', {word}' if word else ''}"
    if not isinstance(share, int | float):
        return "This week nobody engaged with the core's posts"
    ci = fmt_range(_ci(m, HEADLINE_KEY))
    parts = [
        f"This week {fmt_percent(share)}{f' ({ci})' if ci else ''} of the people who engaged "
        "with the core were outside it"
    ]
    reached = m.get("outsiders_reached")
    if isinstance(reached, int):
        profile = m.get("travel_profile") or {}
        farther = sum(int(profile.get(k) or 0) for k in ("2", "3+"))
        noun = "outsider" if reached == 1 else "outsiders"
        many = fmt_count(farther) if farther else "none"
        parts.append(
            f"conversations reached {fmt_count(reached)} {noun}, "
            f"{many} of them two or more steps away"
        )
    word = fmt_change_words(HEADLINE_KEY, data.verdict(HEADLINE_KEY))
    if word:
        parts.append(word)
    return "; ".join(parts)


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
        f"{k} {fmt_percent(value[k])}"
        for k in ("replies", "boosts", "favourites")
        if isinstance(value.get(k), int | float)
    ]
    return f"Fetched of what home servers count: {', '.join(parts)}." if parts else ""


def headline_rows(data: ReportData) -> list[dict[str, str]]:
    """The headline table: label, value (with its 95% interval) and change of each key."""
    rows = []
    for key, label in HEADLINE:
        interval = fmt_interval(key, _ci(data.current, key))
        number = fmt_value(key, data.current.get(key))
        rows.append(
            {
                "key": key,
                "label": label,
                "value": number + (f" ({interval})" if interval else ""),
                "number": number,
                "interval": interval,
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
            "number": " / ".join(str(travel.get(k, 0)) for k in ("1", "2", "3+")),
            "interval": "",
            "change": "",
        },
    )
    return rows


def headline_keys(data: ReportData) -> list[str]:
    """The footnote keys of the numbers :func:`headline_sentence` shows, in its order."""
    m = data.current
    if not isinstance(m.get(HEADLINE_KEY), int | float):
        return [HEADLINE_KEY]
    keys = [HEADLINE_KEY]
    if fmt_range(_ci(m, HEADLINE_KEY)):
        keys.append("ci")
    if isinstance(m.get("outsiders_reached"), int):
        keys.append("outsiders_reached")
    if fmt_change_words(HEADLINE_KEY, data.verdict(HEADLINE_KEY)):
        keys.append("change")
    return keys


def report_notes(data: ReportData) -> list[Footnote]:
    """The footnotes of the report, in the order its numbers appear: the first line's, the
    table's, then the trend, the conversations, the bridges and the new voices."""
    keys = [*headline_keys(data), "ci"]
    if completeness_line(data.current.get("completeness")):
        keys.append("completeness")
    if data.settling or data.provisional is not None:
        keys.append("provisional")
    rows = headline_rows(data)
    keys += [r["key"] for r in rows]
    keys.append("trend")
    for key, present in (
        ("conversations", data.conversations),
        ("bridges", data.bridges),
        ("new_voices", data.new_voices),
    ):
        if present:
            keys.append(key)
    return footnotes(keys, {r["key"]: r["label"] for r in rows})
