"""Mention hygiene: a reply's reply-all mentions are the composer's, not ties (second edition).

Mastodon's composer (and Twitter's) pre-fills a reply with the parent's author and the
parent's own mentions, at the start of the text.  A reply's **leading run** of mentions (the
@handles before its first other word) that repeats the parent's author or the parent's
mentions is therefore dropped; a mention typed elsewhere in the text, or a leading mention of
an account outside the parent's set, stays a tie (``docs/metrics.md``, "Mention hygiene").

When the parent was never fetched, its author is still known (the reply names the account it
answers) but its mentions are not.  They are estimated from the replies to it that we hold: an
account that at least two distinct authors' replies lead with is taken to be one of the
parent's mentions (the composer copies the same set into every reply; a typed leading mention
seldom repeats across authors).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from echochamber.models import WeekPost, WeekTie

_TRAILING = re.compile(r"[.,:;!?)\]}>\"'’”]+$")


def leading_run(text: str) -> list[str]:
    """The @names a text opens with, lower-case, without the ``@`` and trailing punctuation.

    >>> leading_run("@austinkocher\\n@Gargron @Mastodon, thanks! @later")
    ['austinkocher', 'gargron', 'mastodon']
    >>> leading_run(".@someone hi"), leading_run("")
    ([], [])
    """
    out: list[str] = []
    for token in text.split():
        if not token.startswith("@") or len(token) < 2:
            break
        out.append(_TRAILING.sub("", token[1:]).lower())
    return out


@lru_cache(maxsize=1 << 16)
def names_of(handle: str | None) -> frozenset[str]:
    """What a leading @name of this account can read: the whole handle and its user part
    (kept per handle: a week asks for the same accounts' names over and over).

    An account known only by its profile URL (``https://host/@user`` or
    ``https://host/users/user``, as stores of the first edition hold mentioned accounts)
    reads as ``user@host``.

    >>> sorted(names_of("hugo@masto.pt")), sorted(names_of("@jack")), names_of(None)
    (['hugo', 'hugo@masto.pt'], ['jack'], frozenset())
    >>> sorted(names_of("https://mastodon.social/@Gargron"))
    ['gargron', 'gargron@mastodon.social']
    """
    if not handle:
        return frozenset()
    h = handle.lower()
    if h.startswith(("https://", "http://")):
        host, _, path = h.split("://", 1)[1].partition("/")
        user = path.rstrip("/").rsplit("/", 1)[-1].lstrip("@")
        if not user:
            return frozenset()
        h = f"{user}@{host}"
    h = h.lstrip("@")
    return frozenset({h, h.split("@", 1)[0]})


def _leading_targets(
    post: int,
    texts: Mapping[int, str],
    mentions: Mapping[int, list[int]],
    ties: Sequence[WeekTie],
    handles: Mapping[int, str | None],
) -> set[int]:
    run = set(leading_run(texts.get(post, "")))
    if not run:
        return set()
    return {
        ties[i].target_id
        for i in mentions.get(post, ())
        if names_of(handles.get(ties[i].target_id)) & run
    }


def replyall(
    posts: Sequence[WeekPost],
    ties: Sequence[WeekTie],
    texts: Mapping[int, str],
    handles: Mapping[int, str | None],
) -> set[int]:
    """Indices of the mention ties in ``ties`` that are reply-all copies.

    ``texts`` holds the text of each reply that carries mentions, ``handles`` the handle of
    each mentioned account.  A mentioned account without a handle cannot be matched to the
    text and stays a tie.  A snapshot's ``mentions_dropped_replyall`` is the size of this set:
    ``|{m : m in leading_run(p) ∩ (author(parent(p)) ∪ mentions(parent(p)))}|`` summed over
    the week's replies p.

    References
    ----------
    Defined here (``docs/metrics.md``, "Mention hygiene"), after Mastodon's composer, which
    pre-fills a reply with the parent's author and mentions; Twitter's reply mentions outside
    ``display_text_range`` are the same run.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t0 = datetime(2026, 1, 5, tzinfo=UTC)
    >>> p = lambda i, parent, author, ref=None: WeekPost(i, f"u{i}", parent,
    ...     "reply" if parent else "root", author, t0, False, 1, None, ref)
    >>> m = lambda actor, target, post: WeekTie("mention", actor, target, t0, None, post, False)
    >>> posts = [p(1, None, 10), p(2, 1, 20, "u1")]
    >>> ties = [m(10, 30, 1), m(20, 10, 2), m(20, 30, 2), m(20, 40, 2)]
    >>> texts = {2: "@ann @bob hi @cat"}
    >>> sorted(replyall(posts, ties, texts, {10: "ann@x", 30: "bob@y", 40: "cat@z"}))
    [1, 2]
    """
    by_id = {p.post_id: p for p in posts}
    mentions: dict[int, list[int]] = {}
    for i, t in enumerate(ties):
        if t.kind == "mention":
            mentions.setdefault(t.anchor, []).append(i)
    lead = {
        post: _leading_targets(post, texts, mentions, ties, handles)
        for post in mentions
        if post in texts
    }
    guessed: dict[str, dict[int, set[int]]] = {}  # unknown parent -> account -> reply authors
    for post, targets in lead.items():
        p = by_id.get(post)
        if p is None or p.parent_ref is None or _known_parent(p, by_id):
            continue
        seen = guessed.setdefault(p.parent_ref, {})
        for a in targets:
            seen.setdefault(a, set()).add(p.author_id)
    dropped: set[int] = set()
    for post, targets in lead.items():
        p = by_id.get(post)
        if p is None or p.parent_ref is None or not targets:
            continue
        if _known_parent(p, by_id):
            q = by_id[p.parent]  # type: ignore[index]
            parent_set = {q.author_id} | {ties[i].target_id for i in mentions.get(q.post_id, ())}
        else:
            votes = guessed.get(p.parent_ref, {})
            parent_set = {a for a, who in votes.items() if len(who - {a}) >= 2}
            if p.reply_to_account is not None:
                parent_set.add(p.reply_to_account)
        dropped.update(i for i in mentions[post] if ties[i].target_id in targets & parent_set)
    return dropped


def _known_parent(p: WeekPost, by_id: Mapping[int, WeekPost]) -> bool:
    """Is the post's parent itself in the week (not merely its conversation's root)?"""
    q = by_id.get(p.parent) if p.parent is not None else None
    return q is not None and q.uri == p.parent_ref
