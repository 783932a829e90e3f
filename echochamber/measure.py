"""The weekly measurement: store -> graph -> metrics -> a stored snapshot (and its details).

This is where the stages meet, so it is the one module besides ``pipeline.py`` that imports
store/, graph/ and metrics/ together.  graph/ and metrics/ stay pure: this module reads the
rows, passes the window and the roster in, and writes the result.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import networkx as nx
from sqlalchemy import Connection, Engine, select

from echochamber.config import Settings
from echochamber.errors import ConfigError, NotFound
from echochamber.graph.build import build_graph
from echochamber.graph.conversations import ConversationTree, build_trees
from echochamber.graph.core import kcore_roster, top_active
from echochamber.metrics.snapshot import SnapshotInput, bridges, hop_distances, snapshot
from echochamber.models import Window
from echochamber.store import graphdata as gd
from echochamber.store.ingest import dialect_insert
from echochamber.store.schema import PostRow, SnapshotRow


@dataclass(frozen=True)
class WeekGraph:
    """A window's graph with everything the metrics and the queries need."""

    window: Window
    scope: str
    G: nx.DiGraph
    core: frozenset[int]
    info: Mapping[int, Mapping[str, Any]]
    tagged_posts: Mapping[int, int]
    trees: tuple[ConversationTree, ...]
    tree_uri: Mapping[str, int]


def roster(conn: Connection, settings: Settings, window: Window, scope: str) -> frozenset[int]:
    """The core roster for ``window`` under the configured policy (trailing weeks before it)."""
    core = settings.core
    if core.policy == "list":
        found = gd.resolve_accounts(conn, core.accounts)
        if not found:
            raise ConfigError("core.accounts: none of the listed accounts is in the store yet")
        return frozenset(found.values())
    trailing = Window(window.start - timedelta(weeks=core.window_weeks), window.start)
    act = gd.activity(conn, trailing, scope)
    if not act:  # nothing before: fall back to the window itself
        act = gd.activity(conn, window, scope)
    if core.policy == "kcore":
        G = build_graph(gd.edge_rows(conn, trailing, scope))
        return frozenset(kcore_roster(G, core.size, act))
    return frozenset(top_active(act, core.size))


def load_week(conn: Connection, settings: Settings, window: Window, scope: str) -> WeekGraph:
    """The window's graph; on scope ``all``, accounts linked in ``[identities]`` are one node."""
    same = gd.identity_map(conn, settings.identities) if scope == "all" else {}
    rows = [
        (same.get(a, a), same.get(t, t), k, n, v)
        for a, t, k, n, v in gd.edge_rows(conn, window, scope)
    ]
    G = build_graph(rows, weights=settings.graph.weights())
    core = frozenset(same.get(c, c) for c in roster(conn, settings, window, scope))
    tagged: dict[int, int] = {}
    for a, n in gd.tagged_posts_by_author(conn, window, scope).items():
        tagged[same.get(a, a)] = tagged.get(same.get(a, a), 0) + n
    posts = [
        replace(p, author_id=same.get(p.author_id, p.author_id))
        for p in gd.thread_posts(conn, window, scope)
    ]
    known = {p.uri for p in posts}
    all_trees = build_trees(
        (
            p.uri,
            p.parent_uri if p.parent_uri in known else None,
            p.author_id,
            p.kind if p.parent_uri in known else "root",
        )
        for p in posts
    )
    created = {p.uri: p.created_at for p in posts}
    trees = tuple(t for t in all_trees if window.start <= created[t.root] < window.end)
    ids = set(G.nodes) | set(tagged) | set(core)
    for t in trees:
        ids.update(t.author.values())
    info = gd.account_info(conn, ids)
    for n in G.nodes:
        i = info.get(n, {})
        G.nodes[n]["handle"] = i.get("handle")
        G.nodes[n]["followers"] = i.get("followers", 0)
    tree_uri = {p.uri: p.post_id for p in posts}
    return WeekGraph(window, scope, G, core, info, tagged, trees, tree_uri)


def _previous_core(
    conn: Connection, window: Window, scope: str, policy: str
) -> frozenset[str] | None:
    prev = window.previous()
    row = conn.execute(
        select(SnapshotRow.roster).where(
            SnapshotRow.scope == scope,
            SnapshotRow.window_start == prev.start,
            SnapshotRow.window_end == prev.end,
            SnapshotRow.policy == policy,
        )
    ).first()
    if row is None:
        return None
    return frozenset(m["key"] for m in json.loads(row[0]))


