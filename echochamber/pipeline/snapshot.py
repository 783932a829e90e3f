"""The weekly measurement: store reads -> graph -> metrics -> a stored snapshot.

graph/ and metrics/ stay pure: this module reads the rows through the store's
:class:`~echochamber.store.GraphReader`, passes the window and the roster in, and saves the
typed :class:`~echochamber.models.Snapshot`.  Weeks are the community's (``[core] timezone``);
a snapshot is provisional until its conversations have settled (``collect.settle_days`` after
the week) and records what it was computed from, so a changed store or configuration shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from echochamber.config import Settings
from echochamber.config.weeks import zone_week
from echochamber.graph.week import WeekGraph, assemble_week
from echochamber.metrics import EDITION
from echochamber.metrics.details import json_safe, week_details
from echochamber.metrics.sensitivity import sensitivity
from echochamber.metrics.snapshot import SnapshotInput, snapshot
from echochamber.metrics.travel import travel_tree
from echochamber.metrics.uncertainty import intervals
from echochamber.models import RosterMember, Snapshot, Window
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.freshness import (
    community_window,
    inputs,
    is_final,
    newest_final_week,
    settle,
    stale,
)
from echochamber.pipeline.roster import merged_rosters, rosters
from echochamber.store import (
    Engine,
    GraphReader,
    completeness,
    graph_reader,
    job_lock,
    load_snapshot,
    previous_roster,
    save_snapshot,
    snapshot_states,
    weeks_with_data,
)


def load_week(
    reader: GraphReader, settings: Settings, window: Window, scope: str, core: frozenset[int]
) -> tuple[WeekGraph, dict[int, int], dict[str, int]]:
    """The window's graph; on scope ``all`` linked and bridged accounts are one node.

    Returns the week, the identity map used and the store row counts it was read from.
    """
    same = reader.identity_map(settings.identities) if scope == "all" else {}
    rows = reader.week_rows(window, scope, settle(settings))
    ids = {t.actor_id for t in rows.ties} | {t.target_id for t in rows.ties}
    ids |= {p.author_id for p in rows.posts} | set(core) | set(same.values())
    info = reader.account_info(ids)
    parts = assemble_week(
        rows,
        same=same,
        handles={i: info.get(i, {}).get("handle") for i in ids},
        weights=settings.graph.weights(),
    )
    wk = WeekGraph(
        window,
        scope,
        parts.net,
        frozenset(same.get(c, c) for c in core),
        info,
        parts.tagged,
        parts.trees,
        parts.tree_uri,
        parts.acts,
        parts.posts,
        parts.thread_author,
        parts.replyall,
    )
    return wk, same, rows.counts


def week_graph(reader: GraphReader, settings: Settings, window: Window, scope: str) -> WeekGraph:
    """The community week of ``window`` with its configured roster (for queries and exports)."""
    window = community_window(settings, window)
    main, _ = rosters(
        reader,
        replace(settings, metrics=replace(settings.metrics, sensitivity=False)),
        window,
        scope,
    )
    return load_week(reader, settings, window, scope, main.ids)[0]


def compute(
    engine: Engine,
    settings: Settings,
    window: Window,
    scope: str = "all",
    now: datetime | None = None,
    *,
    save: bool = True,
) -> Snapshot:
    """Compute the snapshot of ``window`` (a community week) and return it; stored only when
    ``save`` (the writing jobs: ``metrics compute``, the daemon, a real ``report send``)."""
    now = now or datetime.now(UTC)
    window = community_window(settings, window)
    policy = settings.core.policy
    with graph_reader(engine) as reader:
        main, others = rosters(reader, settings, window, scope)
        wk, same, counts = load_week(reader, settings, window, scope, main.ids)
        conv_posts: Counter[int] = Counter(author for author, _ in wk.posts)
        actors = {wk.net.nodes[i] for i in set(wk.net.src.tolist())}
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
    tree = travel_tree(wk.acts, wk.core)  # once: the travel keys, hops and bridges
    inp = SnapshotInput(
        G=wk.net,
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
        acts=wk.acts,
        thread_author=wk.thread_author,
        platform_of={i: wk.info.get(i, {}).get("platform") for i in participants},
        replyall=wk.replyall,
        travel=tree,
    )
    m = settings.metrics
    metrics = snapshot(inp, null_samples=m.null_samples, seed=m.seed)
    ci = intervals(
        wk.acts,
        wk.posts,
        wk.thread_author,
        wk.core,
        weights=settings.graph.weights(),
        resamples=m.bootstrap,
        groups=m.jackknife_groups if m.bootstrap else 0,
        seed=m.seed,
    )
    metrics["ci"] = {k: [v.lo, v.hi] if v else None for k, v in ci.items()}
    metrics["ci_se"] = {k: v.se if v else None for k, v in ci.items()}
    metrics["roster_source"] = main.source
    metrics["sensitivity"] = sensitivity(
        wk.acts, wk.thread_author, wk.net, merged_rosters(others, same)
    )
    # how much of what the home servers count was fetched (docs/metrics.md, Completeness)
    metrics["completeness"] = completeness(engine, window, scope).as_dict()
    members = sorted(
        (
            RosterMember(
                i, keys.get(i) or wk.info.get(i, {}).get("key"), wk.info.get(i, {}).get("handle")
            )
            for i in wk.core
        ),
        key=lambda r: str(r.handle or r.key),
    )
    snap = Snapshot(
        window=window,
        scope=scope,
        policy=policy,
        metrics=json_safe(metrics),
        roster=tuple(members),
        details=week_details(wk, inp),
        computed_at=now,
        final=is_final(window, now, settings),
        edition=EDITION,
        inputs=inputs(settings, counts),
    )
    if save:
        save_snapshot(engine, snap)
    return snap


def snapshot_of(
    engine: Engine,
    settings: Settings,
    window: Window,
    scope: str,
    now: datetime | None = None,
    *,
    save: bool = False,
    accounts: Any = "all",
) -> Snapshot:
    """The stored snapshot of ``window``; computed when there is none, or when it is
    provisional, of the first edition or stale and ``now`` is given.  What is computed is
    stored only when ``save`` (a writing job); a reading command computes it in memory.
    ``accounts``: which stored per-account rows to read (``load_snapshot``)."""
    window = community_window(settings, window)
    snap = load_snapshot(engine, window, scope, settings.core.policy, accounts)
    if snap is None:
        return compute(engine, settings, window, scope, now=now, save=save)
    if now is not None and (
        (not snap.final and is_final(window, now, settings)) or stale(engine, settings, snap)
    ):
        return compute(engine, settings, window, scope, now=now, save=save)
    return snap


def missing_weeks(
    engine: Engine, settings: Settings, scope: str = "all", now: datetime | None = None
) -> list[Window]:
    """Weeks with data whose snapshot is missing, of the first edition, provisional though
    settled since, or stale (its store rows or settings changed)."""
    now = now or datetime.now(UTC)
    zone = settings.core.timezone
    states = snapshot_states(engine, scope, settings.core.policy)
    out = []
    for w in weeks_with_data(engine, scope, zone):
        s = states.get(w.start.date())
        if s is None or s.edition < EDITION or (not s.final and is_final(w, now, settings)):
            out.append(w)
            continue
        with graph_reader(engine) as reader:
            counts = reader.count_inputs(w, scope, settle(settings))
        if inputs(settings, counts) != s.inputs:
            out.append(w)
    return out


def snapshot_recent(settings: Settings, ctx: JobContext) -> list[str]:
    """Recompute the weeks still settling (the current one included) and the newest settled
    week, so each becomes final once."""
    now = ctx.clock()
    done: list[str] = []
    scopes = ["all", *sorted(_platforms(settings))]
    newest = newest_final_week(settings, now)
    with job_lock(ctx.engine, "snapshot") as got:
        if not got:
            return []
        window = zone_week(now, settings.core.timezone)
        while window.start >= newest.start:
            for scope in scopes:
                if ctx.stop():
                    return done
                snap = load_snapshot(ctx.engine, window, scope, settings.core.policy, "none")
                if snap is None or not snap.final or window.start > newest.start:
                    compute(ctx.engine, settings, window, scope, now=now)
                    done.append(f"{window.label}/{scope}")
            window = window.previous()
    return done


def _platforms(settings: Settings) -> set[str]:
    from echochamber.collect.registry import configured

    out = set(configured(settings))
    return out if len(out) > 1 else set()
