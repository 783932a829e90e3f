"""Archive files as people have them: cut short, saved as one JSON array, with a BOM.

Each file is built from the real mastodon.social streaming capture in the fixtures and
imported through the command line, as a user would.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fixture_path

CLI = [sys.executable, "-m", "echochamber"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )


@pytest.fixture
def lines() -> list[bytes]:
    path = fixture_path("rtoot_vcr_fixtures", "mastodonsocial_stream.jsonl")
    return [x for x in path.read_bytes().split(b"\n") if x.strip()]


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert run("--db", url, "init").returncode == 0
    return url


def imported(db: str, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    r = run("--db", db, "import", "--json", *args)
    return r, json.loads(r.stdout)["files"][0]


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_truncated_gzip_keeps_what_came_before_and_says_where_it_stopped(
    tmp_path: Path, lines: list[bytes], db: str, workers: str
) -> None:
    whole = b"\n".join(lines * 400) + b"\n"  # 19,200 lines, several read blocks
    packed = gzip.compress(whole)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    r, summary = imported(db, "--workers", workers, str(cut))
    assert r.returncode == 1  # not 130 and "Aborted."
    stopped = str(summary["stopped"])
    # the break comes after thousands of whole lines, all of them stored; the rest is named
    n = int(stopped.split(":")[1])
    assert 1000 < n < len(lines) * 400
    assert summary["records"] == n - 1 and summary["imported"] == n - 1
    assert f"{cut}:{n}: the file ends early" in r.stderr
    assert f"the {n - 1} lines before are imported" in r.stderr
    assert "Traceback" not in r.stderr and "Aborted" not in r.stderr
    status = json.loads(run("--db", db, "status", "--json").stdout)
    assert status["posts"] == len(lines)  # the capture's statuses, each once


def test_a_json_array_of_statuses_imports(tmp_path: Path, lines: list[bytes], db: str) -> None:
    saved = tmp_path / "statuses.json"
    items = [json.loads(x) for x in lines]
    saved.write_text(json.dumps(items, indent=2), encoding="utf-8")
    r, summary = imported(db, str(saved))
    assert r.returncode == 0, r.stderr
    assert summary["format"] == "mastodon" and summary["imported"] == len(lines)
    assert summary["posts_new"] == len({i["uri"] for i in items})


def test_a_byte_order_mark_is_accepted(tmp_path: Path, lines: list[bytes], db: str) -> None:
    marked = tmp_path / "bom.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    r, summary = imported(db, str(marked))
    assert r.returncode == 0, r.stderr
    assert summary["imported"] == len(lines) and summary["skipped"] == 0


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("workers", [0, 1])
def test_import_progress_is_a_share_of_the_file(
    tmp_path: Path, lines: list[bytes], db: str, packed: bool, workers: int
) -> None:
    """The display is told the file's size on disk and advances, chunk by chunk, to exactly
    that size (compressed bytes for a gzip file), so it can show a percentage."""
    from echochamber.config import Settings
    from echochamber.pipeline.context import JobContext
    from echochamber.pipeline.imports import import_file
    from echochamber.store.engine import make_engine

    whole = b"\n".join(lines * 200) + b"\n"  # 9,600 lines: several chunks of 2,000 records
    path = tmp_path / ("big.jsonl.gz" if packed else "big.jsonl")
    path.write_bytes(gzip.compress(whole) if packed else whole)
    seen: list[tuple[int, int | None]] = []

    def progress(what: str, n: int, total: int | None = None) -> None:
        if what.endswith(": read"):
            seen.append((n, total))

    engine = make_engine(db)
    result = import_file(
        Settings(), JobContext(engine=engine, progress=progress), str(path), workers=workers
    )
    engine.dispose()
    assert result.imported == len(lines) * 200
    size = path.stat().st_size
    assert len(seen) >= 4 and {t for _, t in seen} == {size}
    assert all(n >= 0 for n, _ in seen) and sum(n for n, _ in seen) == size
    # The first chunk is not reported as the whole file.
    assert seen[0][0] < size // 2
