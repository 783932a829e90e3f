#!/usr/bin/env python3
"""Benchmarks that print ratios against a baseline measured in the same run.

    python scripts/bench.py ingest [--statuses 30000] [--postgres URL]  # import, whole process
    python scripts/bench.py api [--new 400]                 # issue 2: requests per new status
    python scripts/bench.py graph [--posts 100000] [--big]  # issue 3: build, snapshot, queries
    python scripts/bench.py import [--mb 100]               # issue 5: twarc2 JSONL -> SQLite
    python scripts/bench.py startup [--runs 15]             # issue 9: command start-up
    python scripts/bench.py map [--nodes 20000]             # issue 12: the map's frame time
    python scripts/bench.py store --posts 114000 --out s.db  # a simulated one-week store
    python scripts/bench.py floor --db s.db --week 2026-W02  # issue 14: the floor script
    python scripts/bench.py snapshot [--posts 114000] [--db s.db] [--runs 3]  # issue 14

These machines are noisy (5-8% run to run): compare ratios, not seconds, and never turn these
numbers into test limits.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_rss_mb() -> float:
    """Peak RSS of the largest finished child process (the import's parsing workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


# ----------------------------------------------------------------------------- ingest


def real_statuses() -> list[dict[str, Any]]:
    import yaml

    path = FIXTURES / "rtoot_vcr_fixtures" / "handle_params_max_id.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        s for it in data["http_interactions"] for s in json.loads(it["response"]["body"]["string"])
    ]


def replicated_lines(n: int) -> list[bytes]:
    """N distinct real-shaped statuses: the 160 real ones with fresh ids, uris and accounts."""
    base = real_statuses()
    out = []
    for i in range(n):
        s = copy.deepcopy(base[i % len(base)])
        gen = i // len(base)
        s["id"] = str(int(s["id"]) + gen * 10**6)
        s["uri"] = f"{s['uri']}-{gen}"
        acc = s["account"]
        acc["id"] = f"{acc['id']}{gen % 50}"
        acc["url"] = f"{acc['url']}{gen % 50}"
        acc["acct"] = f"{acc['acct']}{gen % 50}"
        if s.get("in_reply_to_id"):
            s["in_reply_to_id"] = str(int(s["in_reply_to_id"]) + gen * 10**6)
        out.append(json.dumps(s).encode())
    return out


def write_rows(db: sqlite3.Connection, batches: dict[str, list[Any]]) -> None:
    """The baselines' flush: executemany each statement's rows, commit, empty the lists."""
    for sql, rows in batches.items():
        db.executemany(sql, rows)
    db.commit()
    for rows in batches.values():
        rows.clear()


def same_rows_ingest(lines: list[bytes], path: Path) -> float:
    """A plain script that parses each line and executemanys the rows echochamber keeps of it
    (the post and the boosted original, their authors, tags, the mention, reply and boost ties,
    the raw JSON) in 10,000-row batches (WAL), with the unique keys that make it rerunnable."""
    import orjson

    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript("""
        CREATE TABLE accounts (key TEXT UNIQUE, handle TEXT, name TEXT, followers INTEGER,
                               following INTEGER, bot INTEGER, created TEXT);
        CREATE TABLE posts (uri TEXT UNIQUE, native TEXT, author TEXT, created TEXT, text TEXT,
                            lang TEXT, url TEXT, parent TEXT, parent_account TEXT, boost_of TEXT,
                            replies INTEGER, boosts INTEGER, favourites INTEGER, raw BLOB);
        CREATE TABLE tags (uri TEXT, tag TEXT, UNIQUE(uri, tag));
        CREATE TABLE ties (kind TEXT, actor TEXT, target TEXT, subject TEXT, at TEXT,
                           UNIQUE(kind, actor, target, subject));
    """)
    t = time.perf_counter()
    accounts: list[Any] = []
    posts: list[Any] = []
    tags: list[Any] = []
    ties: list[Any] = []

    def flush() -> None:
        write_rows(
            db,
            {
                "INSERT OR REPLACE INTO accounts VALUES (?,?,?,?,?,?,?)": accounts,
                "INSERT OR IGNORE INTO posts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)": posts,
                "INSERT OR IGNORE INTO tags VALUES (?,?)": tags,
                "INSERT OR IGNORE INTO ties VALUES (?,?,?,?,?)": ties,
            },
        )

    def add(s: dict[str, Any], raw: bytes | None) -> str:
        a = s["account"]
        me = a["url"]
        accounts.append(
            (
                me,
                a["acct"],
                a.get("display_name"),
                a.get("followers_count"),
                a.get("following_count"),
                a.get("bot"),
                a.get("created_at"),
            )
        )
        boosted = s.get("reblog")
        boost_of = add(boosted, None) if boosted else None
        posts.append(
            (
                s["uri"],
                s["id"],
                me,
                s["created_at"],
                s.get("content"),
                s.get("language"),
                s.get("url"),
                s.get("in_reply_to_id"),
                s.get("in_reply_to_account_id"),
                boost_of,
                s.get("replies_count"),
                s.get("reblogs_count"),
                s.get("favourites_count"),
                raw,
            )
        )
        tags.extend((s["uri"], x["name"].lower()) for x in s.get("tags") or ())
        if boosted:
            ties.append(("boost", me, boosted["account"]["url"], boost_of, s["created_at"]))
        elif s.get("in_reply_to_account_id"):
            ties.append(("reply", me, s["in_reply_to_account_id"], s["uri"], s["created_at"]))
        for m in s.get("mentions") or ():
            ties.append(("mention", me, m["url"], s["uri"], s["created_at"]))
        return s["uri"]  # type: ignore[no-any-return]

    for line in lines:
        add(orjson.loads(line), line)
        if len(posts) >= 10_000:
            flush()
    flush()
    elapsed = time.perf_counter() - t
    db.close()
    return elapsed


