"""The settings, typed: one frozen dataclass per section of the TOML file, with defaults.

Secrets (tokens, passwords) come only from the environment: the file names the variable that
holds a token (``token_env``), never the token.  Every scalar setting ``section.key`` can be
overridden by the variable ``ECHOCHAMBER_SECTION_KEY`` (e.g. ``ECHOCHAMBER_STORE_URL``,
``ECHOCHAMBER_CORE_SIZE``, ``ECHOCHAMBER_REPORT_EMAIL_SMTP_HOST``).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date, tzinfo
from pathlib import Path

from echochamber.errors import ConfigError
from echochamber.text import normalize_tag

ENV_PREFIX = "ECHOCHAMBER_"
DEFAULT_CONFIG = Path("config/echochamber.toml")
SECRET_ENV = {
    "smtp_password": "ECHOCHAMBER_SMTP_PASSWORD",
    "twitter_bearer_token": "ECHOCHAMBER_TWITTER_BEARER_TOKEN",
    "bluesky_handle": "ECHOCHAMBER_BLUESKY_HANDLE",
    "bluesky_app_password": "ECHOCHAMBER_BLUESKY_APP_PASSWORD",
    "consent_salt": "ECHOCHAMBER_CONSENT_SALT",
    "export_salt": "ECHOCHAMBER_EXPORT_SALT",
}
SECRET_WORDS = re.compile(r"(^|_)(token|password|secret)$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")


def parse_duration(text: str | int | float, setting: str = "duration") -> float:
    """``"15m"`` -> 900.0 seconds; plain numbers are seconds.

    >>> parse_duration("2h"), parse_duration("30s"), parse_duration(5)
    (7200.0, 30.0, 5.0)
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"{setting}: {text!r} is not a duration like '30s', '15m', '2h'")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2) or "s"]
    return float(match.group(1)) * unit


@dataclass(frozen=True)
class StoreSettings:
    url: str = "sqlite:///echochamber.db"


@dataclass(frozen=True)
class CollectSettings:
    settle_days: float = 7.0
    request_budget: int = 2000
    respect_noindex: bool = True
    max_retries: int = 5
    timeout: float = 30.0
    max_wait: float = 900.0
    backoff_base: float = 1.0
    contact_url: str = ""
    user_agent: str = ""
    home_servers: bool = True
    home_timeout: float = 10.0
    home_max_wait: float = 60.0
    home_retries: int = 1
    per_server_requests: int = 2
    revisit_workers: int = 8
    breaker_failures: int = 3
    breaker_cooldown: float = 1800.0
    nodeinfo_days: float = 7.0

    @property
    def agent(self) -> str:
        """The ``User-Agent`` sent everywhere: echochamber, its version and the contact URL."""
        if self.user_agent:
            return self.user_agent
        from echochamber import __version__

        contact = f"; +{self.contact_url}" if self.contact_url else ""
        return f"echochamber/{__version__} (research crawler{contact})"


@dataclass(frozen=True)
class MastodonSource:
    server: str
    tags: tuple[str, ...]
    since: date | None = None
    token_env: str | None = None

    def __post_init__(self) -> None:
        norm = tuple(dict.fromkeys(normalize_tag(t) for t in self.tags))
        object.__setattr__(self, "tags", norm)
        object.__setattr__(self, "server", self.server.rstrip("/"))

    @property
    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


@dataclass(frozen=True)
class TwitterSource:
    queries: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    since: date | None = None
    token_env: str = SECRET_ENV["twitter_bearer_token"]
    api_base: str | None = None  # reroutes https://api.twitter.com (a proxy)


@dataclass(frozen=True)
class BlueskySource:
    tags: tuple[str, ...] = ()
    since: date | None = None
    service: str = "https://bsky.social"
    handle_env: str = SECRET_ENV["bluesky_handle"]
    password_env: str = SECRET_ENV["bluesky_app_password"]


@dataclass(frozen=True)
class CoreSettings:
    policy: str = "top-active"
    size: int = 100
    window_weeks: int = 12
    accounts: tuple[str, ...] = ()
    timezone: str = "UTC"  # weeks run Monday 00:00 to Monday 00:00 here
    exclude: tuple[str, ...] = ()  # accounts or servers that never enter the roster


OPT_OUT_WORDS = ("#nobot", "#noindex", "#nosearch", "#noarchive")


