"""The jobs: one function each, called by the daemon and by the command line alike.

Every job is idempotent: rerunning it stores nothing twice and resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from echochamber.collect.mastodon import ConversationEnricher, StreamCollector, result
from echochamber.collect.mastodon_client import MastodonClient
from echochamber.collect.normalize_mastodon import instance_host
from echochamber.config import MastodonSource, Settings
from echochamber.errors import BudgetExhausted, SourceError
from echochamber.models import CollectResult, Post
from echochamber.store.ingest import local_posts
from echochamber.store.locks import job_lock
from echochamber.store.schema import AccountRow, PostRow
from echochamber.store.streams import (
    StreamSink,
    due_watch,
    finish_run,
    get_cursor,
    mark_checked,
    start_run,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Progress = Callable[[str, int], None]
CONVERSATIONS = "(conversations)"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobContext:
    """What every job needs besides the settings: the store, a clock, and ways to report."""

    engine: Engine
    clock: Clock = utcnow
    sleep: Callable[[float], None] = time.sleep
    progress: Progress | None = None
    stop: Callable[[], bool] = lambda: False
    client_factory: Callable[[MastodonSource, Settings], MastodonClient] | None = None
    results: list[CollectResult] = field(default_factory=list)


def make_client(source: MastodonSource, settings: Settings, ctx: JobContext) -> MastodonClient:
    if ctx.client_factory is not None:
        return ctx.client_factory(source, settings)
    c = settings.collect
    return MastodonClient(
        source.instance,
        source.token,
        timeout=c.timeout,
        max_retries=c.max_retries,
        budget=c.request_budget,
        max_wait=c.max_wait,
        backoff_base=c.backoff_base,
        sleep=ctx.sleep,
    )


def _resolver(
    engine: Engine, instance: str
) -> Callable[[Iterable[str]], Mapping[str, tuple[str, str]]]:
    host = instance_host(instance)

    def resolve(ids: Iterable[str]) -> Mapping[str, tuple[str, str]]:
        ids = list(ids)
        if not ids:
            return {}
        with engine.connect() as conn:
            return local_posts(conn, host, ids)

    return resolve


def collect_mastodon_stream(
    settings: Settings, ctx: JobContext, source: MastodonSource, tag: str, client: MastodonClient
) -> CollectResult:
    """One pass over one (instance, tag) stream: forward from the cursor, then the backfill."""
    now = ctx.clock()
    run_id = start_run(ctx.engine, "mastodon", source.instance, tag, now)
    sink = StreamSink(
        ctx.engine, "mastodon", source.instance, tag, ctx.clock, watch_instance=source.instance
    )
    worker = StreamCollector(
        client,
        tag,
        sink,
        tracked=settings.tags,
        resolve=_resolver(ctx.engine, source.instance),
        respect_noindex=settings.collect.respect_noindex,
        progress=ctx.progress,
        stop=ctx.stop,
    )
    start_requests = client.requests
    errors: list[str] = []
    failed = False
    try:
        cursor = get_cursor(ctx.engine, "mastodon", source.instance, tag)
        if cursor.newest_id is None:
            worker.backfill(None, source.since, None)
        else:
            newest = worker.forward(cursor.newest_id)
            if not cursor.backfill_done:
                worker.backfill(cursor.backfill_max_id, source.since, newest)
    except BudgetExhausted as exc:
        errors.append(str(exc))
    except SourceError as exc:
        errors.append(str(exc))
        failed = worker.posts_new == 0 and worker.posts_seen == 0
        log.error("stream %s #%s failed: %s", source.instance, tag, exc)
    res = result(client, tag, worker, errors, failed=failed)
    res = replace(res, requests=client.requests - start_requests)
    finish_run(ctx.engine, run_id, res, ctx.clock())
    return res


def enrich_instance(
    settings: Settings,
    ctx: JobContext,
    source: MastodonSource,
    client: MastodonClient,
    *,
    limit: int = 500,
) -> CollectResult:
    """Revisit the settling conversations of tagged posts served by this instance."""
    now = ctx.clock()
    run_id = start_run(ctx.engine, "mastodon", source.instance, CONVERSATIONS, now)
    sink = StreamSink(ctx.engine, "mastodon", source.instance, "", ctx.clock)
    worker = ConversationEnricher(
        client,
        sink,
        tracked=settings.tags,
        resolve=_resolver(ctx.engine, source.instance),
        respect_noindex=settings.collect.respect_noindex,
    )
    settle = timedelta(days=settings.collect.settle_days)
    errors: list[str] = []
    start_requests = client.requests
    for post_id, native_id, created_at, checks in due_watch(
        ctx.engine, source.instance, now, limit
    ):
        if ctx.stop():
            break
        post = _post(ctx.engine, post_id)
        try:
            if now - created_at <= settle + timedelta(days=1):
                worker.enrich(post, native_id)
        except BudgetExhausted as exc:
            errors.append(str(exc))
            break
        except SourceError as exc:
            errors.append(f"{post.uri}: {exc}")
            log.warning("conversation %s: %s", post.uri, exc)
            if len(errors) >= 5:
                break
            continue
        with ctx.engine.begin() as conn:
            mark_checked(conn, post_id, ctx.clock(), created_at, checks, settle)
        if ctx.progress:
            ctx.progress(f"{instance_host(source.instance)} conversations", 1)
    res = result(client, CONVERSATIONS, worker, errors, sorted(worker.skipped))
    res = replace(res, requests=client.requests - start_requests)
    finish_run(ctx.engine, run_id, res, ctx.clock())
    return res


def _post(engine: Engine, post_id: int) -> Post:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                PostRow.uri, PostRow.native_id, AccountRow.key, PostRow.created_at, PostRow.platform
            )
            .join(AccountRow, AccountRow.id == PostRow.author_id)
            .where(PostRow.id == post_id)
        ).one()
    return Post(
        platform=row.platform,
        uri=row.uri,
        native_id=row.native_id,
        author=row.key,
        created_at=row.created_at,
    )


def collect_all(
    settings: Settings,
    ctx: JobContext,
    *,
    instance: str | None = None,
    tag: str | None = None,
    enrich: bool = True,
) -> list[CollectResult]:
    """One pass over every configured stream (or those matching ``instance``/``tag``).

    A stream that fails is reported in its result; the others go on.
    """
    from echochamber.collect.text import normalize_tag

    wanted_tag = normalize_tag(tag) if tag else None
    results: list[CollectResult] = []
    for source in settings.mastodon:
        if instance and instance_host(instance) != instance_host(source.instance):
            continue
        client = make_client(source, settings, ctx)
        for t in source.tags:
            if wanted_tag and t != wanted_tag:
                continue
            if ctx.stop():
                break
            with job_lock(ctx.engine, "collect", source.instance, t) as got:
                if not got:
                    log.info(
                        "stream %s #%s is being collected elsewhere; skipped", source.instance, t
                    )
                    continue
                results.append(collect_mastodon_stream(settings, ctx, source, t, client))
        if enrich and not ctx.stop():
            with job_lock(ctx.engine, "enrich", source.instance) as got:
                if got:
                    results.append(enrich_instance(settings, ctx, source, client))
    ctx.results.extend(results)
    return results


def enrich_conversations(settings: Settings, ctx: JobContext) -> list[CollectResult]:
    """The enrich job alone: revisit settling conversations on every instance."""
    results = []
    for source in settings.mastodon:
        if ctx.stop():
            break
        with job_lock(ctx.engine, "enrich", source.instance) as got:
            if got:
                results.append(
                    enrich_instance(settings, ctx, source, make_client(source, settings, ctx))
                )
    return results


@dataclass(frozen=True)
class ImportResult:
    path: str
    format: str
    records: int
    imported: int
    posts_new: int
    posts_seen: int
    interactions_new: int
    errors: tuple[tuple[int, str], ...]


def import_file(
    settings: Settings,
    ctx: JobContext,
    path: str,
    fmt: str = "auto",
    *,
    instance: str | None = None,
    on_error: Callable[[str, int, str], None] | None = None,
    workers: int | None = None,
) -> ImportResult:
    """Import an archive file chunk by chunk, each chunk in one transaction.

    Good records are stored even when others are bad; every bad record is reported with its
    line number.  Importing the same file again adds nothing.  ``workers`` processes parse
    ahead while this one stores (``None``: one per spare core for a large file; 0: none).
    """
    from echochamber.collect.archive import detect_format, iter_archive
    from echochamber.store.ingest import store_batch, store_raw

    detected = detect_format(path) if fmt == "auto" else fmt
    records = imported = new = seen = ties = 0
    errors: list[tuple[int, str]] = []
    read = 0
    chunks = iter_archive(path, detected, tracked=settings.tags, instance=instance, workers=workers)
    for chunk in chunks:
        now = ctx.clock()
        with ctx.engine.begin() as conn:
            stored = store_batch(conn, chunk.batch, now=now)
            if chunk.raw_zlib:
                store_raw(
                    conn,
                    platform=_platform_of_format(detected),
                    source=f"import:{path}",
                    endpoint=f"file://{path}",
                    body=chunk.raw_zlib,
                    compressed=True,
                    now=now,
                )
        records += chunk.records
        imported += chunk.records - len(chunk.errors)
        new += stored.posts_new
        seen += stored.posts_seen
        ties += stored.interactions_new
        for line, reason in chunk.errors:
            errors.append((line, reason))
            if on_error:
                on_error(path, line, reason)
        if ctx.progress:
            ctx.progress(f"{path}: records", chunk.records)
            ctx.progress(f"{path}: kB read", (chunk.bytes_read - read) // 1000)
        read = chunk.bytes_read
    return ImportResult(path, detected, records, imported, new, seen, ties, tuple(errors))


def _platform_of_format(fmt: str) -> str:
    return {"mastodon": "mastodon", "bluesky": "bluesky"}.get(fmt, "twitter")


def snapshot_recent(settings: Settings, ctx: JobContext, *, weeks: int = 2) -> list[str]:
    """Recompute the current and previous weeks' snapshots (a closed week becomes final)."""
    from echochamber import measure
    from echochamber.models import Window

    now = ctx.clock()
    done: list[str] = []
    scopes = ["all", *sorted(_platforms(settings))]
    with job_lock(ctx.engine, "snapshot") as got:
        if not got:
            return []
        for back in range(weeks):
            window = Window.week_of(now).previous(back)
            for scope in scopes:
                if ctx.stop():
                    return done
                measure.compute(ctx.engine, settings, window, scope, now=now)
                done.append(f"{window.label}/{scope}")
    return done


