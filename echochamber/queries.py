"""Graph queries that need the store and the graph together: account, conversation, path, export."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import networkx as nx
from sqlalchemy import Engine, func, select

from echochamber.config import Settings
from echochamber.errors import NotFound
from echochamber.graph.conversations import build_trees, structural_virality, tree_depth
from echochamber.measure import load_snapshot, load_week, post_by_ref
from echochamber.metrics.snapshot import hop_distances
from echochamber.models import KINDS, Window
from echochamber.store import graphdata as gd
from echochamber.store.schema import AccountRow, EdgeWeekRow, InteractionRow, PostRow


def _account_id(engine: Engine, handle: str) -> int:
    with engine.connect() as conn:
        found = gd.resolve_accounts(conn, [handle])
    if handle not in found:
        raise NotFound(f"no account {handle!r} in the store (give user@instance or a profile URL)")
    return found[handle]


def account_profile(engine: Engine, handle: str, window: Window, scope: str) -> dict[str, Any]:
    """An account's ties by kind and direction in ``window`` and its weekly activity."""
    aid = _account_id(engine, handle)
    T, P, E = InteractionRow, PostRow, EdgeWeekRow
    with engine.connect() as conn:
        acc = (
            conn.execute(select(AccountRow.__table__).where(AccountRow.id == aid)).mappings().one()
        )
        ties: dict[str, Counter[str]] = {"out": Counter(), "in": Counter()}
        for col, direction in ((T.actor_id, "out"), (T.target_id, "in")):
            stmt = select(T.kind, func.count()).where(
                col == aid, T.at >= window.start, T.at < window.end
            )
            if scope != "all":
                stmt = stmt.where(T.platform == scope)
            for kind, n in conn.execute(stmt.group_by(T.kind)):
                ties[direction][kind] = int(n)
        span = conn.execute(
            select(func.min(P.created_at), func.max(P.created_at)).where(P.author_id == aid)
        ).one()
        weekly: dict[str, dict[str, int]] = {}
        for week, n in conn.execute(
            select(E.week, func.sum(E.n)).where(E.actor_id == aid).group_by(E.week)
        ):
            weekly.setdefault(str(week), {"posts": 0, "interactions": 0})["interactions"] = int(n)
        posts = conn.execute(select(P.created_at).where(P.author_id == aid, P.tagged)).scalars()
        for created in posts:
            monday = (created - timedelta(days=created.weekday())).date()
            weekly.setdefault(str(monday), {"posts": 0, "interactions": 0})["posts"] += 1
    first = min(filter(None, [span[0], acc["first_seen"]]))
    last = max(filter(None, [span[1], acc["last_seen"]]))
    return {
        "id": aid,
        "handle": acc["handle"] or acc["key"],
        "key": acc["key"],
        "display_name": acc["display_name"],
        "platform": acc["platform"],
        "instance": acc["instance"],
        "followers": acc["followers"] or 0,
        "bot": acc["bot"],
        "first_seen": first.isoformat(),
        "last_seen": last.isoformat(),
        "ties": {d: {k: ties[d].get(k, 0) for k in KINDS} for d in ("out", "in")},
        "weekly": [{"week": w, **v} for w, v in sorted(weekly.items())],
    }


def conversation_tree(engine: Engine, ref: str, settings: Settings) -> dict[str, Any]:
    """The reply/quote tree under a post, with its reach beyond the core of its week."""
    pid, uri = post_by_ref(engine, ref)
    P = PostRow
    with engine.connect() as conn:
        root_row = conn.execute(
            select(P.created_at, P.author_id, P.platform).where(P.id == pid)
        ).one()
        rows: list[tuple[str, str | None, int, str]] = [(uri, None, root_row.author_id, "root")]
        frontier = [uri]
        while frontier and len(rows) < 100_000:
            nxt = []
            for i in range(0, len(frontier), 500):
                part = frontier[i : i + 500]
                for child, parent, quote, author in conn.execute(
                    select(P.uri, P.in_reply_to_uri, P.quote_of_uri, P.author_id).where(
                        (P.in_reply_to_uri.in_(part)) | (P.quote_of_uri.in_(part))
                    )
                ):
                    kind = "reply" if parent in part else "quote"
                    rows.append((child, parent if kind == "reply" else quote, author, kind))
                    nxt.append(child)
            frontier = nxt
        info = gd.account_info(conn, {r[2] for r in rows})
    tree = next(t for t in build_trees(rows) if t.root == uri)
    window = Window.week_of(root_row.created_at)
    snap = load_snapshot(engine, window, "all", settings.core.policy)
    core = {m["id"] for m in snap["roster"]} if snap else set()
    authors = set(tree.author.values())
    depth_of: dict[str, int] = {tree.root: 0}
    for post in _topo(tree):
        if post != tree.root:
            depth_of[post] = depth_of[tree.parent[post]] + 1
    breadth = max(Counter(depth_of.values()).values())
    outs = sorted(str(info.get(a, {}).get("handle")) for a in authors if a not in core)
    return {
        "root": uri,
        "author": info.get(root_row.author_id, {}).get("handle"),
        "week": window.label,
        "core_known": snap is not None,
        "size": len(tree.author),
        "depth": tree_depth(tree),
        "breadth": breadth,
        "structural_virality": structural_virality(tree),
        "participants": len(authors),
        "core_participants": len(authors & core),
        "outside_participants": len(authors - core),
        "outsiders": outs,
    }