def echochamber_ingest(lines: list[bytes], url: str, page: int) -> float:
    import orjson

    from echochamber.collect.normalize_mastodon import normalize_statuses
    from echochamber.store import init_db, make_engine
    from echochamber.store.ingest import store_batch
    from echochamber.store.raw import store_raw

    engine = make_engine(url)
    init_db(engine)
    now = datetime.now(UTC)
    t = time.perf_counter()
    for i in range(0, len(lines), page):
        chunk = lines[i : i + page]
        statuses = [orjson.loads(x) for x in chunk]
        batch = normalize_statuses(
            statuses, server="https://mastodon.social", tracked=["ichbinhanna"]
        )
        with engine.begin() as conn:
            store_batch(conn, batch, now=now)
            store_raw(
                conn,
                platform="mastodon",
                source="bench",
                endpoint="bench",
                body=b"[" + b",".join(chunk) + b"]",
                now=now,
            )
    elapsed = time.perf_counter() - t
    engine.dispose()
    return elapsed


TABLES = (
    "accounts",
    "posts",
    "post_tags",
    "post_sources",
    "post_observations",
    "interactions",
    "edge_weeks",
    "raw_payloads",
)


def fresh_store(kind: str, pg: str | None, tmp: str, name: str) -> tuple[str, str]:
    """An initialised, empty store: ``(SQLAlchemy URL, what the baseline script connects to)``."""
    from sqlalchemy import text

    from echochamber.store import init_db, make_engine

    if kind == "sqlite":
        path = Path(tmp) / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        if pg is None:
            raise SystemExit("--postgres URL is needed for a PostgreSQL store")
        admin = make_engine(pg, isolation_level="AUTOCOMMIT")
        db = f"bench_{name}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        url = admin.url.set(database=db).render_as_string(hide_password=False)
        admin.dispose()
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    if kind == "sqlite":
        return url, str(path)
    return url, url.replace("postgresql+psycopg://", "postgresql://")


