"""Consent signals over real HTTP against mastodon-mock, on SQLite and PostgreSQL.

For each opt-out signal a small community is built (ana hosts, ben is the person who opts out,
cat replies to ben), collected, and then every text and binary column of every table is scanned
(raw payloads decompressed) for ben's handle, name, bio and post texts: nothing may be left,
while ben stays a node with his ties.  A signal set later applies at the revisit; Bluesky's
label and ``[consent] exclude`` on an X archive; the report names only public accounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from echochamber.config import ConsentSettings, CoreSettings, Settings
from echochamber.models import Window
from echochamber.pipeline.context import JobContext
from echochamber.store.schema import AccountRow, PostRow

pytest.importorskip("mastodon_mock.testing", reason="mastodon-mock is not installed")
from tests.consentworld import (
    BIO,
    SECRET,
    World,
    ben_node,
    consent_world,
    leaks,
    run,
    settings_for,
)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with consent_world(monkeypatch) as w:
        yield w


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
    # ana is the core: ben and cat are the outsiders the report's trees and voices name
    core = CoreSettings(policy="list", accounts=(f"ana@{world.host}",))
    data = report_data(engine, replace(settings_for(world), core=core), Window.week_of(now), now)
    text = render_text(data)
    assert f"ana@{world.host}" in text and f"cat@{world.host}" in text
    assert "an account that opted out" in text
    assert not [n for n in world.ben_needles if n.casefold() in text.casefold()]
    assert "hashed:" not in text


def test_the_map_names_no_account_that_opted_out(engine: Engine, world: World) -> None:
    from echochamber.pipeline.maps import week_map
    from echochamber.report.interactive_map import render_map_html

    world.client("ben").account_update_credentials(note=f"<p>{BIO} #nobot</p>")
    run(world, engine)
    wm = week_map(engine, settings_for(world), Window.week_of(datetime.now(UTC)), "all")
    names = [n.handle for n in wm.nodes]
    assert f"ana@{world.host}" in names and "an account that opted out" in names
    page = render_map_html(wm)
    assert not [n for n in world.ben_needles if n.casefold() in page.casefold()]