def _topo(tree: Any) -> list[str]:
    children: dict[str, list[str]] = {}
    for c, p in tree.parent.items():
        children.setdefault(p, []).append(c)
    order, stack = [], [tree.root]
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(children.get(n, []))
    return order


def _bfs_path(
    engine: Engine, window: Window, scope: str, a: int, b: int, limit: int = 12
) -> list[int]:
    """Bidirectional BFS over the week's edge counts in SQL, expanding the smaller side."""
    if a == b:
        return [a]
    parents = {a: {a: -1}, b: {b: -1}}
    frontier = {a: {a}, b: {b}}
    with engine.connect() as conn:
        for _ in range(limit):
            side = a if len(frontier[a]) <= len(frontier[b]) else b
            other = b if side == a else a
            if not frontier[side]:
                return []
            nxt: set[int] = set()
            for node, nbrs in gd.neighbours(conn, window, frontier[side], scope).items():
                for m in sorted(nbrs):
                    if m not in parents[side]:
                        parents[side][m] = node
                        nxt.add(m)
            meet = sorted(nxt & set(parents[other]))
            if meet:
                m = meet[0]
                left, right = [], []
                x = m
                while x != -1:
                    left.append(x)
                    x = parents[a][x]
                x = parents[b][m]
                while x != -1:
                    right.append(x)
                    x = parents[b][x]
                return left[::-1] + right
            frontier[side] = nxt
    return []


def shortest_path(
    engine: Engine, settings: Settings, window: Window, scope: str, source: str, target: str
) -> list[dict[str, Any]]:
    """Hops from ``source`` to ``target`` along interactions (either direction)."""
    a, b = _account_id(engine, source), _account_id(engine, target)
    if gd.is_whole_weeks(window):
        nodes = _bfs_path(engine, window, scope, a, b)
        with engine.connect() as conn:
            info = gd.account_info(conn, nodes)
            hops = []
            for u, v in itertools.pairwise(nodes):
                fwd = gd.pair_kinds(conn, window, u, v, scope)
                kinds = fwd or gd.pair_kinds(conn, window, v, u, scope)
                hops.append(
                    {
                        "from": info.get(u, {}).get("handle"),
                        "to": info.get(v, {}).get("handle"),
                        "direction": "acted on" if fwd else "was acted on by",
                        "kinds": {k: int(kinds.get(k, 0)) for k in KINDS},
                    }
                )
        return hops
    with engine.connect() as conn:
        wk = load_week(conn, settings, window, scope)
    U = wk.G.to_undirected(as_view=True)
    if a not in U or b not in U:
        return []
    try:
        path_nodes = nx.shortest_path(U, a, b)
    except nx.NetworkXNoPath:
        return []
    out = []
    for u, v in itertools.pairwise(path_nodes):
        data = wk.G.get_edge_data(u, v) or wk.G.get_edge_data(v, u) or {}
        out.append(
            {
                "from": wk.info.get(u, {}).get("handle"),
                "to": wk.info.get(v, {}).get("handle"),
                "direction": "acted on" if wk.G.has_edge(u, v) else "was acted on by",
                "kinds": {k: int(data.get(k, 0)) for k in KINDS},
            }
        )
    return out


def export_graph(
    engine: Engine, settings: Settings, window: Window, scope: str, fmt: str, output: str
) -> tuple[int, int]:
    """Write the window's graph; nodes carry is_core, hop, community and activity."""
    from echochamber.metrics.communities import community_of

    with engine.connect() as conn:
        wk = load_week(conn, settings, window, scope)
    G = wk.G
    hops = hop_distances(G, wk.core)
    comm = community_of(G, seed=settings.metrics.seed)
    H = nx.DiGraph()
    for n in G.nodes:
        i = wk.info.get(n, {})
        H.add_node(
            str(i.get("handle") or n),
            label=str(i.get("handle") or n),
            is_core=n in wk.core,
            hop=-1 if hops.get(n) is None else int(hops[n]),
            community=int(comm.get(n, -1)),
            posts=int(wk.tagged_posts.get(n, 0)),
            followers=int(i.get("followers") or 0),
            platform=str(i.get("platform") or ""),
        )
    for u, v, d in G.edges(data=True):
        H.add_edge(
            str(wk.info.get(u, {}).get("handle") or u),
            str(wk.info.get(v, {}).get("handle") or v),
            **{k: int(d.get(k, 0)) for k in KINDS},
            weight=float(d.get("weight", 0)),
        )
    if fmt == "gexf":
        nx.write_gexf(H, output)
    elif fmt == "graphml":
        nx.write_graphml(H, output)
    elif fmt == "json":
        with open(output, "w", encoding="utf-8") as fh:
            json.dump(nx.node_link_data(H, edges="edges"), fh, ensure_ascii=False)
    else:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["source", "target", *KINDS, "weight"])
            for u, v, d in sorted(H.edges(data=True)):
                w.writerow([u, v, *[d[k] for k in KINDS], d["weight"]])
    return H.number_of_nodes(), H.number_of_edges()
