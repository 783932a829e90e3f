"""``echochamber graph ...``: questions about a window's interaction graph.

Answers come from the stored snapshot (computed once, then read), so a query does not rebuild
every week's graph; ``path`` and ``export`` build the one window's graph they need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from echochamber.cli.context import app, emit_json, out, safe
from echochamber.cli.windows import resolve_window, window_options
from echochamber.errors import NotFound
from echochamber.text import display_name

if TYPE_CHECKING:
    from echochamber.models import Snapshot, Window


def _snapshot(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    accounts: Any = "none",
) -> tuple[Window, Snapshot]:
    """The window and its snapshot with the per-account rows ``accounts`` ("none", "core",
    "all" or ids): a command reads the rows it prints."""
    from echochamber.store import load_snapshot

    a = app(ctx)
    engine = a.engine()
    window = resolve_window(engine, week, start, end, scope, a.settings)
    snap = load_snapshot(engine, window, scope, a.settings.core.policy, accounts)
    if snap is None:  # measured in memory, never stored (the graph libraries load only then)
        from echochamber.pipeline.snapshot import compute

        snap = compute(engine, a.settings, window, scope, save=False)
    return window, snap


def _active(node: dict[str, Any]) -> bool:
    """A participant of the week, as the snapshot's ``core_active`` counts them; snapshots
    stored before rows said so: posted or acted (every core member has a row)."""
    if "active" in node:
        return bool(node["active"])
    return bool(node.get("posts") or node.get("out_core") or node.get("out_outside"))


@click.group()
def graph() -> None:
    """Query the interaction graph of a window."""


@graph.command()
@window_options
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object with every key of docs/metrics.md."
)
@click.pass_context
def reach(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    as_json: bool,
) -> None:
    """How far the window's conversations travelled beyond the core."""
    from echochamber.pipeline.freshness import stale
    from echochamber.report.format import HEADLINE, fmt_interval, fmt_value

    window, snap = _snapshot(ctx, week, start, end, scope)
    m = dict(snap.metrics)
    changed = stale(app(ctx).engine(), app(ctx).settings, snap)
    extra = {k: m.get(k) for k in ("ci", "ci_se", "sensitivity", "completeness", "roster_source")}
    if as_json:
        emit_json(
            {
                **m,
                **extra,
                "window": window.label,
                "scope": scope,
                "computed_at": snap.computed_at.isoformat(),
                "final": snap.final,
                "provisional": snap.provisional,
                "edition": snap.edition,
                "stale": changed,
            }
        )
        return
    out(f"{window.label} ({scope}){', provisional (still settling)' if snap.provisional else ''}")
    if changed:
        out(f"  stale ({', '.join(changed)} changed): run 'echochamber metrics compute'")
    ci = m.get("ci") or {}
    first = [k for k, _ in HEADLINE if k in m]  # the headline first, then the rest
    for k in [*first, *(k for k in m if k not in first)]:
        v = m[k]
        if k in ("ci", "ci_se", "sensitivity"):
            continue
        interval = fmt_interval(k, ci.get(k))
        out(f"  {k:<28} {fmt_value(k, v)}{f'  ({interval})' if interval else ''}")
    for name, keys in (m.get("sensitivity") or {}).items():
        shown = ", ".join(f"{k} {fmt_value(k, x)}" for k, x in keys.items())
        out(f"  roster {name:<21} {shown}")


@graph.command()
@window_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def core(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    as_json: bool,
) -> None:
    """The core roster with each member's activity and ties with core and outside."""
    window, snap = _snapshot(ctx, week, start, end, scope, "core")
    nodes = snap.details.nodes
    rows = []
    for member in snap.roster:
        n = nodes.get(str(member.id), {})
        rows.append(
            {
                "handle": member.handle,
                "key": member.key,
                "active": _active(n),
                "posts": n.get("posts", 0),
                "out_core": n.get("out_core", 0),
                "out_outside": n.get("out_outside", 0),
                "in_core": n.get("in_core", 0),
                "in_outside": n.get("in_outside", 0),
            }
        )
    rows.sort(key=lambda r: (-r["posts"], -(r["in_outside"] + r["out_outside"]), str(r["handle"])))
    if as_json:
        emit_json({"window": window.label, "scope": scope, "core": rows})
        return
    label = f"{window.label}{' (provisional)' if snap.provisional else ''}"
    out(f"{label}: {len(rows)} core accounts, {sum(r['active'] for r in rows)} active")
    out(f"{'handle':<40}{'posts':>6}{'->core':>8}{'->out':>7}{'core->':>8}{'out->':>7}")
    for r in rows:
        out(
            f"{safe(r['handle'])[:39]:<40}{r['posts']:>6}{r['out_core']:>8g}{r['out_outside']:>7g}"
            f"{r['in_core']:>8g}{r['in_outside']:>7g}"
        )


