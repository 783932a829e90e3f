"""``echochamber metrics compute|history``: the weekly snapshots."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from echochamber.cli.context import app, emit_json, out
from echochamber.cli.windows import resolve_window, window_options
from echochamber.report.format import change, fmt_delta, fmt_value

HEADLINE = (
    "participants",
    "outside_share",
    "ei_index",
    "conductance",
    "outsiders_touched",
    "mean_hop",
    "escaped_share",
    "new_voices",
)
SPARK = "▁▂▃▄▅▆▇█"


@click.group()
def metrics() -> None:
    """Compute and show the weekly reach metrics."""


@metrics.command("compute")
@window_options
@click.option("--missing", is_flag=True, help="Every week with data that has no snapshot yet.")
@click.option("--json", "as_json", is_flag=True, help="Print the computed snapshots as JSON.")
@click.pass_context
def compute_cmd(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    missing: bool,
    as_json: bool,
) -> None:
    """Compute and store snapshots (recomputing replaces them). Safe to rerun."""
    from echochamber.pipeline.snapshot import compute, missing_weeks

    a = app(ctx)
    engine = a.engine()
    if missing:
        windows = missing_weeks(engine, a.settings, scope)
    else:
        windows = [resolve_window(engine, week, start, end, scope)]
    done: list[dict[str, Any]] = []
    with a.progress("measuring") as progress:
        for w in windows:
            snap = compute(engine, a.settings, w, scope)
            done.append({"window": w.label, "scope": scope, "metrics": snap.metrics})
            progress("weeks", 1)
    if as_json:
        emit_json({"snapshots": done})
        return
    for d in done:
        m = d["metrics"]
        out(
            f"{d['window']} ({scope}): {fmt_value('participants', m.get('participants'))} "
            f"participants, outside share {fmt_value('outside_share', m.get('outside_share'))}, "
            f"E-I {fmt_value('ei_index', m.get('ei_index'))}"
        )
    if not done:
        out("Nothing to compute: every week with data has a snapshot.")


def spark(values: list[Any]) -> str:
    nums = [float(v) for v in values if isinstance(v, int | float)]
    if not nums:
        return ""
    lo, hi = min(nums), max(nums)
    out_ = []
    for v in values:
        if not isinstance(v, int | float):
            out_.append(" ")
        else:
            i = 0 if hi == lo else int((float(v) - lo) / (hi - lo) * (len(SPARK) - 1))
            out_.append(SPARK[i])
    return "".join(out_)


@metrics.command("history")
@click.option(
    "--weeks",
    default=12,
    show_default=True,
    type=click.IntRange(1, 520),
    help="How many of the newest weeks to show.",
)
@click.option(
    "--scope",
    type=click.Choice(["mastodon", "twitter", "bluesky", "all"]),
    default="all",
    show_default=True,
    help="Which platform's snapshots (all merges them).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@click.pass_context
def history_cmd(ctx: click.Context, weeks: int, scope: str, as_json: bool, as_csv: bool) -> None:
    """The weekly series with week-over-week changes and a compact trend."""
    from echochamber.store import history

    a = app(ctx)
    snaps = history(a.engine(), scope, a.settings.core.policy, weeks)
    rows: list[dict[str, Any]] = [
        {
            "week": s.window.label,
            "start": s.window.start.isoformat(),
            "end": s.window.end.isoformat(),
            "computed_at": s.computed_at.isoformat(),
            "final": s.final,
            "metrics": s.metrics,
        }
        for s in snaps
    ]
    for prev, cur in zip([None, *rows], rows, strict=False):
        cur["change"] = {
            k: (change(k, cur["metrics"].get(k), prev["metrics"].get(k)) if prev else None)
            for k in HEADLINE
        }
    if as_json:
        emit_json({"scope": scope, "policy": a.settings.core.policy, "weeks": rows})
        return
    if as_csv:
        keys = sorted(
            {k for r in rows for k, v in r["metrics"].items() if not isinstance(v, dict | list)}
        )
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["week", *keys])
        for r in rows:
            w.writerow([r["week"], *[r["metrics"].get(k) for k in keys]])
        return
    if not rows:
        out("No snapshots yet: run 'echochamber metrics compute --missing'.")
        return
    out("week      " + "".join(f"{k[:16]:>18}" for k in HEADLINE))
    for r in rows:
        cells = []
        for k in HEADLINE:
            v = fmt_value(k, r["metrics"].get(k))
            c = fmt_delta(k, r["change"].get(k))
            cells.append(f"{v + (f' ({c})' if c else ''):>18}")
        out(f"{r['week']:<10}" + "".join(cells))
    out("")
    for k in ("outside_share", "ei_index", "conductance", "mean_hop"):
        out(f"{k:<14} {spark([r['metrics'].get(k) for r in rows])}")
