"""The whole measurement path on both dialects: posts in the store -> snapshot -> queries."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from echochamber.cli.main import cli
from echochamber.config import CoreSettings, MetricsSettings, Settings
from echochamber.models import Window
from echochamber.pipeline.snapshot import compute
from echochamber.store import history, load_snapshot
from tests.storebuild import MONDAY, graph_as_posts, handle

WEEK = Window(MONDAY, MONDAY + timedelta(days=7))


def listed(core: list[Any]) -> Settings:
    return Settings(
        core=CoreSettings(policy="list", accounts=tuple(handle(c) for c in core)),
        metrics=MetricsSettings(null_samples=50),
    )


def test_barbell_through_the_pipeline(engine: Engine) -> None:
    graph_as_posts(engine, nx.barbell_graph(5, 0).edges())
    m = compute(engine, listed(list(range(5))), WEEK).metrics
    assert m["ei_index"] == pytest.approx(-9 / 11)
    assert m["conductance"] == pytest.approx(1 / 21)
    assert m["posts"] == 10 and m["participants"] == 10 and m["core_size"] == 5
    assert m["outside_share"] == pytest.approx(0.5)
    assert m["ei_index_null_mean"] > m["ei_index"] and m["ei_index_z"] < 0
    json.dumps(m, allow_nan=False)


def test_karate_through_the_pipeline(engine: Engine) -> None:
    G = nx.karate_club_graph()
    hi = sorted(n for n, c in G.nodes(data="club") if c == "Mr. Hi")
    graph_as_posts(engine, G.edges())
    m = compute(engine, listed(hi), WEEK).metrics
    assert m["ei_index"] == pytest.approx(-0.521739, abs=1e-6)
    assert m["conductance"] == pytest.approx(0.146667, abs=1e-6)
    assert m["core_assortativity"] == pytest.approx(0.717531, abs=1e-6)
    assert m["conversation_posts"] == 34 + 78


def test_top_active_roster_comes_from_the_weeks_before(engine: Engine) -> None:
    # earlier week: accounts 0-2 are busy; measured week: 5-9 are busy, 0 replies once
    graph_as_posts(engine, [(0, 1), (1, 2), (2, 0), (0, 2)], when=MONDAY - timedelta(days=5))
    graph_as_posts(engine, [(5, 6), (6, 7), (7, 8), (8, 9), (9, 5), (5, 0)], start_id=1000)
    s = Settings(
        core=CoreSettings(policy="top-active", size=3, window_weeks=2),
        metrics=MetricsSettings(null_samples=10),
    )
    compute(engine, s, WEEK)
    snap = load_snapshot(engine, WEEK, "all", "top-active")
    assert snap is not None
    assert sorted(r.handle for r in snap.roster) == [handle(0), handle(1), handle(2)]
    m = snap.metrics
    assert m["core_active"] == 1 and m["hop_profile"]["1"] == 1  # 5 acted on core member 0


def test_recomputing_replaces_the_snapshot(engine: Engine) -> None:
    graph_as_posts(engine, [(0, 1), (1, 0)])
    first = compute(engine, listed([0]), WEEK).metrics
    graph_as_posts(engine, [(2, 0)], start_id=500)
    second = compute(engine, listed([0]), WEEK).metrics
    assert second["participants"] == first["participants"] + 1
    assert len(history(engine, "all", "list", 10)) == 1


def run(db_url: str, cfg: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(cfg), "--db", db_url, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_graph_queries_from_the_command_line(db_url: str, engine: Engine, tmp_path: Path) -> None:
    G = nx.karate_club_graph()
    ties = [(v, u) for u, v in G.edges()]  # the higher-numbered account replies
    graph_as_posts(engine, ties)
    hi = sorted(n for n, c in G.nodes(data="club") if c == "Mr. Hi")
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[core]\npolicy = "list"\naccounts = ['
        + ", ".join(f'"{handle(c)}"' for c in hi)
        + "]\n[metrics]\nnull_samples = 20\n"
    )
    reach = json.loads(run(db_url, cfg, "graph", "reach", "--week", "2026-W47", "--json").stdout)
    assert reach["ei_index"] == pytest.approx(-0.521739, abs=1e-6)
    assert set(reach["hop_profile"]) == {"1", "2", "3+", "unreached"}
    assert reach["window"] == "2026-W47"
    core = json.loads(run(db_url, cfg, "graph", "core", "--week", "2026-W47", "--json").stdout)
    assert len(core["core"]) == len(hi)
    acct = json.loads(
        run(db_url, cfg, "graph", "account", handle(0), "--week", "2026-W47", "--json").stdout
    )
    assert acct["is_core"] is True and acct["hop"] == 0
    assert acct["ties"]["out"]["reply"] + acct["ties"]["in"]["reply"] == G.degree(0)
    # hops follow information flow: u -> v (u replied to v) puts u one hop beyond v
    flow = nx.DiGraph(ties).reverse()
    dist = nx.multi_source_dijkstra_path_length(flow, set(hi))
    far = max((n for n in dist if n not in hi), key=lambda n: (dist[n], n))
    for n in (far, 33):
        got = json.loads(
            run(db_url, cfg, "graph", "account", handle(n), "--week", "2026-W47", "--json").stdout
        )
        assert got["is_core"] is False and got["hop"] == dist.get(n)
    path = json.loads(
        run(
            db_url, cfg, "graph", "path", handle(16), handle(26), "--week", "2026-W47", "--json"
        ).stdout
    )
    assert path["found"] and len(path["hops"]) == nx.shortest_path_length(G, 16, 26)
    br = json.loads(
        run(db_url, cfg, "graph", "bridges", "--week", "2026-W47", "--json", "--top", "5").stdout
    )
    assert 0 < len(br["bridges"]) <= 5
    out_csv = tmp_path / "g.csv"
    run(db_url, cfg, "graph", "export", "--week", "2026-W47", "--format", "csv", "-o", str(out_csv))
    with out_csv.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "source",
        "target",
        "reply",
        "mention",
        "boost",
        "quote",
        "favourite",
        "weight",
    ]
    assert len(rows) - 1 == G.number_of_edges()
    with (tmp_path / "g.nodes.csv").open() as fh:
        nodes = list(csv.DictReader(fh))
    assert len(nodes) == 34 and sum(n["is_core"] == "True" for n in nodes) == len(hi)
    # the export's core is the snapshot's roster, whatever the configuration says today
    run(db_url, cfg, "metrics", "compute", "--week", "2026-W47")
    other = tmp_path / "other.toml"
    other.write_text(f'[core]\npolicy = "list"\naccounts = ["{handle(33)}"]\n')
    gexf = tmp_path / "g.gexf"
    run(db_url, other, "graph", "export", "--week", "2026-W47", "--format", "gexf", "-o", str(gexf))
    H = nx.read_gexf(gexf)
    assert H.number_of_nodes() == 34
    assert sum(1 for _, d in H.nodes(data=True) if d["is_core"]) == len(hi)
    hist = json.loads(run(db_url, cfg, "metrics", "history", "--json").stdout)
    assert [w["week"] for w in hist["weeks"]] == ["2026-W47"]


def test_conversation_query(db_url: str, engine: Engine, tmp_path: Path) -> None:
    built = graph_as_posts(engine, [(1, 0), (2, 0), (3, 0)])
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[core]\npolicy = "list"\naccounts = ["{handle(0)}"]\n')
    run(db_url, cfg, "metrics", "compute", "--week", "2026-W47")
    root = built["roots"][0]["uri"]
    conv = json.loads(run(db_url, cfg, "graph", "conversation", root, "--json").stdout)
    assert conv["size"] == 4 and conv["depth"] == 1
    assert conv["structural_virality"] == pytest.approx(2 * 3 / 4)
    assert conv["outside_participants"] == 3 and conv["core_participants"] == 1


def test_identities_merge_one_person_across_platforms(engine: Engine, tmp_path: Path) -> None:
    # u0 and u9 are the same person on two accounts: 1 replies to 0, 2 replies to 9
    graph_as_posts(engine, [(1, 0), (2, 9), (3, 1)])
    base = Settings(
        core=CoreSettings(policy="list", accounts=(handle(0),)),
        metrics=MetricsSettings(null_samples=5),
    )
    apart = compute(engine, base, WEEK).metrics
    linked = Settings(core=base.core, metrics=base.metrics, identities=((handle(0), handle(9)),))
    together = compute(engine, linked, WEEK).metrics
    assert apart["hop_profile"]["1"] == 1 and together["hop_profile"]["1"] == 2
    assert together["participants"] == apart["participants"] - 1


def test_graph_path_says_who_acted_on_whom(db_url: str, engine: Engine, tmp_path: Path) -> None:
    # 1 replied to 0 and 2 replied to 1; 3 and 4 talk only to each other
    graph_as_posts(engine, [(1, 0), (2, 1), (4, 3)])
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[core]\npolicy = "list"\naccounts = ["{handle(0)}"]\n')
    week = ("--week", "2026-W47")
    text = run(db_url, cfg, "graph", "path", handle(0), handle(2), *week).output
    assert f"1. {handle(1)} acted on {handle(0)}: reply 1" in text
    assert f"2. {handle(2)} acted on {handle(1)}: reply 1" in text
    got = json.loads(
        run(db_url, cfg, "graph", "path", handle(0), handle(2), *week, "--json").output
    )
    assert got["found"] and [h["direction"] for h in got["hops"]] == ["was acted on by"] * 2
    same = run(db_url, cfg, "graph", "path", handle(1), handle(1), *week, "--json")
    assert same.exit_code == 0 and json.loads(same.output)["same"] is True
    # no path: exit 3 with and without --json (the real process), and the JSON still says so
    import subprocess
    import sys

    cli_ = [sys.executable, "-m", "echochamber", "--config", str(cfg), "--db", db_url]
    args = ["graph", "path", handle(0), handle(4), *week]
    plain = subprocess.run([*cli_, *args], capture_output=True, text=True, timeout=120)
    js = subprocess.run([*cli_, *args, "--json"], capture_output=True, text=True, timeout=120)
    assert plain.returncode == js.returncode == 3
    assert "no interaction path" in plain.stderr and json.loads(js.stdout)["found"] is False
