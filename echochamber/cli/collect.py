"""Commands that fill the store: ``init``, ``collect`` and ``import``."""

from __future__ import annotations

from pathlib import Path

import click

from echochamber.cli.context import app, emit_json, out, safe
from echochamber.collect.registry import platforms
from echochamber.errors import ConfigError, EchoChamberError


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """Create the store's schema, or upgrade an older one (never drops data). Safe to rerun."""
    from echochamber.config import mask_url
    from echochamber.store import init_db

    a = app(ctx)
    before, after = init_db(a.engine(check=False))
    result = {
        "store": mask_url(a.settings.store.url),
        "from": before,
        "to": after,
        "created": before is None,
        "upgraded": before not in (None, after),
    }
    if as_json:
        emit_json(result)
    elif before is None:
        out(f"Created the store at {result['store']} (schema {after}).")
    elif before != after:
        out(f"Upgraded the store at {result['store']} from schema {before} to {after}.")
    else:
        out(f"The store at {result['store']} is up to date (schema {after}).")


@click.command()
@click.option(
    "--source",
    "platform",
    type=click.Choice(["all", *platforms()]),
    default="all",
    show_default=True,
    help="Which configured platform to collect.",
)
@click.option(
    "--server",
    "--instance",
    "server",
    metavar="URL",
    help="Only the streams of this server (URL or host; --instance is the old name).",
)
@click.option("--tag", help="Only the streams of this hashtag (on every platform).")
@click.option("--no-conversations", is_flag=True, help="Skip revisiting settling conversations.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Revisit every conversation still settling now, whatever its schedule.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_context
def collect(
    ctx: click.Context,
    platform: str,
    server: str | None,
    tag: str | None,
    no_conversations: bool,
    refresh: bool,
    as_json: bool,
) -> None:
    """One pass over every configured stream: new posts, backfill, conversations.

    Safe to rerun and to interrupt: each page is stored with its cursor in one transaction.
    Exits 1 when a stream failed (the others are still collected).
    """
    from echochamber.collect.registry import configured
    from echochamber.pipeline.collection import collect as collect_streams
    from echochamber.pipeline.context import JobContext

    a = app(ctx)
    settings = a.settings
    have = configured(settings)
    if refresh and no_conversations:
        raise ConfigError("--refresh revisits conversations; it cannot go with --no-conversations")
    if not (have if platform == "all" else platform in have):
        what = "source" if platform == "all" else f"{platform} source"
        raise ConfigError(
            f"{settings.source_file or 'no config file'}: no {what} configured; "
            "add one (see config/echochamber.example.toml)"
        )
    engine = a.engine()
    with a.progress("collecting") as progress:
        job = JobContext(engine=engine, progress=progress)
        results = collect_streams(
            settings,
            job,
            platform,
            server=server,
            tag=tag,
            revisit=not no_conversations,
            refresh=refresh,
        )
    if not results:
        raise ConfigError(f"no configured stream matches --server {server} --tag {tag}")
    rows = [r.as_dict() for r in results]
    if as_json:
        emit_json({"streams": rows})
    else:
        for r in rows:
            name = r["stream"]
            label = f"{r['server']} {name if name.startswith(('(', '#')) else '#' + name}"
            out(
                f"{safe(label)}: {r['status']}, {r['posts_new']} new posts, "
                f"{r['posts_seen']} seen again, {r['interactions_new']} new interactions, "
                f"{r['requests']} requests"
            )
            for e in r["errors"]:
                out(f"  error: {safe(e)}")
            for s in r["skipped"]:
                out(f"  skipped: {safe(s)}")
    if any(r.status == "failed" for r in results):
        ctx.exit(1)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "twarc2", "twitter-v1", "mastodon", "bluesky"]),
    help="Archive format; auto detects it from the first records.",
)
@click.option(
    "--server",
    "--instance",
    "server",
    default=None,
    metavar="URL",
    help="For Mastodon captures: the server whose local ids the file holds.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0, max=16),
    default=None,
    help="Processes that parse while this one stores (0: parse in-process). "
    "Default: one per spare core for files over 16 MB.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def import_(
    ctx: click.Context,
    files: tuple[str, ...],
    fmt: str,
    server: str | None,
    workers: int | None,
    as_json: bool,
) -> None:
    """Import archive files (plain or gzip). Bad records are named as FILE:LINE and skipped.

    Exits 0 when every record was imported, 1 when some were skipped. Importing a file twice
    adds nothing the second time.
    """
    for f in files:
        if not Path(f).is_file():
            raise EchoChamberError(f"{f}: no such file")
    a = app(ctx)
    engine = a.engine()

    def report(path: str, line: int, reason: str) -> None:
        click.echo(f"{path}:{line}: {safe(reason)}", err=True)

    from echochamber.pipeline.context import JobContext
    from echochamber.pipeline.imports import import_file

    summaries = []
    with a.progress("importing") as progress:
        job = JobContext(engine=engine, progress=progress)
        for f in files:
            res = import_file(
                a.settings, job, f, fmt, server=server, on_error=report, workers=workers
            )
            summaries.append(
                {
                    "file": f,
                    "format": res.format,
                    "records": res.records,
                    "imported": res.imported,
                    "skipped": len(res.errors),
                    "posts_new": res.posts_new,
                    "posts_seen": res.posts_seen,
                    "interactions_new": res.interactions_new,
                    "stopped": res.stopped,
                }
            )
            if res.stopped:
                click.echo(f"{safe(res.stopped)}", err=True)
    if as_json:
        emit_json({"files": summaries})
    else:
        for s in summaries:
            out(
                f"{safe(s['file'])} ({s['format']}): {s['imported']} of {s['records']} records "
                f"imported, {s['skipped']} skipped; {s['posts_new']} new posts, "
                f"{s['interactions_new']} new interactions"
            )
    if any(s["skipped"] or s["stopped"] for s in summaries):
        ctx.exit(1)
