"""The daemon as a user runs it: real processes, real HTTP, signals, several daemons."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from echochamber.store import status
from echochamber.store.engine import make_engine
from echochamber.store.jobs import job_status
from echochamber.store.schema import CollectionRunRow

mock = pytest.importorskip("mastodon_mock.testing", reason="mastodon-mock is not installed")


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    srv = mock.MockServer().start()
    a, b = srv.client("alice"), srv.client("bob")
    first = a.status_post("daemon #hcsm test")
    b.status_post("@alice answer", in_reply_to_id=first["id"])
    for i in range(30):
        (a if i % 2 else b).status_post(f"note {i} #hcsm")
    yield srv
    srv.stop()


def config(tmp: Path, server: str, extra: str = "") -> Path:
    cfg = tmp / "echochamber.toml"
    cfg.write_text(
        f'[[sources.mastodon]]\ninstance = "{server}"\ntags = ["hcsm"]\n'
        "[collect]\nbackoff_base = 0.05\nmax_retries = 1\n"
        '[schedule]\ncollect_every = "1s"\nenrich_every = "1s"\n'
        f'timezone = "UTC"\n{extra}',
        encoding="utf-8",
    )
    return cfg


def start(cfg: Path, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "echochamber",
                "--config",
                str(cfg),
                "--db",
                db_url,
                "-v",
                "run",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(os.environ),
        )


def wait_for(fn: Any, timeout: float = 60) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def init(db_url: str) -> Engine:
    subprocess.run(
        [sys.executable, "-m", "echochamber", "--db", db_url, "init"],
        check=True,
        capture_output=True,
    )
    return make_engine(db_url)


def test_sigterm_finishes_and_exits_zero(db_url: str, tmp_path: Path, server: Any) -> None:
    engine = init(db_url)
    proc = start(config(tmp_path, server.base_url), db_url, tmp_path / "log")
    try:
        wait_for(lambda: status(engine)["tagged_posts"] == 31)
        wait_for(lambda: status(engine)["interactions"]["reply"] == 1)  # the enrich job ran
        wait_for(
            lambda: any(j["job"] == "collect" and j["status"] == "ok" for j in job_status(engine))
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "log").read_text()
    assert "finishing the page in hand" in log and "daemon stopped" in log
    jobs = {j["job"]: j for j in job_status(engine)}
    assert jobs["collect"]["status"] == "ok" and jobs["collect"]["next_run"]
    assert status(engine)["interactions"]["reply"] == 1
    engine.dispose()


def test_a_failing_job_does_not_stop_the_scheduler(db_url: str, tmp_path: Path) -> None:
    engine = init(db_url)
    # nothing listens on this port: every collection fails
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    proc = start(config(tmp_path, dead), db_url, tmp_path / "log")
    try:

        def runs() -> int:
            with engine.connect() as conn:
                return len(
                    conn.execute(
                        select(CollectionRunRow.id).where(CollectionRunRow.status == "failed")
                    ).all()
                )

        wait_for(lambda: runs() >= 3, timeout=60)
        assert proc.poll() is None  # still running
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "kept failing" in (tmp_path / "log").read_text() or runs() >= 3
    engine.dispose()


def test_two_daemons_collect_each_stream_single_flight(
    pg_server_url: str, tmp_path: Path, server: Any
) -> None:
    from tests.conftest import make_engine as _make  # noqa: F401 - same factory

    engine = init(pg_server_url)
    from sqlalchemy import text

    with engine.begin() as conn:  # the session database is shared: start from empty tables
        conn.execute(
            text(
                "TRUNCATE collection_runs, cursors, edge_weeks, interactions, "
                "post_sources, post_tags, watch, posts, raw_payloads, accounts, "
                "job_runs RESTART IDENTITY CASCADE"
            )
        )
        conn.execute(text("DELETE FROM apscheduler_jobs"))  # created by init, shared
    cfg = config(tmp_path, server.base_url)
    procs = [start(cfg, pg_server_url, tmp_path / f"log{i}") for i in range(2)]
    try:
        # 31 tagged posts from the timeline, and the one untagged post their conversations
        # bring (a later job of either daemon): wait for both before stopping them
        wait_for(lambda: (status(engine)["tagged_posts"], status(engine)["posts"]) == (31, 32))
        with engine.connect() as conn:
            wait_for(lambda: len(conn.execute(select(CollectionRunRow.id)).all()) >= 6)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=30) for p in procs]
        logs = [(tmp_path / f"log{i}").read_text()[-2000:] for i in range(2)]
        assert codes == [0, 0], logs
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    CollectionRunRow.tag,
                    CollectionRunRow.started_at,
                    CollectionRunRow.finished_at,
                ).order_by(CollectionRunRow.started_at)
            ).all()
        by_stream: dict[str, list[Any]] = {}
        for tag, start_, end in rows:
            by_stream.setdefault(tag, []).append((start_, end))
        for spans in by_stream.values():
            for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
                assert e1 is not None and e1 <= s2, "two runs of one stream overlapped"
        assert status(engine)["tagged_posts"] == 31 and status(engine)["posts"] == 32
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        engine.dispose()