def table_counts(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from echochamber.store import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return out


def whole_process(argv: list[str], cpu: list[float] | None = None) -> float:
    """Wall time of a process; its CPU time (user + system, its children's included) is
    appended to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def cmd_ingest(args: argparse.Namespace) -> None:
    """Whole processes: ``echochamber import --format mastodon`` of N statuses (one JSON line
    each) into a fresh store, against ``scripts/ingest_baseline.py`` writing the same rows into
    the same schema; runs interleaved, medians and the median of the per-run ratios."""
    n = args.statuses
    py = sys.executable
    kinds = (["sqlite"] if not args.no_sqlite else []) + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statuses.jsonl"
        path.write_bytes(b"\n".join(replicated_lines(n)) + b"\n")
        print(f"{n:,} statuses, {path.stat().st_size / 1e6:.1f} MB of JSON lines")
        for kind in kinds:
            base_t: list[float] = []
            ours_t: list[float] = []
            base_cpu: list[float] = []
            ours_cpu: list[float] = []
            for run in range(args.runs):
                url, target = fresh_store(kind, args.postgres, tmp, "base")
                base_t.append(
                    whole_process(
                        [py, str(ROOT / "scripts" / "ingest_baseline.py"), kind, str(path), target],
                        base_cpu,
                    )
                )
                if run == 0:
                    base_counts = table_counts(url)
                url, _ = fresh_store(kind, args.postgres, tmp, "ours")
                cmd = [py, "-m", "echochamber", "--db", url, "import", "--format", "mastodon"]
                ours_t.append(
                    whole_process(
                        [*cmd, "--server", "https://mastodon.social", str(path)], ours_cpu
                    )
                )
                if run == 0:
                    ours_counts = table_counts(url)
                    print(f"{kind} rows, baseline / echochamber:")
                    for t in TABLES:
                        flag = "" if base_counts[t] == ours_counts[t] else "  (differs)"
                        print(f"  {t:<18} {base_counts[t]:>8,} {ours_counts[t]:>8,}{flag}")
                print(
                    f"  run {run + 1}: baseline {base_t[-1]:.2f} s (CPU {base_cpu[-1]:.2f} s), "
                    f"echochamber {ours_t[-1]:.2f} s (CPU {ours_cpu[-1]:.2f} s)",
                    flush=True,
                )
            b, o = statistics.median(base_t), statistics.median(ours_t)
            ratio = statistics.median(x / y for x, y in zip(base_t, ours_t, strict=True))
            print(
                f"{kind}: baseline {b:.2f} s ({b / n * 1e6:.0f} us/status), echochamber {o:.2f} s "
                f"({o / n * 1e6:.0f} us/status): {ratio:.2f}x baseline (median of {args.runs} "
                "runs, target >= 0.5)"
            )
            cpu = statistics.median(x / y for x, y in zip(base_cpu, ours_cpu, strict=True))
            print(
                f"{kind} CPU time (user + system, the process and its children; the server's "
                f"not counted): baseline {statistics.median(base_cpu):.2f} s, echochamber "
                f"{statistics.median(ours_cpu):.2f} s: {cpu:.2f}x"
            )
    if args.pages:
        cmd_pages(args)


def cmd_pages(args: argparse.Namespace) -> None:
    """In-process: ``store_batch`` of collector pages (40 statuses, 2,000) into SQLite."""
    n = args.statuses
    lines = replicated_lines(n)
    with tempfile.TemporaryDirectory() as tmp:
        base = same_rows_ingest(lines, Path(tmp) / "same.db")
        print(f"in-process plain executemany       : {n / base:9,.0f} statuses/s ({base:.2f} s)")
        for page in (40, 2000):
            ours = echochamber_ingest(lines, f"sqlite:///{tmp}/e{page}.db", page)
            print(
                f"in-process store_batch, pages of {page:>5}: {n / ours:9,.0f} statuses/s "
                f"({ours:.2f} s), {base / ours:.2f}x"
            )


# ----------------------------------------------------------------------------- api


def cmd_api(args: argparse.Namespace) -> None:
    """Steady state: N new statuses after a first pass cost how many tag-timeline requests?"""
    from mastodon_mock.testing import MockServer

    from echochamber.config import MastodonSource, Settings
    from echochamber.pipeline.collection import collect
    from echochamber.pipeline.context import JobContext
    from echochamber.store import init_db, make_engine

    with MockServer() as srv, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/api.db")
        init_db(engine)
        settings = Settings(mastodon=(MastodonSource(srv.base_url, ("hcsm",)),))
        alice = srv.client("alice")
        alice.status_post("first #hcsm")
        collect(settings, JobContext(engine=engine), revisit=False)
        for i in range(args.new):
            alice.status_post(f"post {i} #hcsm")
        res = collect(settings, JobContext(engine=engine), revisit=False)
        r = res[0]
        print(
            f"steady state: {r.posts_new} new statuses in {r.requests} tag-timeline requests "
            f"= {r.posts_new / max(r.requests, 1):.1f} statuses per request (target >= 35)"
        )
        engine.dispose()


# ----------------------------------------------------------------------------- graph


def _populate(url: str, posts: int, weeks: int) -> None:
    from echochamber.sim.model import populate
    from echochamber.store import init_db, make_engine

    engine = make_engine(url)
    init_db(engine)
    t, s = timed(lambda: populate(engine, sim_params(posts, weeks)))
    print(
        f"populated {s.statuses:,} statuses over {weeks} weeks in {t:.0f} s "
        f"({s.statuses / t:,.0f}/s)",
        flush=True,
    )
    engine.dispose()


def sim_params(posts: int, weeks: int) -> Any:
    from echochamber.sim.model import SimParams

    # about 2.6 statuses per tagged root (replies, boosts, quotes)
    return SimParams(
        core_size=100,
        periphery_size=max(2000, posts // 10),
        weeks=weeks,
        posts_per_week=max(1, int(posts / weeks / 2.6)),
        mixing=0.3,
        start=datetime(2026, 1, 5, tzinfo=UTC),
    )


def populate_store(url: str, posts: int, weeks: int) -> Any:
    """Populate in a child process, so this process's peak RSS is the measurement's alone."""
    import multiprocessing

    from echochamber.store import make_engine

    child = multiprocessing.get_context("spawn").Process(target=_populate, args=(url, posts, weeks))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit("populating the store failed")
    return make_engine(url), sim_params(posts, weeks)


def cmd_graph(args: argparse.Namespace) -> None:
    sizes = [(args.posts, 1)] + ([(1_000_000, 10)] if args.big else [])
    for posts, weeks in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"\n== store of {posts:,} posts ({weeks} week(s))")
            graph_once(f"sqlite:///{tmp}/g.db", posts, weeks)


def snapshot_parts(engine: Any, settings: Any, window: Any) -> list[tuple[str, float]]:
    """The stages of ``pipeline.snapshot.compute``, timed one by one (nothing is stored)."""
    from collections import Counter

    from echochamber.metrics.details import week_details
    from echochamber.metrics.sensitivity import sensitivity
    from echochamber.metrics.snapshot import SnapshotInput, snapshot
    from echochamber.metrics.uncertainty import intervals
    from echochamber.pipeline.roster import merged_rosters, rosters
    from echochamber.pipeline.snapshot import community_window, load_week
    from echochamber.store import graph_reader

    window = community_window(settings, window)
    parts: list[tuple[str, float]] = []
    with graph_reader(engine) as reader:
        t, (main, others) = timed(lambda: rosters(reader, settings, window, "all"))
        parts.append(("rosters (configured + 4 for sensitivity)", t))
        t, (wk, same, _) = timed(lambda: load_week(reader, settings, window, "all", main.ids))
        parts.append(("read the week, hygiene, acts, graph", t))
    conv = Counter(a for a, _ in wk.posts)
    inp = SnapshotInput(
        G=wk.net,
        core=wk.core,
        tagged_posts_by_author=dict(wk.tagged_posts),
        conversation_posts_by_author=dict(conv),
        trees=wk.trees,
        acts=wk.acts,
        thread_author=wk.thread_author,
    )
    m = settings.metrics
    t, _ = timed(lambda: snapshot(inp, null_samples=m.null_samples, seed=m.seed))
    parts.append((f"metrics incl. travel, Louvain, {m.null_samples} nulls", t))
    t, _ = timed(
        lambda: intervals(
            wk.acts, wk.posts, wk.thread_author, wk.core, resamples=m.bootstrap, seed=m.seed
        )
    )
    parts.append((f"intervals: {m.bootstrap} resamples + jackknife", t))
    t, _ = timed(
        lambda: sensitivity(wk.acts, wk.thread_author, wk.net, merged_rosters(others, same))
    )
    parts.append(("sensitivity: 4 other rosters", t))
    t, _ = timed(lambda: week_details(wk, inp))
    parts.append(("details (nodes, bridges, conversations)", t))
    return parts


def graph_once(url: str, posts: int, weeks: int) -> None:
    import networkx as nx

    from echochamber.config import MetricsSettings, Settings
    from echochamber.graph.build import build_graph
    from echochamber.models import Window
    from echochamber.pipeline.queries import account_profile, conversation_tree, shortest_path
    from echochamber.pipeline.snapshot import compute
    from echochamber.store import graphdata as gd
    from echochamber.store import load_snapshot

    engine, p = populate_store(url, posts, weeks)
    window = Window(p.start + timedelta(weeks=weeks - 1), p.start + timedelta(weeks=weeks))
    settings = Settings(metrics=MetricsSettings(null_samples=100, bootstrap=200, sensitivity=True))
    with engine.connect() as conn:
        t_rows, rows = timed(lambda: gd.edge_rows(conn, window))
    t_base, _ = timed(lambda: nx.DiGraph((a, b) for a, b, *_ in rows))
    t_build, G = timed(lambda: build_graph(rows))
    print(f"aggregated rows {len(rows):,} fetched in {t_rows:.2f} s")
    print(f"baseline nx.DiGraph from the edge list : {t_base:.2f} s")
    print(
        f"build_graph (per-kind attributes)      : {t_build:.2f} s "
        f"= {t_build / t_base:.1f}x baseline; {G.number_of_nodes():,} nodes, "
        f"{G.number_of_edges():,} edges"
    )
    t_snap, computed = timed(lambda: compute(engine, settings, window))
    m = computed.metrics
    print(
        f"full weekly snapshot (100 nulls, 200 resamples, sensitivity): {t_snap:.2f} s "
        f"(target <= 30 s); {m['participants']:,} participants, {m['engaged']:,} engaged, "
        f"roster {m['roster_source']}; peak RSS {rss_mb():.0f} MB (target <= 1024)"
    )
    for name, t in snapshot_parts(engine, settings, window):
        print(f"  {name:<44}: {t:.2f} s")
    snap = load_snapshot(engine, window, "all", "top-active")
    if snap is None:
        raise SystemExit("the snapshot was not stored")
    nodes = snap.details.nodes.values()
    core_h = snap.roster[0].handle or ""

    far = [n["handle"] for n in nodes if not n["is_core"] and (n["hop"] or 0) >= 2]
    outsider = far[0] if far else core_h
    convs = snap.details.conversations

    def reach() -> Any:
        return load_snapshot(engine, window, "all", "top-active")

    checks: list[tuple[str, Callable[[], Any]]] = [
        ("graph reach / core / bridges", reach),
        ("graph account", lambda: account_profile(engine, core_h, window, "all")),
        (
            "graph path",
            lambda: shortest_path(engine, settings, window, "all", outsider, core_h),
        ),
    ]
    if convs:
        checks.append(
            (
                "graph conversation",
                lambda: conversation_tree(engine, convs[0]["uri"], settings),
            )
        )
    for name, fn in checks:
        t, _ = timed(fn)
        print(f"{name:<28}: {t:.3f} s = {t / t_base:.2f}x baseline (target < 1 s)")
    print(f"peak RSS {rss_mb():.0f} MB (target <= 1024)")
    engine.dispose()


# ----------------------------------------------------------------------------- snapshot (issue 14)

FLOOR_HUBS = 100


def floor_script(db: str, start: str, end: str) -> dict[str, Any]:
    """The floor of a snapshot: read the week's ties from the SQLite file with sqlite3, build
    an igraph graph, run Louvain and BFS distances from the 100 busiest accounts."""
    import igraph as ig

    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT actor_id, target_id, count(*) FROM interactions WHERE at >= ? AND at < ?"
        " AND actor_id != target_id GROUP BY actor_id, target_id",
        (start, end),
    ).fetchall()
    con.close()
    ids: dict[int, int] = {}
    edges = [(ids.setdefault(a, len(ids)), ids.setdefault(b, len(ids))) for a, b, _ in rows]
    g = ig.Graph(n=len(ids), edges=edges, directed=True)
    g.es["weight"] = [float(n) for *_, n in rows]
    u = g.as_undirected(combine_edges="sum")
    random.seed(0)
    parts = u.community_multilevel(weights="weight")
    strength = g.strength(mode="all", weights="weight")
    hubs = sorted(range(g.vcount()), key=lambda i: -strength[i])[:FLOOR_HUBS]
    dist = g.distances(source=hubs, mode="in")
    reached = sum(1 for row in dist for d in row if d != float("inf"))
    return {"nodes": g.vcount(), "edges": g.ecount(), "communities": len(parts), "reached": reached}


def cmd_floor(args: argparse.Namespace) -> None:
    from echochamber.cli.windows import parse_week

    w = parse_week(args.week)
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    out = floor_script(args.db, w.start.strftime(fmt), w.end.strftime(fmt))
    print(json.dumps(out))


def cmd_store(args: argparse.Namespace) -> None:
    _populate(f"sqlite:///{Path(args.out).resolve()}", args.posts, args.weeks)


def measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a whole process, measured by a wrapper process of its own
    so each run's peak is its own."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "t = time.perf_counter() - t\n"
        "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    res = subprocess.run(  # from a neutral directory: ``-m`` puts the cwd first on sys.path
        [sys.executable, "-c", probe, *argv], check=True, capture_output=True, env=env, cwd="/"
    )
    t, mb = res.stdout.split()
    return float(t), float(mb)


def cmd_snapshot(args: argparse.Namespace) -> None:
    """Whole-process ``metrics compute --week W`` (second edition: nulls, 200 bootstrap
    resamples, jackknife, sensitivity) against the floor script, runs interleaved."""
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = f"{tmp}/s.db"
            _populate(f"sqlite:///{db}", args.posts, args.weeks)
        con = sqlite3.connect(db)
        last = con.execute(
            "SELECT max(created_at) FROM posts WHERE tagged AND in_reply_to_uri IS NULL"
            " AND quote_of_uri IS NULL"
        ).fetchone()[0]
        n_status = con.execute("SELECT count(*) FROM posts").fetchone()[0]
        con.close()
        week = args.week or datetime.fromisoformat(last).strftime("%G-W%V")
        floor = [py, str(Path(__file__).resolve()), "floor", "--db", db, "--week", week]
        snap = [py, "-m", "echochamber", "--db", f"sqlite:///{db}", "metrics", "compute"]
        snap += ["--week", week]
        old_env = None
        if args.old:  # the same command on another checkout of the package
            import os

            old_env = dict(os.environ, PYTHONPATH=str(Path(args.old).resolve()))
        old_snap = (
            snap if args.old_db is None else [*snap[:4], f"sqlite:///{args.old_db}", *snap[5:]]
        )
        rows: list[tuple[float, ...]] = []
        for i in range(args.runs):
            tf, mf = measured(floor)
            ts, ms = measured(snap)
            to, mo = measured(old_snap, old_env) if old_env else (math.nan, math.nan)
            rows.append((ts, ms, tf, mf, to, mo))
            print(
                f"run {i + 1}: compute {ts:.2f} s {ms:.0f} MB; floor {tf:.2f} s {mf:.0f} MB"
                + (f"; --old compute {to:.2f} s {mo:.0f} MB" if old_env else ""),
                flush=True,
            )
        ts, ms, tf, mf, to, mo = (statistics.median(r[k] for r in rows) for k in range(6))
        print(f"store {db} ({n_status:,} posts), week {week}, medians of {args.runs}:")
        print(f"  metrics compute : {ts:.2f} s, peak {ms:.0f} MB")
        if old_env:
            print(f"  --old compute   : {to:.2f} s, peak {mo:.0f} MB = {to / tf:.2f}x floor time")
        print(f"  floor script    : {tf:.2f} s, peak {mf:.0f} MB")
        rt = statistics.median(r[0] / r[2] for r in rows)
        rm = statistics.median(r[1] / r[3] for r in rows)
        print(
            f"  ratio           : {ts / tf:.2f}x time (target <= 2.5x), "
            f"{ms / mf:.2f}x memory (target <= 1.5x); medians of the per-run ratios "
            f"{rt:.2f}x, {rm:.2f}x"
        )
        if old_env:
            ro = statistics.median(r[4] / r[2] for r in rows)
            print(f"  --old ratio     : {ro:.2f}x time (median of the per-run ratios)")


# ----------------------------------------------------------------------------- import


def twarc_lines(target_mb: float) -> Iterator[bytes]:
    base = [
        x
        for x in (
            FIXTURES / "twarc_network_test_data" / "blacklivesmatter_search_recent_5pages.jsonl"
        )
        .read_bytes()
        .split(b"\n")
        if x.strip()
    ]
    size = 0
    gen = 0
    while size < target_mb * 1e6:
        for line in base:
            page = json.loads(line)
            for t in page["data"]:
                t["id"] = str(int(t["id"]) + gen)
            out = json.dumps(page).encode()
            size += len(out) + 1
            yield out
        gen += 1


def same_rows_baseline(path: Path, db_path: Path) -> float:
    """A plain script that parses the same pages and executemanys the same rows echochamber
    stores (tweets and the included originals, users, tags, the retweet/quote/reply/mention
    ties, the raw page) in 10,000-row batches."""
    import orjson

    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript("""
        CREATE TABLE posts (uri TEXT UNIQUE, native TEXT, author TEXT, created TEXT, text TEXT,
                            lang TEXT, reply_to TEXT, quote_of TEXT, boost_of TEXT, conv TEXT,
                            replies INTEGER, boosts INTEGER, likes INTEGER, quotes INTEGER);
        CREATE TABLE users (key TEXT UNIQUE, handle TEXT, name TEXT, followers INTEGER,
                            following INTEGER);
        CREATE TABLE tags (uri TEXT, tag TEXT, UNIQUE(uri, tag));
        CREATE TABLE ties (kind TEXT, actor TEXT, target TEXT, subject TEXT,
                           UNIQUE(kind, actor, target, subject));
        CREATE TABLE raw (body BLOB);
    """)
    t0 = time.perf_counter()
    posts: list[Any] = []
    users: list[Any] = []
    tags: list[Any] = []
    ties: list[Any] = []
    raws: list[Any] = []

    def flush() -> None:
        write_rows(
            db,
            {
                "INSERT OR IGNORE INTO posts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)": posts,
                "INSERT OR REPLACE INTO users VALUES (?,?,?,?,?)": users,
                "INSERT OR IGNORE INTO tags VALUES (?,?)": tags,
                "INSERT OR IGNORE INTO ties VALUES (?,?,?,?)": ties,
                "INSERT INTO raw VALUES (?)": raws,
            },
        )

    with path.open("rb") as fh:
        for line in fh:
            page = orjson.loads(line)
            raws.append((line,))
            inc = page.get("includes", {})
            authors = {t["id"]: t["author_id"] for t in inc.get("tweets", [])}
            for u in inc.get("users", []):
                m = u.get("public_metrics", {})
                users.append(
                    (
                        f"twitter:{u['id']}",
                        u["username"],
                        u.get("name"),
                        m.get("followers_count"),
                        m.get("following_count"),
                    )
                )
            for t in [*page["data"], *inc.get("tweets", [])]:
                uri = f"https://twitter.com/i/web/status/{t['id']}"
                me = f"twitter:{t['author_id']}"
                refs = {r["type"]: r["id"] for r in t.get("referenced_tweets", [])}
                m = t.get("public_metrics", {})
                posts.append(
                    (
                        uri,
                        t["id"],
                        me,
                        t["created_at"],
                        t["text"],
                        t.get("lang"),
                        refs.get("replied_to"),
                        refs.get("quoted"),
                        refs.get("retweeted"),
                        t.get("conversation_id"),
                        m.get("reply_count"),
                        m.get("retweet_count"),
                        m.get("like_count"),
                        m.get("quote_count"),
                    )
                )
                ents = t.get("entities", {})
                tags.extend((uri, h["tag"].lower()) for h in ents.get("hashtags", []))
                if "retweeted" in refs and refs["retweeted"] in authors:
                    ties.append(
                        ("boost", me, f"twitter:{authors[refs['retweeted']]}", refs["retweeted"])
                    )
                    continue
                if "quoted" in refs and refs["quoted"] in authors:
                    ties.append(("quote", me, f"twitter:{authors[refs['quoted']]}", uri))
                if t.get("in_reply_to_user_id"):
                    ties.append(("reply", me, f"twitter:{t['in_reply_to_user_id']}", uri))
                for mention in ents.get("mentions", []):
                    if mention.get("id"):
                        ties.append(("mention", me, f"twitter:{mention['id']}", uri))
            if len(posts) + len(ties) >= 10_000:
                flush()
    flush()
    elapsed = time.perf_counter() - t0
    db.close()
    return elapsed


def cmd_import(args: argparse.Namespace) -> None:
    import orjson

    from echochamber.config import Settings
    from echochamber.pipeline.context import JobContext
    from echochamber.pipeline.imports import import_file
    from echochamber.store import init_db, make_engine

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        with path.open("wb") as fh:
            for line in twarc_lines(args.mb):
                fh.write(line + b"\n")
        mb = path.stat().st_size / 1e6
        # baseline: parse the same pages, executemany the same rows in 10,000-row batches
        db = sqlite3.connect(Path(tmp) / "raw.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE posts (uri TEXT UNIQUE, author TEXT, created TEXT, text TEXT)")
        db.execute("CREATE TABLE users (id TEXT UNIQUE, name TEXT, followers INTEGER)")
        t0 = time.perf_counter()
        rows: list[Any] = []
        users: list[Any] = []
        n = 0
        with path.open("rb") as fh:
            for line in fh:
                page = orjson.loads(line)
                for t in page["data"]:
                    rows.append((t["id"], t["author_id"], t["created_at"], t["text"]))
                users.extend(
                    (u["id"], u["username"], u["public_metrics"]["followers_count"])
                    for u in page["includes"]["users"]
                )
                if len(rows) >= 10_000:
                    db.executemany("INSERT OR IGNORE INTO posts VALUES (?,?,?,?)", rows)
                    db.executemany("INSERT OR IGNORE INTO users VALUES (?,?,?)", users)
                    db.commit()
                    n += len(rows)
                    rows, users = [], []
        db.executemany("INSERT OR IGNORE INTO posts VALUES (?,?,?,?)", rows)
        db.executemany("INSERT OR IGNORE INTO users VALUES (?,?,?)", users)
        db.commit()
        n += len(rows)
        base = time.perf_counter() - t0
        same = same_rows_baseline(path, Path(tmp) / "same.db")
        engine = make_engine(f"sqlite:///{tmp}/e.db")
        init_db(engine)
        before = rss_mb()
        ours, res = timed(
            lambda: import_file(Settings(), JobContext(engine=engine), str(path), "twarc2")
        )
        print(f"{mb:.0f} MB twarc2 JSONL, {n:,} tweets")
        print(f"baseline, tweets and users only    : {n / base:9,.0f} tweets/s")
        print(f"baseline, the same rows as ours    : {n / same:9,.0f} tweets/s")
        print(
            f"echochamber import                 : {n / ours:9,.0f} tweets/s  ratio "
            f"{base / ours:.2f}x / {same / ours:.2f}x (target >= 0.5); "
            f"peak RSS {rss_mb():.0f} MB (before {before:.0f} MB), "
            f"parsing worker {child_rss_mb():.0f} MB"
        )
        print(f"imported {res.imported:,} records, {res.posts_new:,} new posts")
        zlib.crc32(b"")  # keep zlib import honest for readers: raw lines are stored compressed
        engine.dispose()


# ----------------------------------------------------------------------------- startup


STARTUP = (
    ("--help", ["--help"], 0.5),
    ("status", ["status"], 1.5),
    ("graph core", ["graph", "core"], 1.5),
    ("graph reach --json", ["graph", "reach", "--json"], 1.5),
)


def _median_run(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cmd_startup(args: argparse.Namespace) -> None:
    """Whole-process start-up of commands on the demo store, as ratios to importing SQLAlchemy.

    Each figure is the median of ``--runs`` runs, interleaved with the baseline's runs so that
    machine noise falls on both alike.
    """
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            subprocess.run(
                [py, "-m", "echochamber", "demo", "-o", tmp, "--weeks", "4"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            store = f"sqlite:///{tmp}/echochamber.db"
        base = [py, "-c", "import sqlalchemy"]
        print(f"{'command':<22}{'median s':>10}{'baseline s':>12}{'ratio':>8}{'target':>8}")
        for name, argv, target in STARTUP:
            cmd = [py, "-m", "echochamber", "--db", store, *argv]
            pairs = [(_median_run(cmd, 1), _median_run(base, 1)) for _ in range(args.runs)]
            t = statistics.median(p[0] for p in pairs)
            b = statistics.median(p[1] for p in pairs)
            verdict = "ok" if t / b <= target else "MISSED"
            print(f"{name:<22}{t:>10.3f}{b:>12.3f}{t / b:>7.2f}x{target:>7.1f}x {verdict}")


def _cmd_map(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_map import cmd_map

    cmd_map(args)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--statuses", type=int, default=30_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--postgres", default=None, help="a server URL: also measure PostgreSQL")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--pages", action="store_true", help="also collector pages, in-process")
    p.set_defaults(fn=cmd_ingest)
    p = sub.add_parser("api")
    p.add_argument("--new", type=int, default=400)
    p.set_defaults(fn=cmd_api)
    p = sub.add_parser("graph")
    p.add_argument("--posts", type=int, default=100_000)
    p.add_argument("--big", action="store_true", help="also a 1,000,000-post store")
    p.set_defaults(fn=cmd_graph)
    p = sub.add_parser("startup")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--store", default=None, help="a store URL (default: a fresh demo store)")
    p.set_defaults(fn=cmd_startup)
    p = sub.add_parser("store", help="populate a simulated store and keep it")
    p.add_argument("--posts", type=int, default=114_000)
    p.add_argument("--weeks", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_store)
    p = sub.add_parser("floor", help="the floor script of a snapshot (issue 14)")
    p.add_argument("--db", required=True, help="a SQLite store file")
    p.add_argument("--week", required=True, help="ISO week, e.g. 2026-W02")
    p.set_defaults(fn=cmd_floor)
    p = sub.add_parser("snapshot", help="metrics compute against the floor, whole processes")
    p.add_argument("--posts", type=int, default=114_000)
    p.add_argument("--weeks", type=int, default=1)
    p.add_argument("--db", default=None, help="an existing SQLite store (default: populate one)")
    p.add_argument("--week", default=None, help="ISO week (default: the newest with data)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--old", default=None, help="also time a checkout of another version")
    p.add_argument("--old-db", default=None, help="a copy of the store at --old's schema")
    p.set_defaults(fn=cmd_snapshot)
    p = sub.add_parser("import")
    p.add_argument("--mb", type=float, default=100)
    p.set_defaults(fn=cmd_import)
    p = sub.add_parser("map", help="frame time of the interactive map in headless Chromium")
    p.add_argument("--nodes", type=int, default=20_000)
    p.add_argument("--baseline", type=int, default=1_000, help="accounts of the baseline map")
    p.add_argument("--seconds", type=float, default=5.0)
    p.set_defaults(fn=_cmd_map)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
