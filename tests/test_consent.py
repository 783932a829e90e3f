"""Consent over real HTTP against mastodon-mock, on SQLite and PostgreSQL.

For each opt-out signal a small community is built (ana hosts, ben is the person who opts out,
cat replies to ben), collected, and then every text and binary column of every table is scanned
(raw payloads decompressed) for ben's handle, name, bio and post texts: nothing may be left,
while ben stays a node with his ties.  Then a signal set later (applied on the revisit), the
forget registry (dry run, anonymise, purge, no return on the next collection), deletions at
the source, retention (metrics unchanged) and the pseudonymised export.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, LargeBinary, MetaData, String, Text, func, select

from echochamber.config import CollectSettings, ConsentSettings, MastodonSource, Settings
from echochamber.models import Window
from echochamber.pipeline.collection import collect
from echochamber.pipeline.consent import forget, prune
from echochamber.pipeline.context import JobContext
from echochamber.store.schema import AccountRow, InteractionRow, PostRow, RawPayloadRow

pytest.importorskip("mastodon_mock.testing", reason="mastodon-mock is not installed")
import contextlib

from tests.consentmock import Profiles, consent_server

TOKEN_ENV = "ECHOCHAMBER_TEST_CONSENT_TOKEN"
USERS = {"ana": "Ana Host", "ben": "Ben Quietly", "cat": "Cat Replies"}
BIO = "hush-bio-7 nurse and patient"
SECRET = "xyzzy-private-thought"
SECRET_REPLY = "plugh-private-reply"


@dataclass
class World:
    server: Any
    profiles: Profiles
    url: str
    host: str = ""
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self, user: str) -> Any:
        return self.server.client(user)

    @property
    def ben_needles(self) -> list[str]:
        """What identifies ben: handle, profile paths, name, bio, his texts, a mention."""
        return [
            f"ben@{self.host}",
            "/@ben",
            "/users/ben",
            USERS["ben"],
            "hush-bio-7",
            SECRET,
            SECRET_REPLY,
            "@ben",
        ]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv(TOKEN_ENV, "ana_token")
    monkeypatch.setenv("ECHOCHAMBER_CONSENT_SALT", "test-consent-salt")
    profiles: Profiles = {}
    with consent_server(USERS, profiles) as server:
        w = World(server, profiles, server.base_url.rstrip("/"))
        ben = w.client("ben")
        ben.account_update_credentials(note=f"<p>{BIO}</p>")
        w.host = ben.account_verify_credentials()["url"].split("//", 1)[1].split("/", 1)[0]
        ana, cat = w.client("ana"), w.client("cat")
        w.posts["root"] = ana.status_post("Welcome to #hcsm chat")
        w.posts["ben"] = ben.status_post(f"#hcsm {SECRET}")
        w.posts["ben_reply"] = ben.status_post(
            f"@ana {SECRET_REPLY}", in_reply_to_id=w.posts["root"]["id"]
        )
        w.posts["cat_reply"] = cat.status_post(
            "@ben interesting point", in_reply_to_id=w.posts["ben"]["id"]
        )
        ana.status_reblog(w.posts["ben"]["id"])
        cat.status_favourite(w.posts["ben"]["id"])
        yield w


def settings_for(w: World, **consent: Any) -> Settings:
    return Settings(
        mastodon=(MastodonSource(w.url, ("hcsm",), None, TOKEN_ENV),),
        collect=CollectSettings(backoff_base=0.01, home_servers=False),
        consent=ConsentSettings(**consent),
    )


def run(w: World, engine: Engine, **consent: Any) -> None:
    results = collect(settings_for(w, **consent), JobContext(engine=engine), refresh=True)
    assert [r.status for r in results] == ["ok", "ok"], [r.errors for r in results]


def leaks(engine: Engine, needles: list[str]) -> list[str]:
    """Every (table.column: needle) where a needle occurs, in every text and binary column of
    every table (zlib bodies decompressed)."""
    meta = MetaData()
    meta.reflect(bind=engine)
    found: list[str] = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary)]
            if not cols:
                continue
            for row in conn.execute(select(*cols)):
                for col, value in zip(cols, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        data = bytes(value)
                        with contextlib.suppress(zlib.error):
                            data = zlib.decompress(data)
                        text = data.decode("utf-8", "replace")
                    else:
                        text = str(value)
                    text = text.casefold()
                    found += [
                        f"{table.name}.{col.name}: {n}" for n in needles if n.casefold() in text
                    ]
    return sorted(set(found))


def ben_node(engine: Engine) -> tuple[str, int]:
    """Ben's stored key and the ties to or from him (he stays a node of the graph)."""
    with engine.connect() as conn:
        hashed = conn.execute(
            select(AccountRow.id, AccountRow.key).where(AccountRow.key.like("hashed:%"))
        ).all()
        assert len(hashed) == 1, hashed
        aid, key = hashed[0]
        ties = conn.scalar(
            select(func.count())
            .select_from(InteractionRow)
            .where((InteractionRow.actor_id == aid) | (InteractionRow.target_id == aid))
        )
    return key, int(ties or 0)


