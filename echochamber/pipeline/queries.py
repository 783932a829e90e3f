"""Graph questions that need the store and the graph together: an account, a conversation,
a path between two accounts, and exports of a window's graph."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from echochamber.config import Settings
from echochamber.config.weeks import zone_week
from echochamber.graph.conversations import (
    ConversationTree,
    build_trees,
    structural_virality,
    tree_depth,
)
from echochamber.metrics.travel import travel_distances
from echochamber.models import KINDS, Window
from echochamber.pipeline.snapshot import week_graph
from echochamber.store import (
    Engine,
    GraphReader,
    account_id,
    account_record,
    conversation_rows,
    graph_reader,
    is_whole_weeks,
    load_snapshot,
)


def account_profile(engine: Engine, handle: str, window: Window, scope: str) -> dict[str, Any]:
    """An account's ties by kind and direction in ``window`` and its weekly activity."""
    rec = account_record(engine, account_id(engine, handle), window, scope)
    out = asdict(rec)
    for k in ("first_seen", "last_seen", "last_post"):
        out[k] = out[k].isoformat() if out[k] else None
    return out


def _depths(tree: ConversationTree) -> dict[str, int]:
    children: dict[str, list[str]] = {}
    for c, p in tree.parent.items():
        children.setdefault(p, []).append(c)
    depth = {tree.root: 0}
    stack = [tree.root]
    while stack:
        n = stack.pop()
        for c in children.get(n, []):
            depth[c] = depth[n] + 1
            stack.append(c)
    return depth


