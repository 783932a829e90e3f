"""Audience and renewal: potential impressions, new and returning voices, instances."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from echochamber.models import Node


def potential_impressions(
    posts: Mapping[Node, int],
    followers: Mapping[Node, int],
    only: Iterable[Node] | None = None,
) -> int:
    r"""Upper bound of the audience: :math:`\sum_a posts_a \times followers_a`.

    Symplur's definition of potential impressions (each post could reach every follower of its
    author).  ``only`` restricts the sum to some accounts (e.g. outsiders).

    References
    ----------
    Symplur, "Healthcare Hashtag Project: metrics definitions" (impressions).

    Examples
    --------
    >>> potential_impressions({"A": 3, "B": 1}, {"A": 1000, "B": 50})
    3050
    >>> potential_impressions({"A": 3, "B": 1}, {"A": 1000, "B": 50}, only={"B"})
    50
    """
    keep = None if only is None else set(only)
    return int(
        sum(
            n * int(followers.get(a, 0) or 0) for a, n in posts.items() if keep is None or a in keep
        )
    )


def voices(
    participants: Iterable[Node],
    core: Iterable[Node],
    first_seen_in_window: Iterable[Node],
    seen_before: Iterable[Node],
) -> tuple[int, int]:
    """``(new_voices, returning_voices)``.

    New: participants first seen in this window; returning: outsiders seen in an earlier
    window too.

    Examples
    --------
    >>> voices({"a", "b", "c"}, {"a"}, {"c"}, {"a", "b"})
    (1, 1)
    """
    P, C = set(participants), set(core)
    return len(P & set(first_seen_in_window)), len((P - C) & set(seen_before))


def instance_count(
    participants: Iterable[Node],
    server_of: Mapping[Node, str | None],
    platform_of: Mapping[Node, str | None] | None = None,
) -> int:
    """Distinct Mastodon-compatible servers among participants (federation reach).

    Bluesky and Twitter are platforms, not instances; a bridge (Bridgy Fed, ``*brid.gy``)
    relays another network's accounts and is not one either.  Without ``platform_of`` every
    participant counts as a Mastodon account.

    Examples
    --------
    >>> instance_count({1, 2, 3}, {1: "a.social", 2: "a.social", 3: None})
    1
    >>> instance_count({1, 2, 3}, {1: "a.social", 2: "bsky", 3: "bsky.brid.gy"},
    ...                {1: "mastodon", 2: "bluesky", 3: "mastodon"})
    1
    """
    platform_of = platform_of or {}
    return len(
        {
            server_of.get(p)
            for p in participants
            if platform_of.get(p, "mastodon") == "mastodon"
            and not str(server_of.get(p) or "").endswith("brid.gy")
        }
        - {None}
    )