SIGNALS = ["noindex", "indexable", "discoverable", "note", "field"]


@pytest.mark.parametrize("signal", SIGNALS)
def test_each_signal_leaves_nothing_identifying(engine: Engine, world: World, signal: str) -> None:
    ben = world.client("ben")
    if signal == "noindex":
        world.profiles["ben"] = {"noindex": True}
    elif signal == "indexable":
        world.profiles["ben"] = {"indexable": False}
    elif signal == "discoverable":
        ben.account_update_credentials(discoverable=False)
    elif signal == "note":
        ben.account_update_credentials(note=f"<p>{BIO} #NoBot</p>")
    else:
        ben.account_update_credentials(fields=[("Research", "#nosearch please")])
    run(world, engine)
    assert leaks(engine, world.ben_needles) == []
    # the others are kept as they are, so the scan can find what it looks for
    assert leaks(engine, [f"ana@{world.host}", "Welcome to #hcsm"]) != []
    key, ties = ben_node(engine)
    assert key.startswith("hashed:") and ties >= 4  # reply, boost, favourite, cat's reply
    with engine.connect() as conn:
        texts = set(conn.scalars(select(PostRow.text)))
    assert "@[opted out] interesting point" in texts


def test_a_signal_can_be_switched_off(engine: Engine, world: World) -> None:
    world.profiles["ben"] = {"noindex": True}
    run(world, engine, noindex=False, indexable=False)
    assert leaks(engine, [f"ben@{world.host}", SECRET]) != []


def test_a_signal_set_later_applies_at_the_revisit(engine: Engine, world: World) -> None:
    run(world, engine)
    assert len(leaks(engine, world.ben_needles)) >= 4  # collected as anyone else
    world.client("ben").account_update_credentials(note=f"<p>{BIO} #noarchive</p>")
    run(world, engine)  # nothing new under the tag: only the revisit sees his profile
    assert leaks(engine, world.ben_needles) == []
    _key, ties = ben_node(engine)
    assert ties >= 4


def _cli(
    db: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "echochamber", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _dump(engine: Engine) -> dict[str, list[Any]]:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(select(t)).all())) for t in meta.sorted_tables
        }


