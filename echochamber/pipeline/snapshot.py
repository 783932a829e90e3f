"""The weekly measurement: store reads -> graph -> metrics -> a stored snapshot.

graph/ and metrics/ stay pure: this module reads the rows through the store's
:class:`~echochamber.store.GraphReader`, passes the window and the roster in, and saves the
typed :class:`~echochamber.models.Snapshot`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from echochamber.config import Settings
from echochamber.errors import ConfigError
from echochamber.graph.build import build_graph
from echochamber.graph.core import kcore_roster, top_active
from echochamber.graph.week import WeekGraph, assemble_week
from echochamber.metrics.details import json_safe, week_details
from echochamber.metrics.snapshot import SnapshotInput, snapshot
from echochamber.models import RosterMember, Snapshot, Window
from echochamber.pipeline.context import JobContext
from echochamber.store import (
    Engine,
    GraphReader,
    completeness,
    graph_reader,
    job_lock,
    load_snapshot,
    previous_roster,
    save_snapshot,
    snapshot_weeks,
    weeks_with_data,
)


def roster(reader: GraphReader, settings: Settings, window: Window, scope: str) -> frozenset[int]:
    """The core roster for ``window`` under the configured policy (trailing weeks before it)."""
    core = settings.core
    if core.policy == "list":
        found = reader.resolve_accounts(core.accounts)
        if not found:
            raise ConfigError("core.accounts: none of the listed accounts is in the store yet")
        return frozenset(found.values())
    trailing = Window(window.start - timedelta(weeks=core.window_weeks), window.start)
    act = reader.activity(trailing, scope)
    if not act:  # nothing before: fall back to the window itself
        act = reader.activity(window, scope)
    if core.policy == "kcore":
        G = build_graph(reader.edge_rows(trailing, scope))
        return frozenset(kcore_roster(G, core.size, act))
    return frozenset(top_active(act, core.size))


def load_week(reader: GraphReader, settings: Settings, window: Window, scope: str) -> WeekGraph:
    """The window's graph; on scope ``all``, accounts linked in ``[identities]`` are one node."""
    same = reader.identity_map(settings.identities) if scope == "all" else {}
    G, core, tagged, posts, trees = assemble_week(
        window,
        scope,
        edges=reader.edge_rows(window, scope),
        core=roster(reader, settings, window, scope),
        tagged=reader.tagged_posts_by_author(window, scope),
        posts=reader.thread_posts(window, scope),
        same=same,
        weights=settings.graph.weights(),
    )
    ids = set(G.nodes) | set(tagged) | set(core)
    for t in trees:
        ids.update(t.author.values())
    info = reader.account_info(ids)
    for n in G.nodes:
        i = info.get(n, {})
        G.nodes[n]["handle"] = i.get("handle")
        G.nodes[n]["followers"] = i.get("followers", 0)
    tree_uri = {p.uri: p.post_id for p in posts}
    return WeekGraph(window, scope, G, core, info, tagged, trees, tree_uri)


def is_final(window: Window, now: datetime) -> bool:
    """A window's snapshot is final once a day has passed since it ended."""
    return now >= window.end + timedelta(days=1)


def compute(
    engine: Engine,
    settings: Settings,
    window: Window,
    scope: str = "all",
    now: datetime | None = None,
) -> Snapshot:
    """Compute and store the snapshot of ``window``; returns it."""
    now = now or datetime.now(UTC)
    policy = settings.core.policy
    with graph_reader(engine) as reader:
        wk = load_week(reader, settings, window, scope)
        conv_posts: Counter[int] = Counter()
        for t in wk.trees:
            conv_posts.update(t.author.values())
        actors = {u for u, d in wk.G.out_degree() if d > 0}
        participants = actors | set(wk.tagged_posts) | set(conv_posts)
        first = reader.first_active(sorted(participants))
    prev_keys = previous_roster(engine, window, scope, policy)
    keys = {i: wk.info.get(i, {}).get("key") for i in participants | set(wk.core)}
    by_key = {k: i for i, k in keys.items() if k}
    previous_core = (
        None
        if prev_keys is None
        else frozenset(by_key.get(k, -1 - n) for n, k in enumerate(sorted(prev_keys)))
    )
    inp = SnapshotInput(
        G=wk.G,
        core=wk.core,
        tagged_posts_by_author=dict(wk.tagged_posts),
        conversation_posts_by_author=dict(conv_posts),
        trees=wk.trees,
        followers={i: int(wk.info.get(i, {}).get("followers") or 0) for i in participants},
        seen_before=frozenset(a for a, t in first.items() if t is not None and t < window.start),
        first_seen_in_window=frozenset(
            a for a, t in first.items() if t is not None and window.start <= t < window.end
        ),
        server_of={i: wk.info.get(i, {}).get("server") for i in participants},
        previous_core=previous_core,
    )
    metrics = json_safe(
        snapshot(inp, null_samples=settings.metrics.null_samples, seed=settings.metrics.seed)
    )
    # issue 10: how much of what the home servers count was fetched (METRICS.md, Completeness)
    metrics["completeness"] = completeness(engine, window, scope).as_dict()
    members = sorted(
        (
            RosterMember(
                i, keys.get(i) or wk.info.get(i, {}).get("key"), wk.info.get(i, {}).get("handle")
            )
            for i in wk.core
        ),
        key=lambda m: str(m.handle or m.key),
    )
    snap = Snapshot(
        window=window,
        scope=scope,
        policy=policy,
        metrics=metrics,
        roster=tuple(members),
        details=week_details(wk, inp),
        computed_at=now,
        final=is_final(window, now),
    )
    save_snapshot(engine, snap)
    return snap


def snapshot_of(engine: Engine, settings: Settings, window: Window, scope: str) -> Snapshot:
    """The stored snapshot of ``window``, computed first when there is none."""
    snap = load_snapshot(engine, window, scope, settings.core.policy)
    return snap if snap is not None else compute(engine, settings, window, scope)


def missing_weeks(engine: Engine, settings: Settings, scope: str = "all") -> list[Window]:
    """Weeks with data that have no snapshot under the configured policy."""
    done = snapshot_weeks(engine, scope, settings.core.policy)
    return [w for w in weeks_with_data(engine, scope) if w.start.date() not in done]


def snapshot_recent(settings: Settings, ctx: JobContext, *, weeks: int = 2) -> list[str]:
    """Recompute the current and previous weeks' snapshots (a closed week becomes final)."""
    now = ctx.clock()
    done: list[str] = []
    scopes = ["all", *sorted(_platforms(settings))]
    with job_lock(ctx.engine, "snapshot") as got:
        if not got:
            return []
        for back in range(weeks):
            window = Window.week_of(now).previous(back)
            for scope in scopes:
                if ctx.stop():
                    return done
                compute(ctx.engine, settings, window, scope, now=now)
                done.append(f"{window.label}/{scope}")
    return done


def _platforms(settings: Settings) -> set[str]:
    from echochamber.collect.registry import configured

    out = set(configured(settings))
    return out if len(out) > 1 else set()
