"""The registry of sources and archive formats: what the pipeline loops over.

Each platform registers a factory that builds its configured sources from the settings; the
pipeline, the daemon and the command line know platforms only through this table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from echochamber.models import Platform

if TYPE_CHECKING:  # the registry itself stays cheap to import: the CLI's choices come from it
    from echochamber.collect.base import Options, Source
    from echochamber.config import Settings


@dataclass(frozen=True)
class Entry:
    """A platform: where its source factory lives and whether the settings configure it."""

    platform: Platform
    module: str
    configured: Callable[[Settings], bool]

    def sources(self, settings: Settings, options: Options) -> Sequence[Source]:
        """Build this platform's configured sources (imports the platform's module now)."""
        factory = import_module(self.module).sources
        return list(factory(settings, options))


SOURCES: dict[str, Entry] = {
    "mastodon": Entry(
        "mastodon", "echochamber.collect.mastodon_source", lambda s: bool(s.mastodon)
    ),
    "twitter": Entry("twitter", "echochamber.collect.twitter", lambda s: s.twitter is not None),
    "bluesky": Entry("bluesky", "echochamber.collect.bluesky", lambda s: s.bluesky is not None),
}
"""Platforms by name, in collection order."""

ARCHIVE_FORMATS: dict[str, Platform] = {
    "twarc2": "twitter",
    "twitter-v1": "twitter",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
}
"""Archive formats ``import`` reads, and the platform of each."""


def platforms() -> list[str]:
    """Registered platform names, in collection order."""
    return list(SOURCES)


def configured(settings: Settings) -> list[str]:
    """The platforms the settings configure."""
    return [name for name, entry in SOURCES.items() if entry.configured(settings)]
