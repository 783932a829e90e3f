"""The first engine's snapshot of a stored week (networkx graph, simulated nulls), as
``echochamber.pipeline.snapshot.compute`` computed it before issue 14: the reference the new
engine is compared with in tests/test_engine.py."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from echochamber.config import Settings
from echochamber.models import WeekDetails, Window
from echochamber.pipeline.freshness import community_window, settle
from echochamber.pipeline.roster import merged_rosters, rosters
from echochamber.store import Engine, completeness, graph_reader
from tests.reference.details import json_safe, week_details
from tests.reference.sensitivity import sensitivity
from tests.reference.snapshot import SnapshotInput, snapshot
from tests.reference.uncertainty import intervals
from tests.reference.week import WeekGraph, assemble_week


def reference_compute(
    engine: Engine, settings: Settings, window: Window, scope: str = "all"
) -> tuple[dict[str, Any], WeekDetails]:
    """(metrics, details) of ``window`` by the first engine (no previous roster)."""
    window = community_window(settings, window)
    with graph_reader(engine) as reader:
        main, others = rosters(reader, settings, window, scope)
        same = reader.identity_map(settings.identities) if scope == "all" else {}
        rows = reader.week_rows(window, scope, settle(settings))
        ids = {t.actor_id for t in rows.ties} | {t.target_id for t in rows.ties}
        ids |= {p.author_id for p in rows.posts} | set(main.ids) | set(same.values())
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
            parts.G,
            frozenset(same.get(c, c) for c in main.ids),
            info,
            parts.tagged,
            parts.trees,
            parts.tree_uri,
            parts.acts,
            parts.posts,
            parts.thread_author,
            parts.replyall,
        )
        conv_posts: Counter[int] = Counter(author for author, _ in wk.posts)
        actors = {u for u, d in wk.G.out_degree() if d > 0}
        participants = actors | set(wk.tagged_posts) | set(conv_posts)
        first: dict[int, datetime] = reader.first_active(sorted(participants))
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
        previous_core=None,
        acts=wk.acts,
        thread_author=wk.thread_author,
        platform_of={i: wk.info.get(i, {}).get("platform") for i in participants},
        replyall=wk.replyall,
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
        wk.acts, wk.thread_author, wk.G, merged_rosters(others, same)
    )
    metrics["completeness"] = completeness(engine, window, scope).as_dict()
    return json_safe(metrics), week_details(wk, inp)
