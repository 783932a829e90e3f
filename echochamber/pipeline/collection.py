"""Collection: one loop over the source registry for every platform.

For each configured source (a Mastodon server, the X search, the Bluesky search) and each of
its streams: take the stream's lock, record a run, read the cursor, let the source fill a sink
that stores every page with its cursor in one transaction, and record how the run ended.
Then revisit the source's settling conversations the same way, under a run of its own.  One
error policy serves every platform:

* a spent request budget ends the pass as ``partial`` (the next run resumes from the cursor);
* any other :class:`~echochamber.errors.SourceError` ends it as ``failed`` when nothing was
  stored, ``partial`` otherwise; the other streams go on;
* an unexpected exception records the run as ``failed`` and propagates (it is a bug).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from echochamber.collect.base import Options, Source
from echochamber.collect.registry import SOURCES
from echochamber.config import Settings
from echochamber.errors import BudgetExhausted, EchoChamberError, SourceError
from echochamber.models import REVISITS, CollectResult, RunStatus, Stream
from echochamber.pipeline.context import JobContext
from echochamber.store import (
    StreamSink,
    due_watch,
    finish_run,
    get_cursor,
    job_lock,
    local_posts_of,
    mark_checked,
    start_run,
)
from echochamber.text import normalize_tag, server_host

log = logging.getLogger(__name__)


def options(ctx: JobContext) -> Options:
    """The sources' run options from a job context."""
    engine = ctx.engine
    return Options(
        sleep=ctx.sleep,
        stop=ctx.stop,
        progress=ctx.report,
        client_factory=ctx.client_factory,
        local_posts=lambda server, ids: local_posts_of(engine, server, ids),
    )


def build_sources(
    settings: Settings, ctx: JobContext, platform: str = "all"
) -> tuple[list[Source], list[CollectResult]]:
    """The configured sources of ``platform`` (or all), and a failed result for each platform
    whose sources could not be set up (a missing token, a refused login)."""
    sources: list[Source] = []
    failed: list[CollectResult] = []
    for name, entry in SOURCES.items():
        if platform not in ("all", name) or not entry.configured(settings):
            continue
        try:
            sources.extend(entry.sources(settings, options(ctx)))
        except EchoChamberError as exc:
            log.error("%s: %s", name, exc)
            failed.append(
                CollectResult(entry.platform, name, "(setup)", errors=(str(exc),), status="failed")
            )
    return sources, failed


def _status(errors: Sequence[str], budget_spent: bool, stored: bool) -> RunStatus:
    if not errors:
        return "ok"
    if budget_spent or stored:
        return "partial"
    return "failed"


def _result(
    stream: Stream,
    sink: StreamSink,
    requests: int,
    errors: Sequence[str],
    skipped: Sequence[str],
    status: RunStatus,
) -> CollectResult:
    t = sink.totals
    return CollectResult(
        stream.platform,
        stream.server,
        stream.name,
        requests=requests,
        posts_new=t.posts_new,
        posts_seen=t.posts_seen,
        interactions_new=t.interactions_new,
        errors=tuple(errors),
        skipped=tuple(skipped),
        status=status,
    )


@contextmanager
def _run(ctx: JobContext, stream: Stream) -> Iterator[list[CollectResult]]:
    """Record a run of ``stream``; the body appends its result (a crash records ``failed``)."""
    run_id = start_run(ctx.engine, stream, ctx.clock())
    out: list[CollectResult] = []
    try:
        yield out
    except BaseException as exc:
        crash = CollectResult(
            stream.platform,
            stream.server,
            stream.name,
            errors=(f"{type(exc).__name__}: {exc}"[:500],),
            status="failed",
        )
        finish_run(ctx.engine, run_id, crash, ctx.clock())
        raise
    finish_run(ctx.engine, run_id, out[0], ctx.clock())


