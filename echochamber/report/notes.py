"""The report's footnotes: every number it shows points to its definition in docs/metrics.md.

One footnote per number (a key of the snapshot, or a part of the report); each names a heading
of ``docs/metrics.md`` by its anchor (GitHub's rule: lower case, punctuation dropped, spaces as
hyphens).  A test checks that every anchor here resolves to a heading of that file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

METRICS_DOC = "docs/metrics.md"

TRAVEL = "travel-the-headline"
UNCERTAINTY = "uncertainty-ci-and-ci_se"
OTHER = "the-other-keys"

ANCHORS: dict[str, str] = {
    "engaged_outside_share": TRAVEL,
    "engaged": TRAVEL,
    "outsiders_reached": TRAVEL,
    "travel_profile": TRAVEL,
    "mean_travel": TRAVEL,
    "core_outbound_share": TRAVEL,
    "core_mentions_outward": TRAVEL,
    "ci": UNCERTAINTY,
    "change": "week-over-week-changes",
    "completeness": "completeness",
    "provisional": "the-week",
    "posts": OTHER,
    "participants": OTHER,
    "outside_share": OTHER,
    "outside_post_share": OTHER,
    "ei_index": OTHER,
    "conductance": OTHER,
    "escaped_share": OTHER,
    "new_voices": "new-voices",
    "returning_voices": OTHER,
    "potential_impressions": OTHER,
    "trend": UNCERTAINTY,
    "conversations": "conversations-that-travelled-farthest",
    "bridges": "bridges",
}

LABELS: dict[str, str] = {
    "ci": "95% intervals",
    "change": "Week-over-week changes",
    "completeness": "Completeness",
    "provisional": "Provisional and final weeks",
    "travel_profile": "Outsiders reached by steps",
    "trend": "The trend and its intervals",
    "conversations": "Conversations that travelled farthest",
    "bridges": "Top bridges",
    "new_voices": "New voices",
}


@dataclass(frozen=True, slots=True)
class Footnote:
    """Footnote ``number`` explains ``label``; its definition is at ``docs/metrics.md#anchor``."""

    number: int
    key: str
    label: str
    anchor: str

    @property
    def ref(self) -> str:
        """Where the definition is, as the repository names it.

        >>> Footnote(1, "ci", "95% intervals", "uncertainty-ci-and-ci_se").ref
        'docs/metrics.md#uncertainty-ci-and-ci_se'
        """
        return f"{METRICS_DOC}#{self.anchor}"


def footnotes(keys: Iterable[str], labels: dict[str, str] | None = None) -> list[Footnote]:
    """Numbered footnotes for ``keys`` in order, once each; keys without a section are left
    out.  ``labels`` names keys that :data:`LABELS` does not.

    >>> [(f.number, f.key, f.anchor) for f in footnotes(["posts", "ci", "posts", "nope"])]
    [(1, 'posts', 'the-other-keys'), (2, 'ci', 'uncertainty-ci-and-ci_se')]
    """
    out: list[Footnote] = []
    seen: set[str] = set()
    names = {**(labels or {}), **LABELS}
    for key in keys:
        if key in seen or key not in ANCHORS:
            continue
        seen.add(key)
        out.append(Footnote(len(out) + 1, key, names.get(key, key), ANCHORS[key]))
    return out


def slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading.

    >>> slug("Uncertainty: `ci` and `ci_se`"), slug("Travel: the headline")
    ('uncertainty-ci-and-ci_se', 'travel-the-headline')
    """
    import re

    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")