def conversation_tree(engine: Engine, ref: str, settings: Settings) -> dict[str, Any]:
    """The reply/quote tree under a post, with its reach beyond the core of its week."""
    thread = conversation_rows(engine, ref)
    with graph_reader(engine) as reader:
        info = reader.account_info({r[2] for r in thread.rows})
    tree = next(t for t in build_trees(thread.rows) if t.root == thread.root_uri)
    window = zone_week(thread.root_created, settings.core.timezone)
    snap = load_snapshot(engine, window, "all", settings.core.policy, "none")
    core = set(snap.core_ids) if snap else set()
    authors = set(tree.author.values())
    breadth = max(Counter(_depths(tree).values()).values())
    outs = sorted(str(info.get(a, {}).get("handle")) for a in authors if a not in core)
    return {
        "root": thread.root_uri,
        "author": info.get(thread.root_author, {}).get("handle"),
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


def _bfs_path(
    reader: GraphReader, window: Window, scope: str, a: int, b: int, limit: int = 12
) -> list[int]:
    """Bidirectional BFS over the week's edge counts, expanding the smaller side."""
    if a == b:
        return [a]
    parents = {a: {a: -1}, b: {b: -1}}
    frontier = {a: {a}, b: {b}}
    for _ in range(limit):
        side = a if len(frontier[a]) <= len(frontier[b]) else b
        other = b if side == a else a
        if not frontier[side]:
            return []
        nxt: set[int] = set()
        for node, nbrs in reader.neighbours(window, frontier[side], scope).items():
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


@dataclass(frozen=True)
class PathFound:
    """A shortest interaction path: its steps (who acted on whom, by kind), or none."""

    hops: list[dict[str, Any]]
    found: bool
    same: bool = False


def shortest_path(
    engine: Engine, settings: Settings, window: Window, scope: str, source: str, target: str
) -> PathFound:
    """Steps from ``source`` to ``target`` along interactions, in either direction.

    Each step says who acted on whom (``direction``: ``acted on`` when the step's ``from``
    account acted on its ``to`` account) and the interactions by kind.
    """
    a, b = account_id(engine, source), account_id(engine, target)
    if a == b:
        return PathFound([], found=True, same=True)
    with graph_reader(engine) as reader:
        if is_whole_weeks(window):
            nodes = _bfs_path(reader, window, scope, a, b)
            info = reader.account_info(nodes)
            hops = []
            for u, v in itertools.pairwise(nodes):
                fwd = reader.pair_kinds(window, u, v, scope)
                kinds = fwd or reader.pair_kinds(window, v, u, scope)
                hops.append(_hop(info, u, v, bool(fwd), kinds))
            return PathFound(hops, found=bool(hops))
        wk = week_graph(reader, settings, window, scope)
    U = wk.G.to_undirected(as_view=True)
    if a not in U or b not in U:
        return PathFound([], found=False)
    try:
        path_nodes = nx.shortest_path(U, a, b)
    except nx.NetworkXNoPath:
        return PathFound([], found=False)
    out = []
    for u, v in itertools.pairwise(path_nodes):
        data = wk.G.get_edge_data(u, v) or wk.G.get_edge_data(v, u) or {}
        out.append(_hop(wk.info, u, v, wk.G.has_edge(u, v), data))
    return PathFound(out, found=True)


def _hop(info: Any, u: int, v: int, forward: bool, kinds: Any) -> dict[str, Any]:
    return {
        "from": info.get(u, {}).get("handle"),
        "to": info.get(v, {}).get("handle"),
        "direction": "acted on" if forward else "was acted on by",
        "kinds": {k: int(kinds.get(k, 0)) for k in KINDS},
    }


def pseudonym(salt: str, name: str) -> str:
    """A stable salted pseudonym for a handle or id in an export (HMAC-SHA256, 16 hex digits).

    >>> pseudonym("s", "ana@a.example") == pseudonym("s", "ana@a.example") != pseudonym("t", "x")
    True
    """
    import hashlib
    import hmac

    return "p:" + hmac.new(salt.encode(), name.encode(), hashlib.sha256).hexdigest()[:16]


def export_graph(
    engine: Engine,
    settings: Settings,
    window: Window,
    scope: str,
    fmt: str,
    output: str,
    *,
    salt: str | None = None,
) -> tuple[int, int]:
    """Write the window's graph; nodes carry is_core, hop, community and activity.

    With ``salt`` (``--pseudonymize``) every node is named by a salted hash of its handle (or
    its store id) instead of the handle: the same account has the same name in every export
    made with the same salt, and nothing in the file names anyone.

    The core is the roster of the window's stored snapshot (the one its numbers used), or
    today's roster policy when the window has none.  Every participant is a node, those
    without ties too (they posted under the tag).  CSV writes the edges to ``output`` and the
    nodes beside it (``NAME.nodes.csv``).
    """
    from echochamber.metrics.communities import community_of

    with graph_reader(engine) as reader:
        wk = week_graph(reader, settings, window, scope)
    snap = load_snapshot(engine, window, scope, settings.core.policy, "none")
    core = snap.core_ids if snap is not None else wk.core
    G = wk.G.copy()
    for t in wk.trees:
        G.add_nodes_from(t.author.values())
    G.add_nodes_from(wk.tagged_posts)
    hops = travel_distances(wk.acts, core)
    comm = community_of(G, seed=settings.metrics.seed)
    H = nx.DiGraph()

    def name(n: Any) -> str:
        plain = str(wk.info.get(n, {}).get("handle") or n)
        return pseudonym(salt, plain) if salt is not None else plain

    for n in G.nodes:
        i = wk.info.get(n, {})
        H.add_node(
            name(n),
            label=name(n),
            is_core=n in core,
            hop=-1 if hops.get(n) is None else int(hops[n]),
            community=int(comm.get(n, -1)),
            posts=int(wk.tagged_posts.get(n, 0)),
            followers=int(i.get("followers") or 0),
            platform=str(i.get("platform") or ""),
        )
    for u, v, d in G.edges(data=True):
        H.add_edge(
            name(u),
            name(v),
            **{k: int(d.get(k, 0)) for k in KINDS},
            weight=float(d.get("weight", 0)),
        )
    _write(H, fmt, Path(output))
    return H.number_of_nodes(), H.number_of_edges()


def _write(H: nx.DiGraph, fmt: str, output: Path) -> None:
    if fmt == "gexf":
        nx.write_gexf(H, output)
    elif fmt == "graphml":
        nx.write_graphml(H, output)
    elif fmt == "json":
        with output.open("w", encoding="utf-8") as fh:
            json.dump(nx.node_link_data(H, edges="edges"), fh, ensure_ascii=False)
    else:
        with output.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["source", "target", *KINDS, "weight"])
            for u, v, d in sorted(H.edges(data=True)):
                w.writerow([u, v, *[d[k] for k in KINDS], d["weight"]])
        columns = ["is_core", "hop", "community", "posts", "followers", "platform"]
        with nodes_file(output).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", *columns])
            for n, d in sorted(H.nodes(data=True)):
                w.writerow([n, *[d[c] for c in columns]])


def nodes_file(output: Path) -> Path:
    """Where a CSV export puts its nodes: ``g.csv`` -> ``g.nodes.csv``."""
    return output.with_name(f"{output.stem}.nodes{output.suffix or '.csv'}")
