"""Erasure and retention over real HTTP against mastodon-mock, on SQLite and PostgreSQL:
``forget`` (dry run, anonymise, purge, no return on the next collection), posts deleted at the
source, ``[retention]`` (metrics unchanged), ``status`` and the pseudonymised export.  Each
scans every text and binary column of every table for what identifies ben.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from echochamber.models import Window
from echochamber.pipeline.consent import forget, prune
from echochamber.pipeline.context import JobContext
from echochamber.store.schema import AccountRow, PostRow, RawPayloadRow

pytest.importorskip("mastodon_mock.testing", reason="mastodon-mock is not installed")
from tests.consentworld import (
    SECRET,
    SECRET_REPLY,
    World,
    ben_node,
    cli,
    consent_world,
    dump,
    leaks,
    run,
    settings_for,
)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with consent_world(monkeypatch) as w:
        yield w


def test_forget_dry_run_anonymise_and_no_return(engine: Engine, db_url: str, world: World) -> None:
    run(world, engine)
    before = dump(engine)
    handle = f"ben@{world.host}"
    dry = cli(db_url, "forget", handle, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert dump(engine) == before
    counts = json.loads(dry.stdout)["changes"]
    assert counts["accounts"] == 1 and counts["posts"] == 2 and counts["raw_payloads"] >= 1
    done = cli(db_url, "forget", f"@BEN@{world.host}")  # as a person may type it
    assert done.returncode == 0, done.stderr
    assert "1 of 1 accounts found" in done.stdout and handle not in done.stdout
    assert leaks(engine, world.ben_needles) == []
    key, ties = ben_node(engine)
    assert ties >= 4
    # the registry holds salted hashes, never the handle; a new post does not bring him back
    world.client("ben").status_post("#hcsm another plugh-private-reply")
    run(world, engine)
    assert leaks(engine, world.ben_needles) == []
    again, more = ben_node(engine)
    assert again == key and more >= ties


def test_forget_purge_removes_posts_and_ties_and_marks_snapshots(
    engine: Engine, world: World
) -> None:
    from echochamber.pipeline.snapshot import compute
    from echochamber.store import load_snapshot

    settings = settings_for(world)
    run(world, engine)
    window = Window.week_of(datetime.now(UTC))
    compute(engine, settings, window)
    assert load_snapshot(engine, window, "all", settings.core.policy) is not None
    ctx = JobContext(engine=engine)
    result = forget(ctx, [f"ben@{world.host}"], purge=True)
    assert result.found == 1 and result.changes["ties"] >= 4
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(AccountRow.key.like("hashed:%"))) == 0
        kept = select(func.count()).where(PostRow.boost_of_uri.is_(None))
        assert conn.scalar(kept) == 2  # ana's root and cat's reply
    assert leaks(engine, world.ben_needles) == []
    from echochamber.pipeline.freshness import stale

    snap = load_snapshot(engine, window, "all", settings.core.policy)
    assert snap is not None and stale(engine, settings, snap)
    run(world, engine)  # collected again: he comes back anonymous at most
    assert leaks(engine, world.ben_needles) == []


def test_a_post_deleted_at_the_source_loses_text_and_raw_payload(
    engine: Engine, world: World
) -> None:
    run(world, engine)
    assert leaks(engine, ["Welcome to #hcsm"]) != []
    world.client("ana").status_delete(world.posts["root"]["id"])
    run(world, engine)
    assert leaks(engine, ["Welcome to #hcsm"]) == []
    with engine.connect() as conn:
        gone = conn.execute(
            select(PostRow.text, PostRow.deleted_at).where(
                PostRow.uri == world.posts["root"]["uri"]
            )
        ).one()
    assert gone.text == "" and gone.deleted_at is not None


def test_retention_prunes_and_metrics_stay(engine: Engine, world: World) -> None:
    from echochamber.pipeline.snapshot import compute

    run(world, engine)
    settings = settings_for(world)
    window = Window.week_of(datetime.now(UTC))
    before = compute(engine, settings, window, save=False).metrics
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawPayloadRow)) > 0
    later = datetime.now(UTC) + timedelta(days=31)
    settings = replace(settings, retention=replace(settings.retention, text_days=1))
    ctx = JobContext(engine=engine, clock=lambda: later)
    dry = prune(settings, ctx, dry_run=True)
    assert dry["raw_payloads"] > 0 and dry["texts"] > 0
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawPayloadRow)) == dry["raw_payloads"]
    done = prune(settings, ctx)
    assert (done["raw_payloads"], done["texts"]) == (dry["raw_payloads"], dry["texts"])
    assert prune(settings, ctx)["raw_payloads"] == 0  # safe to rerun
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawPayloadRow)) == 0
        texts = set(conn.scalars(select(PostRow.text)))
    assert texts <= {"", "@ana", "@ben"} and "@ben" in texts  # only the opening @names stay
    assert leaks(engine, [SECRET, SECRET_REPLY, "Welcome", "interesting"]) == []
    after = compute(engine, settings, window, save=False).metrics
    assert json.dumps(after, sort_keys=True, default=str) == json.dumps(
        before, sort_keys=True, default=str
    )


def test_status_shows_what_is_kept(engine: Engine, db_url: str, world: World) -> None:
    run(world, engine)
    r = cli(db_url, "status", "--json")
    assert r.returncode == 0, r.stderr
    kept = json.loads(r.stdout)["kept"]
    assert kept["raw_payloads"] > 0 and kept["oldest_raw_payload"]
    assert kept["texts"] > 0 and kept["raw_payloads_days"] == 30


def test_pseudonymised_export(
    engine: Engine, db_url: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECHOCHAMBER_EXPORT_SALT", raising=False)
    run(world, engine)
    out = tmp_path / "g.csv"
    r = cli(db_url, "graph", "export", "--format", "csv", "-o", str(out), "--pseudonymize")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "ECHOCHAMBER_EXPORT_SALT" in r.stderr
    assert not out.exists()
    files = []
    for salt in ("salt-one", "salt-one", "salt-two"):
        target = tmp_path / f"{salt}-{len(files)}.json"
        r = cli(
            db_url,
            "graph",
            "export",
            "--format",
            "json",
            "-o",
            str(target),
            "--pseudonymize",
            env={"ECHOCHAMBER_EXPORT_SALT": salt},
        )
        assert r.returncode == 0, r.stderr
        files.append(target.read_text())
    for text in files:
        assert "ana@" not in text and "cat@" not in text and world.host not in text
    names = [sorted(n["id"] for n in json.loads(t)["nodes"]) for t in files]
    assert names[0] == names[1] != names[2] and all(n.startswith("p:") for n in names[0])
    plain = tmp_path / "plain.json"
    assert cli(db_url, "graph", "export", "--format", "json", "-o", str(plain)).returncode == 0
    assert f"ana@{world.host}" in plain.read_text()


def test_a_stored_account_met_again_under_its_hashed_key_is_merged(engine: Engine) -> None:
    """The same person stored under both keys (opted out once, then collected plainly with the
    signal ignored) becomes one anonymous node: ties and weekly counts add up, none is lost."""
    from echochamber.models import Account, Batch, Interaction, Post
    from echochamber.store import anonymise_stored, store_batch
    from echochamber.store.schema import EdgeWeekRow, InteractionRow
    from echochamber.text import hashed_key

    at = datetime(2026, 11, 3, 12, tzinfo=UTC)
    url = "https://b.example/@ben"
    hashed = hashed_key("mastodon", url)
    ana = Account("mastodon", "https://a.example/@ana", handle="ana@a.example")
    post = Post("mastodon", "https://a.example/users/ana/statuses/1", "1", ana.key, at, "hi")
    ties = [
        Interaction("mastodon", "favourite", hashed, ana.key, post.uri, at, target_post=post.uri),
        Interaction("mastodon", "boost", hashed, ana.key, post.uri, at, target_post=post.uri),
        Interaction("mastodon", "favourite", url, ana.key, post.uri, at, target_post=post.uri),
        Interaction("mastodon", "mention", url, ana.key, "https://b.example/x/2", at),
    ]
    batch = Batch(
        (ana, Account("mastodon", hashed, noindex=True), Account("mastodon", url, "ben@b.example")),
        (post,),
        tuple(ties),
    )
    with engine.begin() as conn:
        store_batch(conn, batch, now=at)
    done = anonymise_stored(engine, [url])
    assert done.accounts == 1
    with engine.connect() as conn:
        keys = set(conn.scalars(select(AccountRow.key)))
        kinds = sorted(conn.scalars(select(InteractionRow.kind)))
        weekly = dict(
            conn.execute(
                select(EdgeWeekRow.kind, func.sum(EdgeWeekRow.n)).group_by(EdgeWeekRow.kind)
            ).all()
        )
    assert keys == {ana.key, hashed}
    assert kinds == ["boost", "favourite", "mention"]  # the two favourites of one post are one
    assert weekly == {"boost": 1, "favourite": 1, "mention": 1}  # counted again from the ties


def _account_weeks(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The kept ``account_weeks`` rows, and the same recomputed from scratch (rolled back)."""
    from sqlalchemy import text

    from echochamber.store.accountweeks import rebuild_account_weeks

    query = text(
        "SELECT week, account_id, platform, posts, acts FROM account_weeks "
        "ORDER BY week, account_id, platform"
    )
    with engine.connect() as conn:
        kept = [tuple(r) for r in conn.execute(query)]
        rebuild_account_weeks(conn)
        fresh = [tuple(r) for r in conn.execute(query)]
        conn.rollback()
    return kept, fresh


def test_erasure_keeps_the_derived_tables_right(engine: Engine, world: World) -> None:
    """A snapshot's per-account rows lose the handle on `forget` and go on `--purge`; the
    weekly activity kept at ingest equals a recount after either."""
    from echochamber.pipeline.snapshot import compute

    settings = settings_for(world)
    run(world, engine)
    compute(engine, settings, Window.week_of(datetime.now(UTC)))
    kept, fresh = _account_weeks(engine)
    assert kept == fresh and kept
    ctx = JobContext(engine=engine)
    assert forget(ctx, [f"ben@{world.host}"]).found == 1
    assert leaks(engine, world.ben_needles) == []
    kept, fresh = _account_weeks(engine)
    assert kept == fresh
    key, _ = ben_node(engine)
    assert forget(ctx, [key], purge=True).found == 1
    kept, fresh = _account_weeks(engine)
    assert kept == fresh
    with engine.connect() as conn:
        ids = set(conn.scalars(select(AccountRow.id)))
    assert {row[1] for row in kept} <= ids