def test_forget_dry_run_anonymise_and_no_return(engine: Engine, db_url: str, world: World) -> None:
    run(world, engine)
    before = _dump(engine)
    handle = f"ben@{world.host}"
    dry = _cli(db_url, "forget", handle, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert _dump(engine) == before
    counts = json.loads(dry.stdout)["changes"]
    assert counts["accounts"] == 1 and counts["posts"] == 2 and counts["raw_payloads"] >= 1
    done = _cli(db_url, "forget", handle)
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
    r = _cli(db_url, "status", "--json")
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
    r = _cli(db_url, "graph", "export", "--format", "csv", "-o", str(out), "--pseudonymize")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "ECHOCHAMBER_EXPORT_SALT" in r.stderr
    assert not out.exists()
    files = []
    for salt in ("salt-one", "salt-one", "salt-two"):
        target = tmp_path / f"{salt}-{len(files)}.json"
        r = _cli(
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
    assert _cli(db_url, "graph", "export", "--format", "json", "-o", str(plain)).returncode == 0
    assert f"ana@{world.host}" in plain.read_text()


def test_twitter_archive_accounts_in_exclude_are_anonymised(engine: Engine, tmp_path: Path) -> None:
    from echochamber.pipeline.imports import import_file
    from tests.conftest import fixture_path

    brexit = fixture_path("twarc_csv_test_data", "brexit.jsonl")
    page = json.loads(brexit.read_text().splitlines()[0])
    users = {u["id"]: u for u in page["includes"]["users"]}
    tweet = next(t for t in page["data"] if len(t["text"]) > 40)
    who = users[tweet["author_id"]]
    settings = Settings(consent=ConsentSettings(exclude=(f"@{who['username'].upper()}",)))
    result = import_file(settings, JobContext(engine=engine), str(brexit), "twarc2")
    assert result.imported > 0 and not result.errors
    needles = [f"@{who['username']}", who["name"], tweet["text"][:40]]
    assert leaks(engine, needles) == []
    with engine.connect() as conn:
        kept = conn.scalar(select(func.count()).where(AccountRow.handle.is_not(None)))
        hashed = conn.scalar(select(func.count()).where(AccountRow.key.like("hashed:%")))
    assert kept and kept > 10 and hashed == 1


def test_bluesky_no_unauthenticated_label_is_honoured(engine: Engine) -> None:
    from echochamber.collect.consent import ConsentRules
    from echochamber.collect.normalize_bluesky import normalize_records
    from echochamber.models import Page
    from echochamber.pipeline.consent import ConsentSink
    from echochamber.store import StreamSink
    from tests.conftest import fixture_path

    body = json.loads(
        fixture_path(
            "atrrr_recorded_responses", "app.bsky.feed.searchPosts_bb16d.body.json"
        ).read_text()
    )
    view = next(
        p
        for p in body["posts"]
        if len(p["record"].get("text", "")) > 30 and not p["author"].get("labels")
    )
    author = view["author"]
    for p in body["posts"]:
        if p["author"]["did"] == author["did"]:
            p["author"]["labels"] = [{"src": author["did"], "val": "!no-unauthenticated"}]
    raw = json.dumps(body).encode()
    batch = normalize_records([body], tracked=["rstats"])
    labelled = {
        p["author"]["did"]
        for p in body["posts"]
        if any(x.get("val") == "!no-unauthenticated" for x in p["author"].get("labels") or ())
    }
    assert set(batch.optouts) == labelled and author["did"] in labelled
    now = datetime.now(UTC)
    inner = StreamSink(engine, "bluesky", "https://bsky.social", lambda: now)
    sink = ConsentSink(inner, engine, ConsentRules(), lambda: now)
    sink(Page(batch, raw, "app.bsky.feed.searchPosts"))
    needles = [author["handle"], author["did"], view["record"]["text"][:30]]
    if author.get("displayName"):
        needles.append(author["displayName"])
    assert leaks(engine, needles) == []
    assert leaks(engine, [p["author"]["handle"] for p in body["posts"][:50]]) != []
    off = normalize_records(
        [body], tracked=["rstats"], consent=replace(ConsentRules(), bluesky_label=False)
    )
    assert off.optouts == () and any(a.handle == author["handle"] for a in off.accounts)


def test_the_report_names_only_accounts_without_a_signal(engine: Engine, world: World) -> None:
    from echochamber.pipeline.report import report_data
    from echochamber.report.text import render_text

    world.client("ben").account_update_credentials(note=f"<p>{BIO} #nobot</p>")
    run(world, engine)
    now = datetime.now(UTC)
    data = report_data(engine, settings_for(world), Window.week_of(now), now)
    text = render_text(data)
    assert f"ana@{world.host}" in text and f"cat@{world.host}" in text
    assert "an account that opted out" in text
    assert not [n for n in world.ben_needles if n.casefold() in text.casefold()]
    assert "hashed:" not in text