def collect_stream(ctx: JobContext, source: Source, stream: Stream) -> CollectResult | None:
    """One pass over one stream under its lock (``None``: another process holds it)."""
    with job_lock(ctx.engine, "collect", stream.platform, stream.server, stream.name) as got:
        if not got:
            log.info("stream %s is being collected elsewhere; skipped", stream.label)
            return None
        with _run(ctx, stream) as out:
            sink = StreamSink(
                ctx.engine,
                stream.platform,
                stream.server,
                ctx.clock,
                stream=stream,
                watch=True,
            )
            start = source.requests
            errors: list[str] = []
            budget = False
            try:
                source.collect(stream, get_cursor(ctx.engine, stream), sink)
            except BudgetExhausted as exc:
                errors.append(str(exc))
                budget = True
            except SourceError as exc:
                errors.append(str(exc))
                log.error("stream %s failed: %s", stream.label, exc)
            stored = bool(sink.totals.posts_new or sink.totals.posts_seen)
            out.append(
                _result(
                    stream,
                    sink,
                    source.requests - start,
                    errors,
                    (),
                    _status(errors, budget, stored),
                )
            )
        return out[0]


def revisit_source(
    settings: Settings, ctx: JobContext, source: Source, *, limit: int = 500
) -> CollectResult | None:
    """Revisit the source's settling conversations that are due, under a run of their own.

    Each post is fetched again while it is younger than ``collect.settle_days`` (plus a day of
    grace), then scheduled at growing intervals until it settles.  A failing post is named in
    the run's errors; five failures end the run (the server is struggling).
    """
    stream = Stream(source.platform, source.server, REVISITS)
    with job_lock(ctx.engine, "revisit", source.platform, source.server) as got:
        if not got:
            log.info("%s conversations are being revisited elsewhere; skipped", source.server)
            return None
        with _run(ctx, stream) as out:
            sink = StreamSink(ctx.engine, source.platform, source.server, ctx.clock)
            settle = timedelta(days=settings.collect.settle_days)
            now = ctx.clock()
            start = source.requests
            errors: list[str] = []
            budget = False
            done = 0
            for watched in due_watch(ctx.engine, source.server, now, limit):
                if ctx.stop():
                    break
                try:
                    if now - watched.post.created_at <= settle + timedelta(days=1):
                        source.revisit(watched, sink)
                except BudgetExhausted as exc:
                    errors.append(str(exc))
                    budget = True
                    break
                except SourceError as exc:
                    errors.append(f"{watched.post.uri}: {exc}")
                    log.warning("conversation %s: %s", watched.post.uri, exc)
                    if len(errors) >= 5:
                        break
                    continue
                mark_checked(ctx.engine, watched, ctx.clock(), settle)
                done += 1
                ctx.report(f"{server_host(source.server)} conversations", 1)
            status = _status(errors, budget, done > 0)
            out.append(
                _result(stream, sink, source.requests - start, errors, source.notes(), status)
            )
        return out[0]


def _matches(stream: Stream, tag: str | None) -> bool:
    if tag is None:
        return True
    wanted = normalize_tag(tag)
    return stream.tag == wanted or stream.name == tag


def collect(
    settings: Settings,
    ctx: JobContext,
    platform: str = "all",
    *,
    server: str | None = None,
    tag: str | None = None,
    revisit: bool = True,
) -> list[CollectResult]:
    """One pass over every configured stream of ``platform`` (or all platforms).

    ``server`` (a URL or host) and ``tag`` narrow the streams on every platform; a stream
    that fails is reported in its result while the others go on.  With ``revisit``, each
    source's settling conversations are revisited after its streams.
    """
    sources, results = build_sources(settings, ctx, platform)
    for source in sources:
        if server and server_host(server) != server_host(source.server):
            continue
        for stream in source.streams():
            if ctx.stop():
                break
            if _matches(stream, tag):
                res = collect_stream(ctx, source, stream)
                if res is not None:
                    results.append(res)
        if revisit and not ctx.stop():
            res = revisit_source(settings, ctx, source)
            if res is not None:
                results.append(res)
    ctx.results.extend(results)
    return results


def revisit(settings: Settings, ctx: JobContext, platform: str = "all") -> list[CollectResult]:
    """The revisit job alone: settling conversations of every configured source."""
    sources, results = build_sources(settings, ctx, platform)
    for source in sources:
        if ctx.stop():
            break
        res = revisit_source(settings, ctx, source)
        if res is not None:
            results.append(res)
    ctx.results.extend(results)
    return results
