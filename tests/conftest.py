"""Shared fixtures: a store on SQLite and on the real PostgreSQL, fixtures from ../shared.

PostgreSQL tests read the server URL from ``ECHOCHAMBER_TEST_PG_URL``; without it they skip
with a reason, except under CI (``CI`` set), where a skip would hide a failure and so fails.
The same rule holds for the third-party recordings under ../shared/fixtures.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from echochamber.store.engine import init_db, make_engine

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
PG_ENV = "ECHOCHAMBER_TEST_PG_URL"


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail under CI, where every test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this may not be skipped)")
    pytest.skip(reason)


def fixture_path(*parts: str) -> Path:
    """A file under ../shared/fixtures, or skip (fail in CI) when it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        skip_or_fail(f"third-party recording {path} is absent")
    return path


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    base = os.environ.get(PG_ENV)
    if not base:
        skip_or_fail(f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user@host/db")
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    name = f"echochamber_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is down or refuses us
        admin.dispose()
        skip_or_fail(f"PostgreSQL at {PG_ENV} is not usable: {exc}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_PG_ENGINE: dict[str, Engine] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An initialised, empty store URL on each dialect."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'echochamber.db'}"
        engine = make_engine(url)
        init_db(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("pg_server_url")
    engine = _PG_ENGINE.get(url)
    if engine is None:
        engine = _PG_ENGINE[url] = make_engine(url)
        init_db(engine)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
    yield url
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


from tests.browser import browser_page, chromium  # noqa: E402, F401  (fixtures for HTML tests)
