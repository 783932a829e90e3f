"""Typed settings: flag > ``ECHOCHAMBER_*`` environment > TOML file > defaults.

Secrets (tokens, passwords) come only from the environment: the file names the variable that
holds a token (``token_env``), never the token.  Every scalar setting ``section.key`` can be
overridden by the variable ``ECHOCHAMBER_SECTION_KEY`` (e.g. ``ECHOCHAMBER_STORE_URL``,
``ECHOCHAMBER_CORE_SIZE``, ``ECHOCHAMBER_REPORT_EMAIL_SMTP_HOST``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_type_hints

from echochamber.errors import ConfigError

ENV_PREFIX = "ECHOCHAMBER_"
DEFAULT_CONFIG = Path("config/echochamber.toml")
SECRET_ENV = {
    "smtp_password": "ECHOCHAMBER_SMTP_PASSWORD",
    "twitter_bearer_token": "ECHOCHAMBER_TWITTER_BEARER_TOKEN",
    "bluesky_handle": "ECHOCHAMBER_BLUESKY_HANDLE",
    "bluesky_app_password": "ECHOCHAMBER_BLUESKY_APP_PASSWORD",
}
_SECRET_WORDS = re.compile(r"(^|_)(token|password|secret)$")
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


@dataclass(frozen=True)
class MastodonSource:
    instance: str
    tags: tuple[str, ...]
    since: date | None = None
    token_env: str | None = None

    def __post_init__(self) -> None:
        norm = tuple(dict.fromkeys(_norm_tag(t) for t in self.tags))
        object.__setattr__(self, "tags", norm)
        object.__setattr__(self, "instance", self.instance.rstrip("/"))

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
    null_samples: int = 100
    seed: int = 0


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

    @property
    def password(self) -> str | None:
        return os.environ.get(SECRET_ENV["smtp_password"])


@dataclass(frozen=True)
class ReportSettings:
    title: str = ""
    email: EmailSettings = field(default_factory=EmailSettings)


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


def _norm_tag(tag: str) -> str:
    from echochamber.text import normalize_tag

    return normalize_tag(tag)


def _coerce(value: Any, typ: Any, where: str) -> Any:
    text = str(typ)
    try:
        if typ is bool or text == "bool":
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            if isinstance(value, bool):
                return value
            raise ValueError(value)
        if typ is int or text == "int":
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if typ is float or text == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if text.startswith("tuple"):
            if isinstance(value, str):
                value = [v for v in (p.strip() for p in value.split(",")) if v]
            if not isinstance(value, list | tuple):
                raise ValueError(value)
            return tuple(str(v) for v in value)
        if isinstance(value, dict | list):
            raise ValueError(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {value!r} is not a valid {text}") from None


def _section(cls: type, raw: Mapping[str, Any], where: str, env: Mapping[str, str]) -> Any:
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            if _SECRET_WORDS.search(key):
                raise ConfigError(
                    f"{where}.{key}: secrets are read only from the environment; "
                    f"remove it from the file and set the environment variable instead"
                )
            raise ConfigError(f"{where}.{key}: unknown setting (known: {', '.join(sorted(known))})")
    for f in fields(cls):
        typ = hints[f.name]
        if isinstance(typ, type) and hasattr(typ, "__dataclass_fields__"):
            sub = raw.get(f.name, {})
            if not isinstance(sub, Mapping):
                raise ConfigError(f"{where}.{f.name}: expected a table")
            kwargs[f.name] = _section(typ, sub, f"{where}.{f.name}", env)
            continue
        env_name = ENV_PREFIX + f"{where}.{f.name}".upper().replace(".", "_")
        if env_name in env:
            kwargs[f.name] = _coerce(env[env_name], typ, env_name)
        elif f.name in raw:
            kwargs[f.name] = _coerce(raw[f.name], typ, f"{where}.{f.name}")
    return cls(**kwargs)


def _date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date like 2026-09-01") from None


def _mastodon_sources(raw: Any, where: str) -> tuple[MastodonSource, ...]:
    if raw is None:
        return ()
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected [[sources.mastodon]] tables")
    out = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{at}: expected a table")
        for key in item:
            if key not in ("instance", "tags", "since", "token_env"):
                hint = (
                    " (put the token in an environment variable named by token_env)"
                    if (_SECRET_WORDS.search(key))
                    else ""
                )
                raise ConfigError(f"{at}.{key}: unknown setting{hint}")
        instance = str(item.get("instance") or "").rstrip("/")
        if not re.match(r"^https?://[^/\s]+$", instance):
            raise ConfigError(
                f"{at}.instance: {instance!r} is not a server URL like https://mastodon.social"
            )
        tags = item.get("tags")
        if isinstance(tags, str):
            tags = [tags]
        if not tags or not isinstance(tags, list):
            raise ConfigError(f'{at}.tags: give at least one hashtag, e.g. tags = ["hcsm"]')
        norm = tuple(dict.fromkeys(_norm_tag(str(t)) for t in tags))
        if "" in norm:
            raise ConfigError(f"{at}.tags: empty hashtag")
        token_env = item.get("token_env")
        if token_env is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(token_env)):
            raise ConfigError(f"{at}.token_env: {token_env!r} is not an environment variable name")
        out.append(
            MastodonSource(
                instance,
                norm,
                _date(item.get("since"), f"{at}.since"),
                str(token_env) if token_env else None,
            )
        )
    return tuple(out)


def _optional_source(cls: type, raw: Any, where: str, env: Mapping[str, str]) -> Any:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table")
    raw = dict(raw)
    since = _date(raw.pop("since", None), f"{where}.since")
    obj = _section(cls, raw, where, env)
    return replace(obj, since=since, tags=tuple(_norm_tag(t) for t in obj.tags))


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The file to read: ``--config``, ``ECHOCHAMBER_CONFIG``, ``config/echochamber.toml``,
    then the user's config directory; ``None`` when there is none (defaults apply)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config {path}: no such file")
        return path
    env = os.environ.get(ENV_PREFIX + "CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"ECHOCHAMBER_CONFIG={path}: no such file")
        return path
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    from platformdirs import user_config_path

    user = user_config_path("echochamber") / "echochamber.toml"
    return user if user.is_file() else None


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings with flag > environment > file > defaults precedence.

    ``overrides`` holds command-line flags as dotted names (``{"store.url": ...}``).
    """
    env = os.environ if env is None else env
    file = find_config(path)
    raw: dict[str, Any] = {}
    if file is not None:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    where = str(file) if file else "defaults"
    known = {
        "store",
        "collect",
        "sources",
        "core",
        "graph",
        "metrics",
        "schedule",
        "report",
        "identities",
    }
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"{where}: unknown section [{key}] (known: {', '.join(sorted(known))})"
            )
    try:
        sources = raw.get("sources", {})
        if not isinstance(sources, Mapping):
            raise ConfigError("sources: expected a table")
        graph_raw = raw.get("graph", {})
        weights = graph_raw.get("weights", {}) if isinstance(graph_raw, Mapping) else {}
        identities = raw.get("identities", {})
        links: list[tuple[str, ...]] = []
        if isinstance(identities, Mapping):
            for name, handles in identities.items():
                if not isinstance(handles, list):
                    raise ConfigError(f"identities.{name}: expected a list of handles")
                links.append(tuple(str(h) for h in handles))
        settings = Settings(
            store=_section(StoreSettings, raw.get("store", {}), "store", env),
            collect=_section(CollectSettings, raw.get("collect", {}), "collect", env),
            mastodon=_mastodon_sources(sources.get("mastodon"), "sources.mastodon"),
            twitter=_optional_source(TwitterSource, sources.get("twitter"), "sources.twitter", env),
            bluesky=_optional_source(BlueskySource, sources.get("bluesky"), "sources.bluesky", env),
            core=_section(CoreSettings, raw.get("core", {}), "core", env),
            graph=_section(GraphSettings, weights, "graph.weights", env),
            metrics=_section(MetricsSettings, raw.get("metrics", {}), "metrics", env),
            schedule=_section(ScheduleSettings, raw.get("schedule", {}), "schedule", env),
            report=_section(ReportSettings, raw.get("report", {}), "report", env),
            identities=tuple(links),
            source_file=str(file) if file else None,
        )
    except ConfigError as exc:
        if file is not None and not str(exc).startswith(str(file)):
            raise ConfigError(f"{file}: {exc}") from None
        raise
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        settings = replace(
            settings, **{section: replace(getattr(settings, section), **{key: value})}
        )
    try:
        _validate(settings)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}" if file is not None else str(exc)) from None
    return settings