@graph.command()
@click.argument("handle")
@window_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def account(
    ctx: click.Context,
    handle: str,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    as_json: bool,
) -> None:
    """One account: core or not, travel distance, ties by kind, first/last seen, weekly
    activity."""
    from echochamber.pipeline.queries import account_profile
    from echochamber.store import account_id

    a = app(ctx)
    window, snap = _snapshot(ctx, week, start, end, scope, [account_id(a.engine(), handle)])
    prof = account_profile(a.engine(), handle, window, scope)
    node = snap.details.nodes.get(str(prof["id"]), {})
    prof.update(
        {
            "window": window.label,
            "is_core": prof["id"] in snap.core_ids,
            "hop": node.get("hop"),
        }
    )
    if as_json:
        emit_json(prof)
        return
    out(f"{safe(prof['handle'])} ({safe(prof.get('display_name') or '')})")
    out(
        f"  core: {'yes' if prof['is_core'] else 'no'}   hop from core: "
        f"{prof['hop'] if prof['hop'] is not None else '-'}   followers: {prof['followers']}"
    )
    out(
        f"  first seen {prof['first_seen']}   last post {prof['last_post'] or '-'}"
        f"   last seen {prof['last_seen']}"
    )
    for direction in ("out", "in"):
        ties = prof["ties"][direction]
        out(f"  {direction:>3}: " + ", ".join(f"{k} {v}" for k, v in ties.items()))
    out(
        "  weekly activity: "
        + " ".join(f"{w['week']}:{w['posts']}/{w['interactions']}" for w in prof["weekly"][-12:])
    )


@graph.command()
@click.argument("post")
@click.option("--scope", default="all", hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def conversation(ctx: click.Context, post: str, scope: str, as_json: bool) -> None:
    """A conversation tree (give the root's URI, URL or id): reach, depth, virality."""
    from echochamber.pipeline.queries import conversation_tree

    a = app(ctx)
    data = conversation_tree(a.engine(), post, a.settings)
    if as_json:
        emit_json(data)
        return
    out(f"{safe(data['root'])} by {safe(data['author'])}")
    out(
        f"  size {data['size']}  depth {data['depth']}  breadth {data['breadth']}  "
        f"structural virality {data['structural_virality']:.3f}"
    )
    out(
        f"  participants: {data['participants']} ({data['core_participants']} core, "
        f"{data['outside_participants']} outside)"
    )
    for h in data["outsiders"][:20]:
        out(f"  outsider: {safe(h)}")


@graph.command()
@click.argument("source")
@click.argument("target")
@window_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def path(
    ctx: click.Context,
    source: str,
    target: str,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    as_json: bool,
) -> None:
    """The shortest interaction path from SOURCE to TARGET and what each hop was."""
    from echochamber.pipeline.queries import shortest_path

    a = app(ctx)
    engine = a.engine()
    window = resolve_window(engine, week, start, end, scope, a.settings)
    found = shortest_path(engine, a.settings, window, scope, source, target)
    if as_json:
        emit_json(
            {
                "window": window.label,
                "source": source,
                "target": target,
                "found": found.found,
                "same": found.same,
                "hops": found.hops,
            }
        )
    elif found.same:
        out(f"{safe(source)} and {safe(target)} are the same account: a path of no steps")
    else:
        out(f"{window.label}: {len(found.hops)} step(s) from {safe(source)} to {safe(target)}")
        for i, h in enumerate(found.hops, start=1):
            kinds = ", ".join(f"{k} {v}" for k, v in h["kinds"].items() if v)
            who, whom = (
                (h["from"], h["to"]) if h["direction"] == "acted on" else (h["to"], h["from"])
            )
            out(f"  {i}. {safe(who)} acted on {safe(whom)}: {kinds}")
    if not found.found:  # the same exit code with and without --json
        raise NotFound(f"no interaction path from {source} to {target} in {window.label}")


@graph.command()
@window_options
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many bridges to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def bridges(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    top: int,
    as_json: bool,
) -> None:
    """Accounts through which the core's posts reached outsiders (time-respecting chains)."""
    window, snap = _snapshot(ctx, week, start, end, scope)
    rows = snap.details.bridges[:top]
    label = f"{window.label}{' (provisional)' if snap.provisional else ''}"
    if as_json:
        emit_json({"window": window.label, "scope": scope, "bridges": rows})
        return
    if not rows:
        out(f"{label}: no bridges (no outsider was reached through another account)")
        return
    out(f"{label}: {len(rows)} bridge(s), most outsiders reached through them first")
    out(f"{'handle':<40} {'side':<8} {'outsiders reached':>17}")
    for r in rows:
        side = "core" if r["is_core"] else "outside"
        out(f"{display_name(r['handle'], 39):<40} {side:<8} {r['reached']:>17}")


from echochamber.cli.graph_files import export, view  # noqa: E402  (the commands that write)

graph.add_command(export)
graph.add_command(view)
