"""Whole conversations from the fediverse, over real HTTP between two mastodon-mock processes.

The configured instance (HTTP) holds only what federated to it; the posts' home server (HTTPS,
its own certificate, trusted through ``REQUESTS_CA_BUNDLE``) holds everything.  After a
collection the store must equal the home server's view, and the configured instance's lesser
view, seen again later, must not overwrite it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from echochamber.config import CollectSettings, ConsentSettings, MastodonSource, Settings
from echochamber.pipeline.collection import collect
from echochamber.pipeline.context import JobContext
from echochamber.store import status
from echochamber.store.schema import AccountRow, InteractionRow, PostObservationRow, PostRow
from tests.fediverse import ACCOUNTS, BOOSTS, FAVOURITES, POSTS, World, fediverse

pytest.importorskip("mastodon_mock", reason="mastodon-mock is not installed")
TOKEN_ENV = "ECHOCHAMBER_TEST_FEDI_TOKEN"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fediverse(tmp_path_factory.mktemp("fediverse")) as w:
        yield w


@pytest.fixture(autouse=True)
def trust(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(world.ca))
    monkeypatch.setenv(TOKEN_ENV, "zed_token")
    world.faults(world.home)
    yield
    world.faults(world.home)


def settings(world: World, **collect: Any) -> Settings:
    base = {"backoff_base": 0.01, "home_timeout": 3.0, "breaker_cooldown": 600.0}
    return Settings(
        mastodon=(MastodonSource(world.conf.url, ("hcsm",), None, TOKEN_ENV),),
        collect=CollectSettings(**{**base, **collect}),
        # about collection, not consent: noindex alone, as before [consent] (the recorded and
        # mocked accounts read indexable: false); tests/test_consent.py covers the signals
        consent=ConsentSettings(indexable=False, discoverable=False),
    )


def job(engine: Engine) -> JobContext:
    return JobContext(engine=engine, sleep=lambda s: None)


def home_counts(key: str) -> tuple[int, int, int]:
    """(replies, boosts, favourites) as the post's home server counts them."""
    replies = sum(1 for p in POSTS.values() if p[1] == key)
    boosts = sum(1 for _w, k, _f in BOOSTS if k == key)
    favourites = sum(1 for _w, k in FAVOURITES if k == key)
    return replies, boosts, favourites


def ties(engine: Engine) -> set[tuple[str, str, str, str]]:
    actor, target = AccountRow.__table__.alias(), AccountRow.__table__.alias()
    with engine.connect() as conn:
        rows = conn.execute(
            select(InteractionRow.kind, actor.c.key, target.c.key, InteractionRow.subject_uri)
            .join(actor, actor.c.id == InteractionRow.actor_id)
            .join(target, target.c.id == InteractionRow.target_id)
            .where(InteractionRow.kind.in_(("reply", "boost", "favourite")))
        )
        return {tuple(r) for r in rows}  # type: ignore[misc]


def expected_ties(world: World) -> set[tuple[str, str, str, str]]:
    out = set()
    for key, (author, parent, _t, _f) in POSTS.items():
        if parent is not None:
            out.add(
                (
                    "reply",
                    world.account_url(author),
                    world.account_url(POSTS[parent][0]),
                    world.uri(key),
                )
            )
    for kind, acts in (("boost", [(w, k) for w, k, _f in BOOSTS]), ("favourite", FAVOURITES)):
        for who, key in acts:
            out.add(
                (kind, world.account_url(who), world.account_url(POSTS[key][0]), world.uri(key))
            )
    return out