def _validate(s: Settings) -> None:
    if s.core.policy not in ("top-active", "list", "kcore"):
        raise ConfigError(f"core.policy: {s.core.policy!r} is not one of top-active, list, kcore")
    if s.core.size < 1:
        raise ConfigError("core.size: must be at least 1")
    if s.core.policy == "list" and not s.core.accounts:
        raise ConfigError("core.accounts: the 'list' policy needs at least one account")
    if s.report.email.security not in ("starttls", "ssl", "none"):
        raise ConfigError("report.email.security: must be starttls, ssl or none")
    if not re.match(r"^[a-z][a-z0-9+]*://", s.store.url):
        raise ConfigError(
            f"store.url: {s.store.url!r} is not a database URL like sqlite:///echochamber.db"
        )
    for name in ("collect_every", "enrich_every", "misfire_grace"):
        parse_duration(getattr(s.schedule, name), f"schedule.{name}")


def mask_url(url: str) -> str:
    """Hide the password in a database URL.

    >>> mask_url("postgresql+psycopg://u:secret@db/x")
    'postgresql+psycopg://u:***@db/x'
    """
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def shown(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets masked (``config show``)."""
    data = asdict(settings)
    data["store"]["url"] = mask_url(settings.store.url)
    for src, raw in zip(settings.mastodon, data["mastodon"], strict=True):
        raw["since"] = src.since.isoformat() if src.since else None
        raw["token"] = "***" if src.token else None
    for name in ("twitter", "bluesky"):
        if data[name] and data[name].get("since"):
            data[name]["since"] = data[name]["since"].isoformat()
    data["secrets"] = {var: ("***" if os.environ.get(var) else None) for var in SECRET_ENV.values()}
    return data
