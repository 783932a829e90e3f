"""``echochamber demo``: the whole pipeline offline, on SQLite, in under two minutes."""

from __future__ import annotations

import time
from pathlib import Path

import click

from echochamber.cli.context import app, emit_json, out


@click.command()
@click.option(
    "-o",
    "--output",
    "output",
    default="echochamber-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the demo store and report.",
)
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(2, 52))
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def demo(ctx: click.Context, output: str, weeks: int, seed: int, as_json: bool) -> None:
    """Simulate #hcsm, serve it from a local Mastodon API, collect, measure, report.

    Needs the demo extra (pip install 'echochamber[demo]'); uses no network.
    """
    from echochamber.demo import run_demo

    a = app(ctx)
    started = time.monotonic()
    with a.progress("demo") as progress:
        res = run_demo(Path(output), weeks=weeks, seed=seed, progress=progress)
    elapsed = time.monotonic() - started
    summary = {
        "week": res.week,
        "store": res.db_url,
        "report_html": str(res.report_html),
        "report_eml": str(res.report_eml),
        "subject": res.subject,
        "seconds": round(elapsed, 1),
        "collected": [
            {
                "instance": r.instance,
                "tag": r.tag,
                "status": r.status,
                "requests": r.requests,
                "posts_new": r.posts_new,
                "interactions_new": r.interactions_new,
            }
            for r in res.collected
        ],
        "metrics": res.metrics,
    }
    if as_json:
        emit_json(summary)
        return
    for r in res.collected:
        out(
            f"collected over HTTP from {r.instance} {r.tag}: {r.posts_new} posts, "
            f"{r.interactions_new} interactions, {r.requests} requests"
        )
    out("")
    out(res.text.rstrip())
    out("")
    out(f"Subject: {res.subject}")
    out(f"Report: {res.report_html} (and {res.report_eml.name}); store: {res.db_url}")
    out(f"Try: echochamber --db {res.db_url} metrics history")
    out(f"Done in {elapsed:.0f} s.")


COMMANDS = [demo]