def stored_counts(engine: Engine) -> dict[str, tuple[int, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                PostRow.uri, PostRow.replies_count, PostRow.boosts_count, PostRow.favourites_count
            )
        ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_store_equals_the_home_servers_view(engine: Engine, world: World) -> None:
    results = collect(settings(world), job(engine))
    assert [r.status for r in results] == ["ok", "ok"], [r.errors for r in results]
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri).where(PostRow.boost_of_uri.is_(None))))
    assert uris == {world.uri(k) for k in POSTS}
    assert ties(engine) == expected_ties(world)
    counts = stored_counts(engine)
    for key in POSTS:
        assert counts[world.uri(key)] == home_counts(key), key
    # provenance: the configured instance's view of p1 is kept beside the home server's
    with engine.connect() as conn:
        seen = dict(
            conn.execute(
                select(PostObservationRow.server, PostObservationRow.favourites_count)
                .join(PostRow, PostRow.id == PostObservationRow.post_id)
                .where(PostRow.uri == world.uri("p1"))
            ).all()
        )
        provenance = conn.execute(
            select(func.count()).select_from(InteractionRow).where(InteractionRow.server.is_(None))
        ).scalar()
    assert seen == {world.home.host: 5, world.conf.host: 2}
    assert provenance == 0
    comp = status(engine)["completeness"]
    assert (comp["replies"], comp["boosts"], comp["favourites"]) == (1.0, 1.0, 1.0)
    assert comp["home_counted"] == comp["posts"] == len(POSTS)

    # the configured instance's lesser view, seen again, does not overwrite the home's counts
    again = collect(settings(world), job(engine), refresh=True)
    assert [r.status for r in again] == ["ok", "ok"]
    assert stored_counts(engine) == counts
    assert ties(engine) == expected_ties(world)


def test_configured_view_alone_is_partial(engine: Engine, world: World) -> None:
    """Without home servers the store holds what federated: fewer replies and favourites."""
    collect(settings(world, home_servers=False), job(engine))
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri).where(PostRow.boost_of_uri.is_(None))))
    assert uris == {world.uri(k) for k in POSTS if world.holds("C", k)}
    assert len(ties(engine)) < len(expected_ties(world))


@pytest.mark.parametrize(
    "fault",
    [
        {"effect": {"type": "status", "status": 503}},
        {"effect": {"type": "latency", "delay_ms": 6000}},
        {"effect": {"type": "ratelimit"}},
    ],
    ids=["errors", "slow", "429"],
)
def test_a_failing_home_server_falls_back_and_is_reported(
    engine: Engine, world: World, fault: dict[str, Any]
) -> None:
    world.faults(world.home, {"match": {"path_regex": "^/api/v1/statuses/"}, **fault})
    results = collect(settings(world, home_timeout=1.0), job(engine))
    assert [r.status for r in results] == ["ok", "ok"], [r.errors for r in results]
    notes = " ".join(results[1].skipped)
    assert f"{world.home.host}" in notes and "skipped until" in notes
    with engine.connect() as conn:
        uris = set(conn.scalars(select(PostRow.uri).where(PostRow.boost_of_uri.is_(None))))
    assert uris == {world.uri(k) for k in POSTS if world.holds("C", k)}  # the fallback's view
    s = status(engine)
    failing = {srv["host"]: srv for srv in s["servers"]}
    assert failing[world.home.host]["skipped_until"]
    at_home_on_c = sum(1 for author, *_rest in POSTS.values() if ACCOUNTS[author] == "C")
    assert s["completeness"]["home_counted"] == at_home_on_c < s["completeness"]["posts"]


def test_deleted_and_edited_posts(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    with fediverse(tmp_path) as world:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(world.ca))
        _delete_and_edit(engine, world, requests)


def _delete_and_edit(engine: Engine, world: World, requests: Any) -> None:
    collect(settings(world), job(engine))
    ca = str(world.ca)
    r4 = world.home.ids["r4"]
    r5 = world.home.ids["r5"]
    deleted = requests.delete(
        f"{world.home.url}/api/v1/statuses/{r4}",
        headers={"Authorization": "Bearer dan_token"},
        timeout=10,
        verify=ca,
    )
    assert deleted.status_code == 200
    edited = requests.put(
        f"{world.home.url}/api/v1/statuses/{r5}",
        headers={"Authorization": "Bearer ana_token"},
        data={"status": "an answer, edited"},
        timeout=10,
        verify=ca,
    )
    assert edited.status_code == 200
    res = collect(settings(world), job(engine), refresh=True)
    assert [r.status for r in res] == ["ok", "ok"], [r.errors for r in res]
    with engine.connect() as conn:
        gone = conn.execute(
            select(PostRow.deleted_at, PostRow.text).where(PostRow.uri == world.uri("r4"))
        ).one()
        text = conn.scalar(select(PostRow.text).where(PostRow.uri == world.uri("r5")))
    assert gone[0] is not None and gone[1] == ""
    assert "edited" in (text or "")
    assert not any(t[3] == world.uri("r4") for t in ties(engine))