def _platforms(settings: Settings) -> set[str]:
    out = set()
    if settings.mastodon:
        out.add("mastodon")
    if settings.twitter:
        out.add("twitter")
    if settings.bluesky:
        out.add("bluesky")
    return out if len(out) > 1 else set()


def collect_twitter(
    settings: Settings, ctx: JobContext, *, api_base: str | None = None, enrich: bool = True
) -> list[CollectResult]:
    """One pass over the configured X/Twitter searches (tags and raw queries)."""
    import os

    from echochamber.collect import twitter
    from echochamber.errors import ConfigError

    src = settings.twitter
    if src is None:
        return []
    token = os.environ.get(src.token_env)
    if not token:
        raise ConfigError(f"sources.twitter: set {src.token_env} to an X API bearer token")
    client = twitter.make_client(token, api_base)
    results = []
    for query in [twitter.tag_query(t) for t in src.tags] + list(src.queries):
        with job_lock(ctx.engine, "collect", "twitter", query) as got:
            if not got or ctx.stop():
                continue
            run_id = start_run(ctx.engine, "twitter", "api.twitter.com", query, ctx.clock())
            cursor = get_cursor(ctx.engine, "twitter", "api.twitter.com", query)
            sink = StreamSink(
                ctx.engine, "twitter", "api.twitter.com", query, ctx.clock, watch_instance="twitter"
            )
            res = twitter.collect_query(
                client, query, cursor.newest_id, sink, tracked=settings.tags, stop=ctx.stop
            )
            finish_run(ctx.engine, run_id, res, ctx.clock())
            results.append(res)
    if enrich and not ctx.stop():
        conv_sink = StreamSink(ctx.engine, "twitter", "api.twitter.com", "", ctx.clock)

        def expand(post: Post, native_id: str) -> None:
            twitter.expand_conversations(client, [native_id], conv_sink, tracked=settings.tags)

        _revisit(settings, ctx, "twitter", expand)
    return results


