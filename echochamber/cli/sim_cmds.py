"""``echochamber simulate``: write a simulated community with a known core into the store."""

from __future__ import annotations

import click

from echochamber.cli.context import app, emit_json, out
from echochamber.cli.windows import parse_week


@click.command()
@click.option("--core", "core_size", default=100, show_default=True, type=click.IntRange(1))
@click.option("--periphery", default=2000, show_default=True, type=click.IntRange(0))
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(1, 520))
@click.option("--posts-per-week", default=500, show_default=True, type=click.IntRange(1))
@click.option(
    "--mixing",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Probability that an interaction crosses the core boundary.",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--start", default="2026-W36", show_default=True, help="First ISO week.")
@click.option("--tag", default="hcsm", show_default=True)
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
    from echochamber.simulate import SimParams, populate

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


COMMANDS = [simulate]
