"""Collection: one loop over the source registry for every platform.

For each configured source (a Mastodon server, the X search, the Bluesky search) and each of
its streams: take the stream's lock, record a run, read the cursor, let the source fill a sink
that stores every page with its cursor in one transaction, and record how the run ended.
Then revisit the source's settling conversations the same way, under a run of its own.  One
error policy serves every platform:

* a spent request budget ends the pass as ``partial`` (the next run resumes from the cursor);
* any other :class:`~echochamber.errors.SourceError` ends it as ``failed`` when nothing was
  stored, ``partial`` otherwise; the other streams go on;
* a record the store refuses is named in the run's report (``post URI: reason``) while the rest
  of its page is stored, and the run goes on;
* an unexpected exception records the run as ``failed`` and propagates (it is a bug).

Errors are logged once, at INFO: the command line prints each run's result, and the daemon logs
the runs that failed.
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
from echochamber.pipeline.consent import guarded
from echochamber.pipeline.context import JobContext
from echochamber.store import (
    StreamSink,
    due_watch,
    finish_run,
    get_cursor,
    job_lock,
    load_servers,
    local_posts_of,
    mark_checked,
    save_servers,
    start_run,
)
from echochamber.text import normalize_tag, one_line, server_host

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
        servers=load_servers(engine),
        save_servers=lambda states: save_servers(engine, states),
        routes=ctx.routes,
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
            errors=(one_line(f"{type(exc).__name__}: {exc}", 500),),
            status="failed",
        )
        finish_run(ctx.engine, run_id, crash, ctx.clock())
        raise
    finish_run(ctx.engine, run_id, out[0], ctx.clock())


def collect_stream(
    ctx: JobContext, source: Source, stream: Stream, settings: Settings | None = None
) -> CollectResult | None:
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
                cursor = get_cursor(ctx.engine, stream)
                source.collect(stream, cursor, guarded(sink, settings or Settings(), ctx))
            except BudgetExhausted as exc:
                errors.append(one_line(exc))
                budget = True
            except SourceError as exc:
                errors.append(one_line(exc))
                log.info("stream %s failed: %s", stream.label, one_line(exc))
            stored = bool(sink.totals.posts_new or sink.totals.posts_seen)
            out.append(
                _result(
                    stream,
                    sink,
                    source.requests - start,
                    errors,
                    sink.notes,
                    _status(errors, budget, stored),
                )
            )
        return out[0]


def revisit_source(
    settings: Settings,
    ctx: JobContext,
    source: Source,
    *,
    limit: int = 500,
    refresh: bool = False,
) -> CollectResult | None:
    """Revisit the source's settling conversations that are due, under a run of their own.

    Each post is fetched again while it is younger than ``collect.settle_days`` (plus a day of
    grace), then scheduled at growing intervals until it settles; ``refresh`` revisits every
    post still settling now, whatever its schedule.  A failing post is named in the run's
    errors; after five failures the run ends (the servers are struggling).
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
            seen: set[int] = set()
            for _round in range(3):  # replies found in a thread are revisited in the same run
                due = [
                    w
                    for w in due_watch(
                        ctx.engine, source.server, ctx.clock(), limit, refresh=refresh
                    )
                    if w.id not in seen
                ]
                if not due or budget or len(errors) >= 5 or ctx.stop():
                    break
                seen.update(w.id for w in due)
                fresh = [w for w in due if now - w.post.created_at <= settle + timedelta(days=1)]
                for w in due:
                    if now - w.post.created_at > settle + timedelta(days=1):
                        mark_checked(ctx.engine, w, ctx.clock(), settle)
                for outcome in source.revisit_many(fresh, guarded(sink, settings, ctx)):
                    if outcome.budget:
                        errors.append(outcome.error or "request budget spent")
                        budget = True
                        break
                    if outcome.error:
                        errors.append(f"{outcome.watched.post.uri}: {outcome.error}")
                        log.info("conversation %s: %s", outcome.watched.post.uri, outcome.error)
                        if len(errors) >= 5:
                            break
                        continue
                    mark_checked(ctx.engine, outcome.watched, ctx.clock(), settle)
                    done += 1
                    ctx.report(f"{server_host(source.server)} conversations", 1)
                    if ctx.stop():
                        break
            status = _status(errors, budget, done > 0)
            notes = list(dict.fromkeys([*source.notes(), *sink.notes]))
            out.append(_result(stream, sink, source.requests - start, errors, notes, status))
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
    refresh: bool = False,
) -> list[CollectResult]:
    """One pass over every configured stream of ``platform`` (or all platforms).

    ``server`` (a URL or host) and ``tag`` narrow the streams on every platform; a stream
    that fails is reported in its result while the others go on.  With ``revisit``, each
    source's settling conversations are revisited after its streams (``refresh``: all of
    those still settling, whatever their schedule).
    """
    sources, results = build_sources(settings, ctx, platform)
    for source in sources:
        if server and server_host(server) != server_host(source.server):
            continue
        for stream in source.streams():
            if ctx.stop():
                break
            if _matches(stream, tag):
                res = collect_stream(ctx, source, stream, settings)
                if res is not None:
                    results.append(res)
        if revisit and not ctx.stop():
            res = revisit_source(settings, ctx, source, refresh=refresh, limit=_limit(refresh))
            if res is not None:
                results.append(res)
    ctx.results.extend(results)
    return results


def _limit(refresh: bool) -> int:
    return 100_000 if refresh else 500


def revisit(
    settings: Settings, ctx: JobContext, platform: str = "all", *, refresh: bool = False
) -> list[CollectResult]:
    """The revisit job alone: settling conversations of every configured source."""
    sources, results = build_sources(settings, ctx, platform)
    for source in sources:
        if ctx.stop():
            break
        res = revisit_source(settings, ctx, source, refresh=refresh, limit=_limit(refresh))
        if res is not None:
            results.append(res)
    ctx.results.extend(results)
    return results
