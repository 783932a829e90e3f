"""Mastodon Status JSON for the simulator, written the way a server serves it.

A reply's text opens with what Mastodon's composer pre-fills: the parent's author and the
parent's own mentions, as ``h-card`` links (the reply-all run).  A mention the author typed
comes after the first word, as people write "cc @someone".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

Status = dict[str, Any]


def mention_html(account: dict[str, Any]) -> str:
    """A mention as Mastodon renders it.

    >>> from echochamber.text import html_to_text
    >>> html_to_text(mention_html({"url": "https://a.example/@ann", "username": "ann"}))
    '@ann'
    """
    return (
        f'<span class="h-card"><a href="{account["url"]}" class="u-url mention">'
        f"@<span>{account['username']}</span></a></span>"
    )


def content(text: str, leading: Sequence[dict[str, Any]], typed: Sequence[dict[str, Any]]) -> str:
    """``<p>`` with the reply-all run first, then the text, then the typed mentions.

    >>> from echochamber.text import html_to_text
    >>> html_to_text(content("good point", [{"url": "u", "username": "al"}],
    ...                      [{"url": "v", "username": "bo"}]))
    '@al good point, cc @bo'
    """
    run = " ".join(mention_html(a) for a in leading)
    tail = " ".join(mention_html(a) for a in typed)
    body = " ".join(x for x in (run, text) if x)
    return f"<p>{body}{', cc ' + tail if tail else ''}</p>"


def status(
    sid: str,
    account: dict[str, Any],
    when: datetime,
    html: str,
    *,
    tags: Sequence[str] = (),
    parent: Status | None = None,
    mentions: Sequence[dict[str, Any]] = (),
    quote: Status | None = None,
) -> Status:
    """A Status as the API serves it (``mentions`` in the order the text has them)."""
    host = account["url"].split("/")[2]
    seen: dict[str, dict[str, Any]] = {}
    for m in mentions:
        seen.setdefault(m["id"], m)
    return {
        "id": sid,
        "uri": f"https://{host}/users/{account['username']}/statuses/{sid}",
        "url": f"{account['url']}/{sid}",
        "created_at": when.isoformat(),
        "account": account,
        "content": html,
        "visibility": "public",
        "language": "en",
        "in_reply_to_id": parent["id"] if parent else None,
        "in_reply_to_account_id": parent["account"]["id"] if parent else None,
        "tags": [{"name": t} for t in tags],
        "mentions": [
            {"id": m["id"], "username": m["username"], "acct": m["acct"], "url": m["url"]}
            for m in seen.values()
        ],
        "reblog": None,
        "quote": {"state": "accepted", "quoted_status": quote} if quote else None,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
    }


def boost(sid: str, account: dict[str, Any], when: datetime, original: Status) -> Status:
    """A reblog status of ``original``."""
    return {
        "id": sid,
        "uri": f"{account['url']}/{sid}/activity",
        "created_at": when.isoformat(),
        "account": account,
        "content": "",
        "reblog": original,
        "tags": [],
        "mentions": [],
    }
