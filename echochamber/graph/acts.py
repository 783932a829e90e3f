"""Acts: the week's ties with their times, the unit the travel metrics and intervals work on.

An act is one tie of the interaction graph with what the graph forgets: when it happened, when
the post it acted on was written, and the conversation it belongs to.  The store's rows become
acts in :func:`echochamber.graph.week.assemble_week`; :mod:`echochamber.metrics.travel` follows
them along time-respecting chains.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

PASSING = frozenset({"reply", "quote", "boost"})  # acts that pass content on
TRAVEL = PASSING | {"favourite"}  # acts that show content arrived
KINDS = TRAVEL | {"mention"}


@dataclass(frozen=True, slots=True)
class Act:
    """One act of an account on a post: u replied to, quoted, boosted, favourited or mentioned.

    ``counted`` is False for a mention of the very account the post replies to: it stays an
    act (a typed mention) but adds no weight to the graph, where the reply already counts.

    >>> Act("a", "boost", "b", None, datetime(2026, 1, 5)).counted
    True
    """

    actor: Hashable  # account id of who acted
    kind: str  # "reply" | "quote" | "boost" | "favourite" | "mention"
    target: Hashable  # author of the post acted on (for mention: the mentioned account)
    target_at: datetime | None  # when the post acted on was created (None if unknown)
    at: datetime  # when the act happened (reply/quote/boost: the acting post's time)
    thread: Hashable | None = None  # the conversation (root post) of the act, for the bootstrap
    counted: bool = True  # adds weight to the graph (False: a mention of the addressee)
    post: Hashable | None = None  # the post the act hangs on (a boost: the post boosted)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown act kind {self.kind!r}; expected one of {sorted(KINDS)}")


def act_key(act: Act) -> tuple[str, str]:
    """A sort key that does not depend on the type of account ids (ints or strings).

    >>> act_key(Act(3, "reply", 1, None, datetime(2026, 1, 5)))
    ('3', 'reply')
    """
    return (str(act.actor), act.kind)