@dataclass(frozen=True)
class ConsentSettings:
    """Which opt-out signals are honoured (docs/data-and-consent.md); all on by default.

    An account that shows one keeps no text, handle or profile data in the store, only a
    hashed key.  ``exclude`` names accounts (handles or profile URLs, any platform; the only
    signal a Twitter archive has) treated as opted out.
    """

    noindex: bool = True  # Mastodon: the account set noindex
    indexable: bool = True  # Mastodon: indexable is false
    discoverable: bool = True  # Mastodon: discoverable is false
    words: tuple[str, ...] = OPT_OUT_WORDS  # in the profile note or fields
    bluesky_label: bool = True  # Bluesky: the author's !no-unauthenticated label
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetentionSettings:
    """How long raw payloads and post texts are kept (days; 0: keep them)."""

    raw_payloads_days: float = 30.0
    text_days: float = 0.0


@dataclass(frozen=True)
class GraphSettings:
    reply: float = 1.0
    mention: float = 1.0
    boost: float = 1.0
    quote: float = 1.0
    favourite: float = 1.0

    def weights(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class MetricsSettings:
    null_samples: int = 100  # 0: no nulls; otherwise exact null moments (nothing is drawn)
    seed: int = 0
    bootstrap: int = 200  # thread-bootstrap resamples for the intervals (0: none)
    jackknife_groups: int = 50  # delete-a-group jackknife groups for distinct-account keys
    sensitivity: bool = True  # recompute the headline keys with other rosters


@dataclass(frozen=True)
class ScheduleSettings:
    collect_every: str = "15m"
    enrich_every: str = "1h"
    snapshot_at: str = "02:00"
    email_day: str = "monday"
    email_at: str = "08:00"
    timezone: str = "UTC"
    misfire_grace: str = "10m"


@dataclass(frozen=True)
class EmailSettings:
    smtp_host: str = ""
    smtp_port: int = 587
    security: str = "starttls"
    username: str = ""
    sender: str = "echochamber@localhost"
    recipients: tuple[str, ...] = ()
    timeout: float = 30.0
    allow_plaintext_auth: bool = False  # security = "none" with a username sends it in clear

    @property
    def password(self) -> str | None:
        return os.environ.get(SECRET_ENV["smtp_password"])


@dataclass(frozen=True)
class SiteSettings:
    dir: str = ""  # the static site's folder; set: the daemon rebuilds it after each snapshot


@dataclass(frozen=True)
class ReportSettings:
    title: str = ""
    email: EmailSettings = field(default_factory=EmailSettings)
    site: SiteSettings = field(default_factory=SiteSettings)


@dataclass(frozen=True)
class Settings:
    store: StoreSettings = field(default_factory=StoreSettings)
    collect: CollectSettings = field(default_factory=CollectSettings)
    mastodon: tuple[MastodonSource, ...] = ()
    twitter: TwitterSource | None = None
    bluesky: BlueskySource | None = None
    core: CoreSettings = field(default_factory=CoreSettings)
    graph: GraphSettings = field(default_factory=GraphSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    consent: ConsentSettings = field(default_factory=ConsentSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    identities: tuple[tuple[str, ...], ...] = ()
    source_file: str | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tracked tag, normalised, in config order."""
        seen: dict[str, None] = {}
        for src in self.mastodon:
            seen.update(dict.fromkeys(src.tags))
        for other in (self.twitter, self.bluesky):
            if other is not None:
                seen.update(dict.fromkeys(other.tags))
        return tuple(seen)

    @property
    def title(self) -> str:
        return self.report.title or " ".join(f"#{t}" for t in self.tags[:2]) or "#hashtag"


# ---------------------------------------------------------------------------- loading


def mask_url(url: str) -> str:
    """Hide the password in a database URL.

    >>> mask_url("postgresql+psycopg://u:secret@db/x")
    'postgresql+psycopg://u:***@db/x'
    """
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_clock(text: str, setting: str) -> tuple[int, int]:
    """``"08:00"`` -> ``(8, 0)``; a :class:`ConfigError` naming ``setting`` otherwise.

    >>> parse_clock("08:05", "schedule.email_at")
    (8, 5)
    """
    try:
        h, m = (int(x) for x in text.split(":"))
        if not (0 <= h < 24 and 0 <= m < 60):
            raise ValueError
    except ValueError:
        raise ConfigError(f"{setting}: {text!r} is not a time like 08:00") from None
    return h, m


def parse_timezone(name: str, setting: str) -> tzinfo:
    """An IANA time zone (``zoneinfo.ZoneInfo``); a :class:`ConfigError` otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{setting}: {name!r} is not a time zone like Europe/Berlin") from None


def parse_weekday(text: str, setting: str) -> str:
    """``"Monday"`` or ``"mon"`` -> ``"mon"``; a :class:`ConfigError` for anything else.

    >>> parse_weekday("Sunday", "schedule.email_day")
    'sun'
    """
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    names = {d: d for d in WEEKDAYS} | {f: f[:3] for f in full}
    day = names.get(text.strip().lower())
    if day is None:
        raise ConfigError(f"{setting}: {text!r} is not a weekday name")
    return day