def collect_bluesky(
    settings: Settings, ctx: JobContext, *, enrich: bool = True
) -> list[CollectResult]:
    """One pass over the configured Bluesky tags."""
    import os

    from echochamber.collect import bluesky

    src = settings.bluesky
    if src is None:
        return []
    client = bluesky.BlueskyClient(
        src.service,
        os.environ.get(src.handle_env),
        os.environ.get(src.password_env),
        sleep=ctx.sleep,
    )
    results = []
    for tag in src.tags:
        with job_lock(ctx.engine, "collect", "bluesky", src.service, tag) as got:
            if not got or ctx.stop():
                continue
            run_id = start_run(ctx.engine, "bluesky", src.service, tag, ctx.clock())
            cursor = get_cursor(ctx.engine, "bluesky", src.service, tag)
            sink = StreamSink(
                ctx.engine, "bluesky", src.service, tag, ctx.clock, watch_instance="bsky"
            )
            res = bluesky.collect_tag(
                client, tag, cursor.newest_id, sink, tracked=settings.tags, stop=ctx.stop
            )
            finish_run(ctx.engine, run_id, res, ctx.clock())
            results.append(res)
    if enrich and not ctx.stop():
        thread_sink = StreamSink(ctx.engine, "bluesky", src.service, "", ctx.clock)

        def thread(post: Post, native_id: str) -> None:
            bluesky.enrich_post(client, post.uri, thread_sink, tracked=settings.tags)

        _revisit(settings, ctx, "bsky", thread)
    return results


