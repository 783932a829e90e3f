"""Issue 12, a command line that never surprises: reading commands store nothing, a week
without data is NotFound naming the weeks with data, and the graph and report commands
default to the same week (the newest settled one) and say so."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, text

from echochamber.cli.main import cli
from echochamber.config.weeks import zone_week
from echochamber.errors import NotFound
from tests.storebuild import Thread, graph_as_posts, handle

FUTURE = datetime(2099, 11, 16, tzinfo=UTC)  # 2099-W47: settling whenever the suite runs


def config(tmp_path: Path) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[core]\npolicy = "list"\naccounts = ["{handle(0)}"]\n'
        "[metrics]\nnull_samples = 0\nbootstrap = 0\n"
    )
    return cfg


def invoke(db_url: str, cfg: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(cfg), "--db", db_url, *args])


def run(db_url: str, cfg: Path, *args: str) -> Any:
    result = invoke(db_url, cfg, *args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def snapshots(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM snapshots")).scalar_one())


def test_reading_commands_store_no_snapshot(db_url: str, engine: Engine, tmp_path: Path) -> None:
    graph_as_posts(engine, [(1, 0), (2, 0), (3, 1)])  # 2026-W47
    cfg = config(tmp_path)
    week = ("--week", "2026-W47")
    reading = [
        ["graph", "reach", *week, "--json"],
        ["graph", "core", *week],
        ["graph", "bridges", *week],
        ["graph", "account", handle(1), *week],
        ["report", "preview", *week, "-o", str(tmp_path / "r.html")],
        ["report", "send", "--dry-run", *week, "--to", "a@b.c"],
        ["graph", "core"],  # the default week too
    ]
    for args in reading:
        before = snapshots(engine)
        assert run(db_url, cfg, *args).exit_code == 0, args
        assert snapshots(engine) == before == 0, args
    reach = json.loads(run(db_url, cfg, "graph", "reach", *week, "--json").stdout)
    assert reach["participants"] == 4  # computed in memory all the same
    run(db_url, cfg, "metrics", "compute", *week)
    assert snapshots(engine) == 1  # the writing command stores
    hist = json.loads(run(db_url, cfg, "metrics", "history", "--json").stdout)
    assert [w["week"] for w in hist["weeks"]] == ["2026-W47"]


def test_a_week_without_data_is_not_found(db_url: str, engine: Engine, tmp_path: Path) -> None:
    graph_as_posts(engine, [(1, 0), (2, 0)])  # 2026-W47
    later = Thread(start=datetime(2026, 11, 30, tzinfo=UTC))  # 2026-W49
    later.post(0, 10)
    later.store(engine)
    cfg = config(tmp_path)
    said = "no data in 2020-W01; data spans 2026-W47..2026-W49"
    week = ("--week", "2020-W01")
    commands = [
        ["graph", "reach", *week],
        ["graph", "core", *week, "--json"],
        ["graph", "bridges", *week],
        ["graph", "account", handle(1), *week],
        ["graph", "path", handle(0), handle(1), *week],
        ["graph", "export", *week, "--format", "csv", "-o", str(tmp_path / "g.csv")],
        ["report", "preview", *week, "-o", str(tmp_path / "r.html")],
        ["report", "send", "--dry-run", *week, "--to", "a@b.c"],
        ["report", "send", "--dry-run", *week, "--to", "a@b.c", "--json"],
    ]
    for args in commands:
        result = invoke(db_url, cfg, *args)
        assert isinstance(result.exception, NotFound), args
        assert str(result.exception) == said and result.exception.exit_code == 3
    assert snapshots(engine) == 0
    # the real process: one line on stderr, exit 3 with and without --json
    cli_ = [sys.executable, "-m", "echochamber", "--config", str(cfg), "--db", db_url]
    for extra in ([], ["--json"]):
        p = subprocess.run(
            [*cli_, "graph", "reach", *week, *extra], capture_output=True, text=True, timeout=120
        )
        assert p.returncode == 3 and p.stderr == f"echochamber: error: {said}\n"
        assert p.stdout == ""


def test_graph_and_report_default_to_the_newest_settled_week(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    # data two weeks ago (settled: 7 days of settling have passed) and this week (settling)
    this = zone_week(datetime.now(UTC), "UTC")
    settled, newest = this.previous(2), this
    graph_as_posts(engine, [(1, 0), (2, 0)], when=settled.start + timedelta(hours=1))
    now = Thread(start=newest.start)
    root = now.post(0, 0.5)
    now.post(5, 0.6, to=root)
    now.store(engine)
    cfg = config(tmp_path)
    said = f"{settled.label} (the newest settled week; {newest.label} is still provisional)\n"
    for args in (["graph", "core"], ["graph", "reach", "--json"], ["graph", "bridges"]):
        result = run(db_url, cfg, *args)
        assert result.stderr == said, args
    reach = json.loads(run(db_url, cfg, "graph", "reach", "--json").stdout)
    assert reach["window"] == settled.label and reach["final"]
    preview = run(db_url, cfg, "report", "preview", "-o", str(tmp_path / "r.html"))
    assert preview.stderr.startswith(said) and f"({settled.label})" in preview.stderr
    # a named week is not announced; a provisional one is labelled
    core = run(db_url, cfg, "graph", "core", "--week", newest.label)
    assert core.stderr == "" and core.stdout.startswith(f"{newest.label} (provisional):")


def test_only_provisional_weeks_default_to_the_newest(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    future = Thread(start=FUTURE - timedelta(days=7))
    future.post(0, 10)
    future.store(engine)
    result = run(db_url, config(tmp_path), "graph", "core")
    assert result.stderr == "2099-W46 (the newest week with data; still provisional)\n"
    assert result.stdout.startswith("2099-W46 (provisional):")


def test_graph_core_counts_active_as_core_active(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    # 0 opens; 1 replies and mentions 9; 9, on the roster, only was mentioned: not active
    t = Thread()
    root = t.post(0, 10)
    t.post(1, 11, to=root, lead=(0,), typed=(9,))
    t.store(engine)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[core]\npolicy = "list"\naccounts = ["{handle(0)}", "{handle(9)}"]\n'
        "[metrics]\nnull_samples = 0\nbootstrap = 0\n"
    )
    week = ("--week", "2026-W47")
    reach = json.loads(run(db_url, cfg, "graph", "reach", *week, "--json").stdout)
    assert reach["core_size"] == 2 and reach["core_active"] == 1
    core = json.loads(run(db_url, cfg, "graph", "core", *week, "--json").stdout)["core"]
    assert {r["handle"]: r["active"] for r in core} == {handle(0): True, handle(9): False}
    text_ = run(db_url, cfg, "graph", "core", *week).stdout
    assert text_.startswith("2026-W47: 2 core accounts, 1 active")


def test_history_columns_and_changes_read_in_one_format(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    w46 = datetime(2026, 11, 9, tzinfo=UTC)
    graph_as_posts(engine, [(1, 0), (2, 0)], when=w46 + timedelta(days=2))
    graph_as_posts(engine, [(1, 0), (3, 0), (0, 4), (0, 5)], start_id=1000)  # 2026-W47
    cfg = config(tmp_path)
    for week in ("2026-W46", "2026-W47"):
        run(db_url, cfg, "metrics", "compute", "--week", week)
    with engine.begin() as conn:  # snapshots without intervals (a first-edition store's)
        for row in conn.execute(text("SELECT id, metrics FROM snapshots")).all():
            m = json.loads(row[1])
            m.pop("ci", None)
            m.pop("ci_se", None)
            conn.execute(
                text("UPDATE snapshots SET metrics = :m WHERE id = :i"),
                {"m": json.dumps(m), "i": row[0]},
            )
    out = run(db_url, cfg, "metrics", "history").stdout.splitlines()
    titles = ["week", "outsiders/engaged", "reached", "steps", "core", "out", "E-I", "change"]
    assert out[0].split() == titles
    w47 = next(line for line in out if line.startswith("2026-W47"))
    assert " pts" in w47 and "E-I " in w47  # shares change in points, E-I as a difference
