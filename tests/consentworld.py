"""The small community the consent tests share, on mastodon-mock over real HTTP (tests only),
and the scan for what identifies a person in every column of every table."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, LargeBinary, MetaData, String, Text, func, select

from echochamber.config import CollectSettings, ConsentSettings, MastodonSource, Settings
from echochamber.pipeline.collection import collect
from echochamber.pipeline.context import JobContext
from echochamber.store.schema import AccountRow, InteractionRow
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


@contextlib.contextmanager
def consent_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """ana hosts #hcsm, ben (whose consent the tests change) posts and replies, cat replies to
    ben; ana boosts ben, cat favourites him."""
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


def cli(db: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "echochamber", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def dump(engine: Engine) -> dict[str, list[Any]]:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(select(t)).all())) for t in meta.sorted_tables
        }
