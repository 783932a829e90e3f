"""``echochamber simulate`` and ``demo``: a simulated community with a known core, and the
whole pipeline run offline on it."""

from __future__ import annotations

import time
from pathlib import Path

import click

from echochamber.cli.context import app, emit_json, out
from echochamber.cli.windows import parse_week


@click.command()
@click.option(
    "--core",
    "core_size",
    default=100,
    show_default=True,
    type=click.IntRange(1),
    help="Accounts in the known core.",
)
@click.option(
    "--periphery",
    default=2000,
    show_default=True,
    type=click.IntRange(0),
    help="Accounts outside the core.",
)
@click.option(
    "--weeks", default=12, show_default=True, type=click.IntRange(1, 520), help="Weeks to simulate."
)
@click.option(
    "--posts-per-week",
    default=500,
    show_default=True,
    type=click.IntRange(1),
    help="Tagged root posts a week (replies, boosts and favourites come on top).",
)
@click.option(
    "--mixing",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Probability that an interaction crosses the core boundary.",
)
@click.option(
    "--seed", default=0, show_default=True, help="Random seed (same seed, same community)."
)
@click.option("--start", default="2026-W36", show_default=True, help="First ISO week.")
@click.option("--tag", default="hcsm", show_default=True, help="The simulated hashtag.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary (and the core) as JSON.")
@click.pass_context
def simulate(
    ctx: click.Context,
    core_size: int,
    periphery: int,
    weeks: int,
    posts_per_week: int,
    mixing: float,
    seed: int,
    start: str,
    tag: str,
    as_json: bool,
) -> None:
    """Simulate a hashtag community and store it through the import path."""
    from echochamber.sim.model import SimParams, populate

    a = app(ctx)
    params = SimParams(
        core_size=core_size,
        periphery_size=periphery,
        weeks=weeks,
        posts_per_week=posts_per_week,
        mixing=mixing,
        seed=seed,
        start=parse_week(start).start,
        tag=tag,
    )
    with a.progress("simulating") as progress:
        s = populate(a.engine(), params, progress=progress)
    data = {
        "statuses": s.statuses,
        "tagged": s.tagged,
        "boosts": s.boosts,
        "favourites": s.favourites,
        "weeks": s.weeks,
        "first_week": start,
        "core": list(s.core_handles),
    }
    if as_json:
        emit_json(data)
    else:
        out(
            f"simulated {s.weeks} weeks from {start}: {s.statuses} statuses ({s.tagged} tagged), "
            f"{s.boosts} boosts, {s.favourites} favourites; core of {len(s.core_handles)}"
        )


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
@click.option(
    "--weeks",
    default=12,
    show_default=True,
    type=click.IntRange(2, 52),
    help="Weeks to simulate and measure.",
)
@click.option("--seed", default=0, show_default=True, help="Random seed of the simulation.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def demo(ctx: click.Context, output: str, weeks: int, seed: int, as_json: bool) -> None:
    """Simulate #hcsm, serve it from a local Mastodon API, collect, measure, report.

    Needs the demo extra (pip install 'echochamber[demo]'); uses no network.
    """
    from echochamber.sim.demo import run_demo

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
        "site": str(res.site) if res.site else None,
        "map_html": str(res.map_html) if res.map_html else None,
        "config": str(res.config) if res.config else None,
        "subject": res.subject,
        "seconds": round(elapsed, 1),
        "collected": [r.as_dict() for r in res.collected],
        "metrics": res.metrics,
    }
    if as_json:
        emit_json(summary)
        return
    for r in res.collected:
        out(
            f"collected over HTTP from {r.server} {r.stream}: {r.posts_new} posts, "
            f"{r.interactions_new} interactions, {r.requests} requests"
        )
    out("")
    out(res.text.rstrip())
    out("")
    out(f"Subject: {res.subject}")
    out(f"Report: {res.report_html} (and {res.report_eml.name}); store: {res.db_url}")
    if res.map_html:
        out(f"Map: {res.map_html} (interactive, offline; echochamber graph view -o FILE)")
    if res.site:
        out(f"Site: {res.site} (every week; echochamber report site -o DIR rebuilds it)")
    if res.config:
        out(f"Try: echochamber --config {res.config} metrics history")
    else:
        out(f"Try: echochamber --db {res.db_url} metrics history")
    out(f"Done in {elapsed:.0f} s.")
