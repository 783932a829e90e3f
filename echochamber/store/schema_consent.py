"""The consent registry and the store's named values (on the one ``metadata`` of
:mod:`echochamber.store.schema`).

The registry holds what a person asked for without naming them: a salted hash of the
account's key or handle, never either, so a later collection can refuse the account.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from echochamber.store.schema import UTCDateTime, _Table, metadata

ConsentRow = _Table(
    Table(
        "consent_registry",
        metadata,
        Column("digest", String(64), primary_key=True),
        Column("platform", String(16), nullable=True),
        Column("reason", String(32), nullable=False),
        Column("requested_at", UTCDateTime, nullable=False),
        Column("changes", Text, nullable=True),
    )
)
"""Forgotten or opted-out accounts: a salted hash of a key or handle (never either), why
(``forget``, ``purge``, ``signal``), when, and what the request changed (JSON counts)."""


MetaRow = _Table(
    Table(
        "store_meta",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )
)
"""Named values of the store (the consent registry's salt when none is configured)."""
