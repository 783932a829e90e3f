"""The consent registry: salted hashes of forgotten and opted-out accounts, and its salt.

The store never holds the key or handle of an account that asked to be forgotten: the
pipeline hands in salted hashes (``digest``) and asks which of a page's accounts are among
them before the page is stored.  The salt comes from the environment
(``ECHOCHAMBER_CONSENT_SALT``); without it, a random salt is made once and kept in
``store_meta`` (the registry then protects the handles from a reader of a copy of the
registry alone, not from one who holds the whole store; docs/data-and-consent.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table, func, select

from echochamber.store.keys import _chunks, dialect_insert
from echochamber.store.schema import ConsentRow, MetaRow, PostRow
from echochamber.text import is_hashed

if TYPE_CHECKING:  # erasure is loaded by the commands that erase, not by ``status``
    from echochamber.store.erasure import Erasure, StoredAccount

consent_t: Table = ConsentRow.__table__  # type: ignore[assignment]
meta_t: Table = MetaRow.__table__  # type: ignore[assignment]

SALT_NAME = "consent_salt"


def store_salt(engine: Engine, *, create: bool = True) -> str | None:
    """The store's own registry salt, made (random, 32 bytes) on first use with ``create``."""
    with engine.connect() as conn:
        value = conn.scalar(select(meta_t.c.value).where(meta_t.c.name == SALT_NAME))
    if value is not None or not create:
        return value
    with engine.begin() as conn:
        conn.execute(
            dialect_insert(conn, meta_t)
            .values(name=SALT_NAME, value=secrets.token_hex(32))
            .on_conflict_do_nothing()
        )
        return conn.scalar(select(meta_t.c.value).where(meta_t.c.name == SALT_NAME))


def registered(engine: Engine, digests: Iterable[str]) -> set[str]:
    """Which of these digests the registry holds."""
    wanted = sorted(set(digests))
    out: set[str] = set()
    if not wanted:
        return out
    with engine.connect() as conn:
        for part in _chunks(wanted):
            out.update(conn.scalars(select(consent_t.c.digest).where(consent_t.c.digest.in_(part))))
    return out


def register(
    engine: Engine,
    digests: Sequence[str],
    *,
    platform: str | None,
    reason: str,
    now: datetime,
    changes: dict[str, Any] | None = None,
) -> int:
    """Record digests (a later request of the same account keeps its first row's time but
    takes the stronger reason: ``purge`` over ``forget`` over ``signal``); returns how many
    were new."""
    if not digests:
        return 0
    rank = {"signal": 0, "forget": 1, "purge": 2}
    with engine.begin() as conn:
        have = dict(
            conn.execute(
                select(consent_t.c.digest, consent_t.c.reason).where(
                    consent_t.c.digest.in_(sorted(set(digests)))
                )
            ).all()
        )
        new = 0
        text = json.dumps(changes, sort_keys=True) if changes is not None else None
        for d in dict.fromkeys(digests):
            if d not in have:
                conn.execute(
                    consent_t.insert().values(
                        digest=d, platform=platform, reason=reason, requested_at=now, changes=text
                    )
                )
                new += 1
            elif rank.get(reason, 0) > rank.get(have[d], 0):
                conn.execute(
                    consent_t.update()
                    .where(consent_t.c.digest == d)
                    .values(reason=reason, changes=text)
                )
    return new


def registry_summary(engine: Engine) -> dict[str, Any]:
    """Rows of the registry by reason, and the newest request (for ``status``)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(consent_t.c.reason, func.count(), func.max(consent_t.c.requested_at)).group_by(
                consent_t.c.reason
            )
        ).all()
    newest = max((r[2] for r in rows if r[2] is not None), default=None)
    return {
        "by_reason": {str(r[0]): int(r[1]) for r in rows},
        "newest": newest.isoformat() if newest is not None else None,
    }


def anonymise_stored(engine: Engine, keys: Iterable[str]) -> Erasure:
    """Anonymise what the store holds of the accounts with these (original) keys: the
    collector saw an opt-out signal.  Nothing to do (one lookup) when none is stored."""
    from echochamber.store.erasure import Erasure, accounts_by_key, anonymise_account

    out = Erasure()
    with engine.begin() as conn:
        for acc in accounts_by_key(conn, (k for k in keys if not is_hashed(k))):
            out.add(anonymise_account(conn, acc))
    return out


def erase_accounts(
    engine: Engine, idents: Sequence[str], *, purge: bool = False, dry_run: bool = False
) -> tuple[list[StoredAccount], Erasure]:
    """Anonymise (or ``purge``) the accounts named by handle or key, in one transaction
    (``dry_run``: rolled back, so it only counts); returns the accounts found and the changes."""
    from echochamber.store.erasure import (
        Erasure,
        anonymise_account,
        find_accounts,
        purge_account,
    )

    out = Erasure()
    with engine.connect() as conn, conn.begin() as tx:
        found = find_accounts(conn, idents)
        for acc in found:
            out.add(purge_account(conn, acc) if purge else anonymise_account(conn, acc))
        if dry_run:
            tx.rollback()
    return found, out


def erase_deleted_raw(engine: Engine, uris: Sequence[str]) -> int:
    """Delete the raw payloads that hold posts found deleted at their source (those fetched
    since the oldest of them was written)."""
    wanted = [u for u in uris if u and not is_hashed(u)]
    if not wanted:
        return 0
    with engine.begin() as conn:
        p = PostRow.__table__.c  # type: ignore[attr-defined]
        rows = conn.execute(select(p.created_at, p.url).where(p.uri.in_(wanted))).all()
        since = min((r[0] for r in rows), default=None)
        markers = [*wanted, *(r[1] for r in rows if r[1])]
        from echochamber.store.erasure import erase_raw

        return erase_raw(conn, markers, since)
