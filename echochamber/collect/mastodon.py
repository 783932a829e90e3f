"""The Mastodon collector: tag timelines (backfill, then forward), then settling conversations.

Per stream (server, tag):

1. **Forward**: pages newer than the cursor with ``min_id`` (40 a page), each page stored with
   the new cursor in one transaction; a short page ends the pass, so steady state costs one
   request per up to 40 new statuses.
2. **Backfill** (until done): pages older than the backfill point with ``max_id`` back to
   ``since``; the backfill point is saved with each page, so an interrupted first run resumes.

Conversations are revisited by :mod:`echochamber.collect.enrich`, at each post's home server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from echochamber.collect.consent import ConsentRules
from echochamber.collect.enrich import with_edits
from echochamber.collect.mastodon_client import MastodonClient, RawResponse
from echochamber.collect.normalize_mastodon import normalize_statuses, parse_time
from echochamber.errors import ImportFormatError, SourceError
from echochamber.models import Batch, Page, PageSink
from echochamber.text import server_host

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]
Resolver = Callable[[Iterable[str]], Mapping[str, tuple[str, str]]]


def _id_key(status_id: str) -> tuple[int, str]:
    return (int(status_id), "") if status_id.isdigit() else (0, status_id)


def _newest(ids: Iterable[str]) -> str | None:
    return max(ids, key=_id_key, default=None)


def _oldest(ids: Iterable[str]) -> str | None:
    return min(ids, key=_id_key, default=None)


class StreamCollector:
    """Collects one (server, tag) stream into a :class:`~echochamber.models.PageSink`."""

    def __init__(
        self,
        client: MastodonClient,
        tag: str,
        sink: PageSink,
        *,
        tracked: Sequence[str],
        resolve: Resolver,
        respect_noindex: bool = True,
        consent: ConsentRules | None = None,
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.client = client
        self.tag = tag
        self.sink = sink
        self.tracked = tuple(tracked)
        self.resolve = resolve
        self.respect_noindex = respect_noindex
        self.consent = consent
        self.progress = progress or (lambda what, n: None)
        self.stop = stop
        self.posts_new = self.posts_seen = self.interactions_new = 0

    def _store(self, res: RawResponse, statuses: list[Any], **cursor: Any) -> None:
        parents = {
            str(s["in_reply_to_id"])
            for s in statuses
            if isinstance(s, dict) and s.get("in_reply_to_id")
        }
        try:
            batch = normalize_statuses(
                statuses,
                server=self.client.server,
                tracked=self.tracked,
                known=self.resolve(parents),
                respect_noindex=self.respect_noindex,
                consent=self.consent,
            )
        except ImportFormatError as exc:
            raise SourceError(
                f"{self.client.server}: malformed status in {res.url}: {exc}"
            ) from None
        batch = with_edits(batch, statuses)
        stored = self.sink(Page(batch, res.body, res.url, token=self.client.has_token, **cursor))
        self.posts_new += stored.posts_new
        self.posts_seen += stored.posts_seen
        self.interactions_new += stored.interactions_new
        self.progress(f"{server_host(self.client.server)} #{self.tag}", len(statuses))

    def forward(self, newest: str | None) -> str | None:
        """Fetch everything newer than ``newest``; returns the new cursor."""
        while not self.stop():
            res = self.client.tag_page(self.tag, min_id=newest)
            statuses = _statuses(res)
            if not statuses:
                break
            page_newest = _newest(str(s["id"]) for s in statuses)
            newest = page_newest if newest is None else _newest([newest, page_newest or newest])
            self._store(res, statuses, cursor=newest)
            if len(statuses) < 40:
                break
        return newest

    def backfill(self, max_id: str | None, since: date | None, newest: str | None) -> bool:
        """Page back from ``max_id`` to ``since``; returns True when the backfill is complete.

        ``newest`` is the stream's forward cursor; on a first run (``None``) the first page sets it.
        """
        set_newest = newest is None
        while not self.stop():
            res = self.client.tag_page(self.tag, max_id=max_id)
            statuses = _statuses(res)
            if not statuses:
                self.sink(
                    Page(
                        Batch(),
                        res.body,
                        res.url,
                        cursor=newest if set_newest else None,
                        backfill_done=True,
                    )
                )
                return True
            oldest = _oldest(str(s["id"]) for s in statuses)
            keep = statuses
            done = False
            if since is not None:
                keep = [s for s in statuses if parse_time(s.get("created_at")).date() >= since]
                done = len(keep) < len(statuses)
            if newest is None:
                newest = _newest(str(s["id"]) for s in statuses)
            self._store(
                res,
                keep,
                cursor=newest if set_newest else None,
                backfill=oldest,
                backfill_done=done,
            )
            if done:
                return True
            max_id = oldest
        return False


def _statuses(res: RawResponse) -> list[Any]:
    if not isinstance(res.data, list):
        raise SourceError(f"expected a list of statuses from {res.url}")
    return [s for s in res.data if isinstance(s, dict) and s.get("id") is not None]
