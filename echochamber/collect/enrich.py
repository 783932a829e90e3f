"""Revisiting a watched post: asked at its home server first, the configured server after.

:meth:`Enricher.fetch` runs in a worker thread and only makes HTTP requests; it returns the
answers (:class:`Fetched`).  :meth:`Enricher.pages` turns them into pages in the caller's
thread, where local ids are resolved through the store and pages are stored, so no database
connection crosses threads.

For each watched post, in order of preference:

1. its home server (the host of its URI), anonymously: the status (its latest text and the
   counts its home claims; a 404/410 there means it was deleted), for a tagged root its context,
   every page of ``reblogged_by`` and ``favourited_by`` (skipped when the status counts none),
   and its quotes where the server offers them;
2. the configured server (with its token, if any), when the home server is not
   Mastodon-compatible, is skipped by its breaker, refuses, or fails part-way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from echochamber.collect.consent import ConsentRules
from echochamber.collect.homeserver import Servers, home_url, local_id, lookup
from echochamber.collect.mastodon_client import MastodonClient, RawResponse
from echochamber.collect.normalize_mastodon import normalize_actors, normalize_statuses
from echochamber.collect.wire import Gone
from echochamber.errors import BudgetExhausted, ImportFormatError, SourceError
from echochamber.models import Batch, Page, Post, WatchedPost
from echochamber.text import is_hashed, one_line, parse_time, server_host

Resolver = Callable[[str, Iterable[str]], Mapping[str, tuple[str, str]]]
Borrow = Callable[[], Any]  # a context manager yielding the configured server's client


@dataclass
class Answer:
    """One response about a watched post: which part, from which server, for which local id."""

    part: str  # status | context | boost | favourite | quotes
    server: str
    token: bool
    native: str
    res: RawResponse


@dataclass
class Fetched:
    """Everything asked about one watched post, and how it ended."""

    watched: WatchedPost
    answers: list[Answer] = field(default_factory=list)
    gone: str | None = None  # the server that said the post was deleted
    error: str | None = None
    budget: bool = False
    notes: list[str] = field(default_factory=list)


def with_edits(batch: Batch, statuses: Sequence[Any]) -> Batch:
    """Set ``edited_at`` on the batch's posts from the statuses' ``edited_at`` fields."""
    edits = {}
    for s in statuses:
        if isinstance(s, dict) and s.get("edited_at") and s.get("uri"):
            try:
                edits[str(s["uri"])] = parse_time(s["edited_at"], "edited_at")
            except ImportFormatError:
                continue
    if not edits:
        return batch
    posts = tuple(replace(p, edited_at=edits.get(p.uri, p.edited_at)) for p in batch.posts)
    return replace(batch, posts=posts)


class Enricher:
    """Fetches watched posts' conversations (worker threads) and builds their pages."""

    def __init__(
        self,
        server: str,
        has_token: bool,
        borrow: Borrow,
        servers: Servers,
        *,
        home_servers: bool,
        tracked: Sequence[str],
        resolve: Resolver,
        respect_noindex: bool = True,
        consent: ConsentRules | None = None,
    ) -> None:
        self.server = server
        self.host = server_host(server)
        self.has_token = has_token
        self.borrow = borrow
        self.servers = servers
        self.home_servers = home_servers
        self.tracked = tuple(tracked)
        self.resolve = resolve
        self.respect_noindex = respect_noindex
        self.consent = consent
        self.no_quotes: set[str] = set()
        self.skipped: set[str] = set()

    # ------------------------------------------------------------------ worker thread
    def fetch(self, w: WatchedPost) -> Fetched:
        out = Fetched(w)
        home = home_url(w.post.uri)
        plans: list[str] = []
        # a pseudonymous URI (its author opted out) cannot be looked up at home: ask the home
        # server only when it gave us the post's local id before
        known = not is_hashed(w.post.uri) or w.local_id(server_host(home or "")) is not None
        if self.home_servers and home and server_host(home) != self.host and known:
            plans.append(home)
        plans.append(self.server)
        last = ""
        for url in plans:
            try:
                if self._ask(url, out):
                    return out
            except BudgetExhausted as exc:
                out.budget, out.error = True, str(exc)
                return out
            except SourceError as exc:
                last = one_line(exc, 300)
                out.notes.append(last)
        out.error = last or f"{w.post.uri}: no server could be asked for it"
        return out

    def _ask(self, url: str, out: Fetched) -> bool:
        """Ask one server; True when it answered (or said the post is gone)."""
        w = out.watched
        host = server_host(url)
        home = url != self.server
        if home:
            why = self.servers.usable(url)
            if why:
                raise SourceError(why)
            with self.servers.borrow(url) as client:
                native = w.local_id(host) or local_id(w.post.uri, w.post.url)
                native = native or lookup(client, w.post.uri)
                if native is None:
                    raise SourceError(f"{host}: cannot find {w.post.uri} there")
                return self._parts(client, native, out, authoritative=self._is_api(url))
        native = w.local_id(host)
        is_home = server_host(home_url(w.post.uri) or "") == host
        if native is None and is_home:
            native = local_id(w.post.uri, w.post.url)
        if native is None:
            raise SourceError(f"{host} has no local id for {w.post.uri}; not revisited there")
        with self.borrow() as client:
            # only the home server's 404 means deleted: elsewhere it may mean "no longer here"
            return self._parts(client, native, out, authoritative=is_home)

    def _is_api(self, url: str) -> bool:
        return self.servers.software(url).api is True

    def _parts(
        self, client: MastodonClient, native: str, out: Fetched, *, authoritative: bool
    ) -> bool:
        token = client.has_token
        url = client.server

        def keep(part: str, res: RawResponse | None) -> None:
            if res is not None:
                out.answers.append(Answer(part, url, token, native, res))

        try:
            status = client.status(native)
        except Gone:
            if not authoritative:
                raise SourceError(f"{server_host(url)}: {out.watched.post.uri} not found") from None
            out.gone = url
            return True
        keep("status", status)
        data = status.data if isinstance(status.data, dict) else {}
        if out.watched.kind == "root":
            ctx = client.context(native)
            keep("context", ctx)
            data_ctx = ctx.data if ctx is not None and isinstance(ctx.data, dict) else {}
            if not token and len(data_ctx.get("descendants") or ()) >= 60:
                self.skipped.add(f"{server_host(url)}: anonymous threads stop at 60 replies")
        for kind, count in (("boost", "reblogs_count"), ("favourite", "favourites_count")):
            if data.get(count) != 0:
                for res in client.actors(native, kind):
                    keep(kind, res)
        host = server_host(url)
        if data.get("quotes_count") != 0 and host not in self.no_quotes:
            try:
                pages = client.quotes(native)
            except SourceError as exc:
                self.no_quotes.add(host)
                self.skipped.add(f"{host}: quotes not offered to us ({one_line(exc, 120)})")
                return True
            if not pages:
                self.no_quotes.add(host)
                self.skipped.add(f"{host}: no quotes endpoint (404)")
            for res in pages:
                keep("quotes", res)
        return True

    # ------------------------------------------------------------------ caller's thread
    def pages(self, fetched: Fetched) -> list[Page]:
        """The pages to store for what was fetched about one post."""
        post = fetched.watched.post
        out: list[Page] = []
        if fetched.gone:
            out.append(
                Page(Batch(), b"", fetched.gone, server=server_host(fetched.gone), gone=(post.uri,))
            )
            return out
        for a in fetched.answers:
            batch = self._batch(a, post)
            out.append(
                Page(
                    batch,
                    a.res.body,
                    a.res.url,
                    server=server_host(a.server),
                    token=a.token,
                    watch=a.part == "context",
                )
            )
        return out

    def _batch(self, a: Answer, post: Post) -> Batch:
        host = server_host(a.server)
        data = a.res.data
        if a.part in ("boost", "favourite"):
            accounts = [x for x in data or () if isinstance(x, dict)]
            return normalize_actors(
                accounts,
                post,
                a.part,
                server=a.server,
                respect_noindex=self.respect_noindex,
                consent=self.consent,
            )
        if a.part == "context":
            if not isinstance(data, dict):
                return Batch()
            ancestors = [s for s in data.get("ancestors") or () if isinstance(s, dict)]
            descendants = [s for s in data.get("descendants") or () if isinstance(s, dict)]
            statuses = ancestors + descendants
        elif a.part == "status":
            statuses = [data] if isinstance(data, dict) else []
            ancestors = []
        else:
            statuses = [s for s in data or () if isinstance(s, dict)]
            ancestors = []
        parents = {str(s["in_reply_to_id"]) for s in statuses if s.get("in_reply_to_id")}
        known = dict(self.resolve(host, parents | {a.native}))
        known.setdefault(a.native, (post.uri, post.author))
        try:
            batch = normalize_statuses(
                statuses,
                server=a.server,
                tracked=self.tracked,
                known=known,
                respect_noindex=self.respect_noindex,
                consent=self.consent,
            )
        except ImportFormatError as exc:
            raise SourceError(f"{host}: malformed status in {a.res.url}: {exc}") from None
        batch = with_edits(batch, statuses)
        if a.part == "context":
            root = str(ancestors[0].get("uri")) if ancestors else post.uri
            batch = replace(
                batch,
                posts=tuple(
                    replace(p, conversation_root=p.conversation_root or root)
                    for p in batch.posts
                    if p.boost_of is None
                ),
            )
        return batch
