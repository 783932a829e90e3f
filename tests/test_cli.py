"""The command line as a user runs it: one-line errors, --json purity, masking, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from echochamber.store.engine import make_engine

CLI = [sys.executable, "-m", "echochamber"]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_errors_are_one_line_and_nonzero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[core]\npolicy = "nope"\n')
    r = run("--config", str(bad), "status")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "core.policy" in r.stderr and str(bad) in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    r = run("--db", f"sqlite:///{tmp_path / 'none.db'}", "status")
    assert r.returncode == 1 and "echochamber init" in r.stderr
    r = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "import", str(tmp_path / "missing.jsonl"))
    assert r.returncode != 0 and "missing.jsonl" in r.stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[store]\nurl = "postgresql+psycopg://u:dbpass@h/x"\n[[sources.mastodon]]\n'
        'server = "https://m.example"\ntags = ["hcsm"]\ntoken_env = "MY_TOK"\n'
    )
    r = run(
        "--config",
        str(cfg),
        "config",
        "show",
        "--json",
        env={"MY_TOK": "tok-SECRET-1", "ECHOCHAMBER_SMTP_PASSWORD": "mail-SECRET-2"},
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert "SECRET" not in r.stdout and "dbpass" not in r.stdout
    assert data["sources"]["mastodon"][0]["token"] == "***"
    r = run("--config", str(cfg), "config", "show", env={"ECHOCHAMBER_CORE_SIZE": "42"})
    assert "size = 42" in r.stdout


def test_status_json_is_one_document(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    assert run("--db", db, "init").returncode == 0
    assert "up to date" in run("--db", db, "init").stdout
    r = run("--db", db, "status", "--json")
    data = json.loads(r.stdout)
    assert {"posts", "tagged_posts", "accounts", "interactions", "streams"} <= set(data)
    assert set(data["interactions"]) == {"reply", "mention", "boost", "quote", "favourite"}


def test_simulate_then_measure(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    run("--db", db, "init")
    r = run(
        "--db",
        db,
        "simulate",
        "--core",
        "20",
        "--periphery",
        "200",
        "--weeks",
        "3",
        "--posts-per-week",
        "60",
        "--mixing",
        "0",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    sim = json.loads(r.stdout)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[core]\npolicy = "list"\naccounts = ['
        + ", ".join(json.dumps(h) for h in sim["core"])
        + "]\n"
    )
    r = run("--config", str(cfg), "--db", db, "metrics", "compute", "--missing", "--json")
    assert r.returncode == 0, r.stderr
    weeks = json.loads(r.stdout)["snapshots"]
    assert len(weeks) == 3
    for w in weeks:  # mixing 0: the core only hears from the core
        m = w["metrics"]
        assert m["ei_index"] == -1.0 and m["hop_profile"]["1"] == 0 and m["conductance"] == 0
    hist = run("--config", str(cfg), "--db", db, "metrics", "history", "--csv")
    assert hist.stdout.splitlines()[0].startswith("week,")
    assert len(hist.stdout.splitlines()) == 4


def test_demo_runs_offline(tmp_path: Path) -> None:
    pytest.importorskip("mastodon_mock", reason="the demo extra is not installed")
    r = run("demo", "-o", str(tmp_path / "demo"), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["collected"][0]["posts_new"] > 50 and out["collected"][0]["status"] == "ok"
    html = Path(out["report_html"]).read_text()
    assert out["subject"].startswith("#hcsm week ") and "data:image/png;base64," in html
    engine = make_engine(out["store"])
    from echochamber.store.schema import AccountRow, SnapshotRow

    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SnapshotRow)) == 12
        handles = set(conn.scalars(select(AccountRow.handle)))
    engine.dispose()
    # the demo's accounts live on its configured domain, whatever port its server used
    assert handles and all(h.endswith("@hcsm.demo") for h in handles if h), sorted(handles)[:5]
    share = out["metrics"]["outside_share"]
    assert f"{100 * share:.1f}%" in html
    # and the site of every week it measured, one page per week
    site = Path(out["site"])
    assert site.name == "index.html" and len(list(site.parent.glob("weeks/*/index.html"))) == 12
    # each week's page has its map, and the demo names the week's interactive map
    assert len(list(site.parent.glob("weeks/*/map.html"))) == 12
    assert html.count("data:image/png;base64,") == 2  # the map below the first line, the trend
    view = Path(out["map_html"]).read_text()
    assert "echochamberMap" in view and "<script src=" not in view
    # with the config it names, the commands read the demo's snapshots as current
    hist = run("--config", out["config"], "metrics", "history", "--json", cwd=tmp_path)
    assert hist.returncode == 0, hist.stderr
    rows = json.loads(hist.stdout)
    rows = rows["weeks"] if isinstance(rows, dict) else rows
    assert len(rows) == 12 and not [r for r in rows if r.get("stale")], rows[:1]


def test_a_read_only_store_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    """A write refused by the database is an error of the tree: no SQL, no parameters."""
    db = tmp_path / "e.db"
    url = f"sqlite:///{db}"
    assert run("--db", url, "init").returncode == 0
    small = ["--weeks", "2", "--periphery", "50", "--posts-per-week", "20", "--core", "10"]
    assert run("--db", url, "simulate", *small).returncode == 0
    before = db.read_bytes()
    ro = f"sqlite:///file:{db}?mode=ro&uri=true"
    assert run("--db", ro, "status").returncode == 0  # reading works
    r = run("--db", ro, "metrics", "compute", "--missing")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == (
        "echochamber: error: the store is read-only: attempt to write a readonly database"
    )
    assert "INSERT" not in r.stderr and "Traceback" not in r.stderr
    assert db.read_bytes() == before


def test_empty_history_and_missing_folders_are_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert run("--db", url, "init").returncode == 0
    r = run("--db", url, "metrics", "history")
    assert r.returncode == 0 and "No snapshots yet" in r.stdout and r.stderr == ""
    small = ["--weeks", "2", "--periphery", "50", "--posts-per-week", "20", "--core", "10"]
    assert run("--db", url, "simulate", *small).returncode == 0
    missing = tmp_path / "no" / "such"
    for args in (
        ["report", "preview", "-o", str(missing / "week.html")],
        ["graph", "export", "--format", "csv", "-o", str(missing / "g.csv")],
    ):
        r = run("--db", url, *args)
        assert r.returncode == 1, args
        assert r.stderr.count("\n") == 1 and f"the folder {missing} does not exist" in r.stderr
        assert "Traceback" not in r.stderr
    assert not missing.exists()
