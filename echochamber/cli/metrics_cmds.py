"""``echochamber metrics compute|history``: the weekly snapshots."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from typing import Any

import click

from echochamber.cli.context import app, emit_json, out
from echochamber.cli.windows import resolve_window, window_options
from echochamber.models import Window
from echochamber.report.data import SHARES

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
    from echochamber import measure
    from echochamber.store.graphdata import weeks_with_data

    a = app(ctx)
    engine = a.engine()
    if missing:
        with engine.connect() as conn:
            mondays = weeks_with_data(conn, scope)
        windows = [Window.week_of(datetime(d.year, d.month, d.day, tzinfo=UTC)) for d in mondays]
        windows = [
            w
            for w in windows
            if measure.load_snapshot(engine, w, scope, a.settings.core.policy) is None
        ]
    else:
        windows = [resolve_window(engine, week, start, end, scope)]
    done: list[dict[str, Any]] = []
    with a.progress("measuring") as progress:
        for w in windows:
            m = measure.compute(engine, a.settings, w, scope)
            done.append({"window": w.label, "scope": scope, "metrics": m})
            progress("weeks", 1)
    if as_json:
        emit_json({"snapshots": done})
        return
    for d in done:
        m = d["metrics"]
        out(
            f"{d['window']} ({scope}): {m.get('participants', 0)} participants, outside share "
            f"{fmt('outside_share', m.get('outside_share'))}, "
            f"E-I {fmt('ei_index', m.get('ei_index'))}"
        )
    if not done:
        out("Nothing to compute: every week with data has a snapshot.")


def fmt(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key in SHARES:
        return f"{100 * float(value):.1f}%"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return " ".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


def delta(key: str, now: Any, before: Any) -> Any:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return None
    d = float(now) - float(before)
    return round(100 * d, 1) if key in SHARES else round(d, 3)


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
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(1, 520))
@click.option(
    "--scope",
    type=click.Choice(["mastodon", "twitter", "bluesky", "all"]),
    default="all",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@click.pass_context
def history_cmd(ctx: click.Context, weeks: int, scope: str, as_json: bool, as_csv: bool) -> None:
    """The weekly series with week-over-week changes and a compact trend."""
    from echochamber import measure

    a = app(ctx)
    rows = measure.history(a.engine(), scope, a.settings.core.policy, weeks)
    for prev, cur in zip([None, *rows[:-1]], rows, strict=True):
        cur["change"] = {
            k: (delta(k, cur["metrics"].get(k), prev["metrics"].get(k)) if prev else None)
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
            v = fmt(k, r["metrics"].get(k))
            c = r["change"].get(k)
            cells.append(f"{v + ('' if c is None else f' ({c:+g})'):>18}")
        out(f"{r['week']:<10}" + "".join(cells))
    out("")
    for k in ("outside_share", "ei_index", "conductance", "mean_hop"):
        out(f"{k:<14} {spark([r['metrics'].get(k) for r in rows])}")


COMMANDS = [metrics]