def compute(
    engine: Engine,
    settings: Settings,
    window: Window,
    scope: str = "all",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Compute and store the snapshot of ``window``; returns the metrics dict."""
    with engine.connect() as conn:
        wk = load_week(conn, settings, window, scope)
        conv_posts: Counter[int] = Counter()
        for t in wk.trees:
            conv_posts.update(t.author.values())
        actors = {u for u, d in wk.G.out_degree() if d > 0}
        participants = actors | set(wk.tagged_posts) | set(conv_posts)
        first = gd.first_active(conn, sorted(participants))
        prev_keys = _previous_core(conn, window, scope, settings.core.policy)
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
        instance_of={i: wk.info.get(i, {}).get("instance") for i in participants},
        previous_core=previous_core,
    )
    metrics = snapshot(inp, null_samples=settings.metrics.null_samples, seed=settings.metrics.seed)
    metrics = _json_safe(metrics)
    details = week_details(wk, inp)
    roster_rows = sorted(
        (
            {
                "id": i,
                "key": keys.get(i) or wk.info.get(i, {}).get("key"),
                "handle": wk.info.get(i, {}).get("handle"),
            }
            for i in wk.core
        ),
        key=lambda r: str(r["handle"] or r["key"]),
    )
    store_snapshot(
        engine,
        window,
        scope,
        settings.core.policy,
        metrics,
        roster_rows,
        details,
        now or datetime.now().astimezone(),
    )
    return metrics


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return value


def week_details(wk: WeekGraph, inp: SnapshotInput, top: int = 10) -> dict[str, Any]:
    """Per-account rows, bridges, top conversations and new voices for queries and reports."""
    G, core = wk.G, wk.core
    hops = hop_distances(G, core)
    nodes: dict[str, Any] = {}
    for n in set(G.nodes) | set(wk.tagged_posts) | set(core):
        i = wk.info.get(n, {})
        row: dict[str, Any] = {
            "id": n,
            "handle": i.get("handle"),
            "key": i.get("key"),
            "is_core": n in core,
            "hop": hops.get(n),
            "posts": wk.tagged_posts.get(n, 0),
            "followers": i.get("followers", 0),
        }
        ties = {"out_core": 0, "out_outside": 0, "in_core": 0, "in_outside": 0}
        if n in G:
            for _, v, w in G.out_edges(n, data="weight"):
                ties["out_core" if v in core else "out_outside"] += w or 0
            for u, _, w in G.in_edges(n, data="weight"):
                ties["in_core" if u in core else "in_outside"] += w or 0
        row.update(ties)
        nodes[str(n)] = row
    br = [
        {
            "id": a,
            "handle": wk.info.get(a, {}).get("handle"),
            "is_core": a in core,
            "reached": int(r),
        }
        for a, r in bridges(G, core, top=top)
    ]
    convs = []
    for t in wk.trees:
        authors = set(t.author.values())
        outs = sorted(a for a in authors if a not in core)
        if t.author[t.root] not in core and not outs:
            continue
        convs.append(
            {
                "uri": t.root,
                "author": wk.info.get(t.author[t.root], {}).get("handle"),
                "root_core": t.author[t.root] in core,
                "size": len(t.author),
                "outsiders": len(outs),
            }
        )
    convs.sort(key=lambda c: (-c["outsiders"], -c["size"], c["uri"]))
    voices = sorted(inp.first_seen_in_window)
    return {
        "nodes": nodes,
        "bridges": br,
        "conversations": convs[:top],
        "new_voices": [
            {
                "id": a,
                "handle": wk.info.get(a, {}).get("handle"),
                "display_name": wk.info.get(a, {}).get("display_name"),
                "posts": wk.tagged_posts.get(a, 0),
            }
            for a in voices[: top * 5]
        ],
    }


def store_snapshot(
    engine: Engine,
    window: Window,
    scope: str,
    policy: str,
    metrics: Mapping[str, Any],
    roster_rows: list[dict[str, Any]],
    details: Mapping[str, Any],
    now: datetime,
) -> None:
    """Insert or replace the snapshot of (scope, window, policy)."""
    t = SnapshotRow.__table__
    values = {
        "scope": scope,
        "window_start": window.start,
        "window_end": window.end,
        "policy": policy,
        "computed_at": now,
        "metrics": json.dumps(metrics, allow_nan=False),
        "roster": json.dumps(roster_rows),
        "details": json.dumps(details, allow_nan=False, default=str),
        "final": now >= window.end + timedelta(days=1),
    }
    with engine.begin() as conn:
        ins = dialect_insert(conn, t).values(**values)  # type: ignore[arg-type]
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["scope", "window_start", "window_end", "policy"],
                set_={
                    k: v
                    for k, v in values.items()
                    if k not in ("scope", "window_start", "window_end", "policy")
                },
            )
        )


def load_snapshot(engine: Engine, window: Window, scope: str, policy: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                SnapshotRow.metrics,
                SnapshotRow.roster,
                SnapshotRow.details,
                SnapshotRow.computed_at,
            ).where(
                SnapshotRow.scope == scope,
                SnapshotRow.window_start == window.start,
                SnapshotRow.window_end == window.end,
                SnapshotRow.policy == policy,
            )
        ).first()
    if row is None:
        return None
    return {
        "metrics": json.loads(row[0]),
        "roster": json.loads(row[1]),
        "details": json.loads(row[2] or "{}"),
        "computed_at": row[3].isoformat(),
    }


def history(engine: Engine, scope: str, policy: str, weeks: int) -> list[dict[str, Any]]:
    """The newest ``weeks`` weekly snapshots, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                SnapshotRow.window_start,
                SnapshotRow.window_end,
                SnapshotRow.metrics,
                SnapshotRow.computed_at,
            )
            .where(SnapshotRow.scope == scope, SnapshotRow.policy == policy)
            .order_by(SnapshotRow.window_start.desc())
        ).all()
    out = []
    for start, end, metrics, computed in rows:
        w = Window(start, end)
        if end - start != timedelta(days=7):
            continue
        out.append(
            {
                "week": w.label,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "computed_at": computed.isoformat(),
                "metrics": json.loads(metrics),
            }
        )
        if len(out) >= weeks:
            break
    return out[::-1]


def post_by_ref(engine: Engine, ref: str) -> tuple[int, str]:
    """A post by URI, URL or native id -> (id, uri)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(PostRow.id, PostRow.uri)
            .where((PostRow.uri == ref) | (PostRow.url == ref) | (PostRow.native_id == ref))
            .limit(1)
        ).first()
    if row is None:
        raise NotFound(f"no post {ref!r} in the store (give its URI, URL or id)")
    return int(row[0]), str(row[1])
