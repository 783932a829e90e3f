"""``echochamber metrics compute|history``: the weekly snapshots."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from echochamber.cli.context import app, emit_json, out
from echochamber.cli.windows import resolve_window, window_options
from echochamber.report.format import (
    change,
    fmt_delta,
    fmt_interval,
    fmt_value,
    fmt_verdict,
    verdict,
)

HEADLINE = (
    "engaged_outside_share",
    "engaged",
    "outsiders_reached",
    "mean_travel",
    "core_outbound_share",
    "ei_index",
    "participants",
    "outside_share",
)
SHOWN = (  # the text table: (key, column title, width)
    ("engaged_outside_share", "outsiders/engaged", 19),
    ("outsiders_reached", "reached", 8),
    ("mean_travel", "steps", 7),
    ("core_outbound_share", "core out", 9),
    ("ei_index", "E-I", 8),
)
SECOND_EDITION = ("ci", "ci_se", "sensitivity", "completeness", "roster_source")
SPARK = "▁▂▃▄▅▆▇█"


@click.group()
def metrics() -> None:
    """Compute and show the weekly reach metrics."""


@metrics.command("compute")
@window_options
@click.option(
    "--missing",
    is_flag=True,
    help="Every week with data whose snapshot is missing, of the first edition, provisional "
    "though settled since, or stale.",
)
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
        windows = [resolve_window(engine, week, start, end, scope, a.settings, require=False)]
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
        key = "engaged_outside_share"
        ci = fmt_interval(key, (m.get("ci") or {}).get(key))
        reached = fmt_value("outsiders_reached", m.get("outsiders_reached"))
        out(
            f"{d['window']} ({scope}): outsiders among the engaged {fmt_value(key, m.get(key))}"
            f"{f' ({ci})' if ci else ''}, outsiders reached {reached}, "
            f"E-I {fmt_value('ei_index', m.get('ei_index'))}"
        )
    if not done:
        out("Nothing to compute: every week with data has a current snapshot.")


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
    """The weekly series with week-over-week changes and a compact trend.

    A change of a key with an interval is shown only when the 95% interval of the difference
    excludes 0; otherwise it reads "no clear change".  Provisional weeks (still settling) are
    marked with *.
    """
    from echochamber.pipeline.freshness import stale
    from echochamber.store import history

    a = app(ctx)
    engine = a.engine()
    snaps = history(engine, scope, a.settings.core.policy, weeks)
    rows: list[dict[str, Any]] = []
    for s in snaps:
        m = s.metrics
        rows.append(
            {
                "week": s.window.label,
                "start": s.window.start.isoformat(),
                "end": s.window.end.isoformat(),
                "computed_at": s.computed_at.isoformat(),
                "final": s.final,
                "provisional": s.provisional,
                "edition": s.edition,
                "stale": stale(engine, a.settings, s),
                **{k: m.get(k) for k in SECOND_EDITION},
                "metrics": m,
            }
        )
    for prev, cur in zip([None, *rows], rows, strict=False):
        cur["change"] = {k: _change(k, cur["metrics"], prev and prev["metrics"]) for k in HEADLINE}
    if as_json:
        emit_json({"scope": scope, "policy": a.settings.core.policy, "weeks": rows})
        return
    if as_csv:
        keys = sorted(
            {k for r in rows for k, v in r["metrics"].items() if not isinstance(v, dict | list)}
        )
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["week", "provisional", *keys])
        for r in rows:
            w.writerow([r["week"], r["provisional"], *[r["metrics"].get(k) for k in keys]])
        return
    if not rows:
        out("No snapshots yet: run 'echochamber metrics compute --missing'.")
        return
    table = [[fmt_value(k, r["metrics"].get(k)) for k, _, _ in SHOWN] for r in rows]
    widths = [  # wide enough for the title and every value: nothing is cut
        max(width, len(title) + 2, *(len(cells[i]) + 2 for cells in table))
        for i, (_, title, width) in enumerate(SHOWN)
    ]
    header = "".join(f"{title:>{w}}" for (_, title, _), w in zip(SHOWN, widths, strict=True))
    out(f"{'week':<11}{header}   change")
    for r, cells in zip(rows, table, strict=True):
        text = _fmt_change("engaged_outside_share", r["change"]["engaged_outside_share"])
        ei = _fmt_change("ei_index", r["change"]["ei_index"])
        if ei:
            text += f"{'; ' if text else ''}E-I {ei}"
        mark = "*" if r["provisional"] else " "
        note = "  (stale: run metrics compute --missing)" if r["stale"] else ""
        line = "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
        out(f"{r['week'] + mark:<11}{line}   {text}{note}".rstrip())
    if any(r["provisional"] for r in rows):
        out("* provisional: the week's conversations are still settling")
    out("")
    for k in ("engaged_outside_share", "core_outbound_share", "ei_index", "mean_travel"):
        out(f"{k:<22} {spark([r['metrics'].get(k) for r in rows])}")


def _fmt_change(key: str, c: Any) -> str:
    """A change in one format: a verdict when it has one, else the plain difference ("pts"
    for shares, as everywhere: ``report.format``)."""
    if isinstance(c, dict):
        return fmt_verdict(key, c)
    return fmt_delta(key, c) if isinstance(c, int | float) else ""


def _change(key: str, now: dict[str, Any], before: dict[str, Any] | None) -> Any:
    """A key's change: with its interval and verdict when it has an interval."""
    if before is None:
        return None
    if key in (now.get("ci") or {}):
        return verdict(key, now, before)
    return change(key, now.get(key), before.get(key))