def _revisit(
    settings: Settings,
    ctx: JobContext,
    where: str,
    fetch: Callable[[Post, str], None],
    limit: int = 200,
) -> None:
    """Revisit watched posts of ``where`` at growing intervals while they settle."""
    settle = timedelta(days=settings.collect.settle_days)
    now = ctx.clock()
    for post_id, native_id, created_at, checks in due_watch(ctx.engine, where, now, limit):
        if ctx.stop():
            break
        post = _post(ctx.engine, post_id)
        try:
            if now - created_at <= settle + timedelta(days=1):
                fetch(post, native_id)
        except SourceError as exc:
            log.warning("conversation %s: %s", post.uri, exc)
            continue
        with ctx.engine.begin() as conn:
            mark_checked(conn, post_id, ctx.clock(), created_at, checks, settle)


def collect_sources(
    settings: Settings,
    ctx: JobContext,
    source: str = "all",
    *,
    instance: str | None = None,
    tag: str | None = None,
    enrich: bool = True,
) -> list[CollectResult]:
    """Collect from ``source`` (mastodon, twitter, bluesky or all configured)."""
    results: list[CollectResult] = []
    if source in ("all", "mastodon"):
        results += collect_all(settings, ctx, instance=instance, tag=tag, enrich=enrich)
    if source in ("all", "twitter") and settings.twitter is not None:
        results += collect_twitter(settings, ctx, enrich=enrich)
    if source in ("all", "bluesky") and settings.bluesky is not None:
        results += collect_bluesky(settings, ctx, enrich=enrich)
    return results
