"""Loading the settings: flag > ``ECHOCHAMBER_*`` environment > TOML file > defaults.

Every scalar setting ``section.key`` can be overridden by ``ECHOCHAMBER_SECTION_KEY``; secrets
come only from the environment.  Each value is coerced to its field's type and checked, and an
error names the file, the setting and what was wrong.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_type_hints

from echochamber.config.settings import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    SECRET_WORDS,
    BlueskySource,
    CollectSettings,
    ConsentSettings,
    CoreSettings,
    GraphSettings,
    MastodonSource,
    MetricsSettings,
    ReportSettings,
    RetentionSettings,
    ScheduleSettings,
    Settings,
    StoreSettings,
    TwitterSource,
    parse_clock,
    parse_duration,
    parse_timezone,
    parse_weekday,
)
from echochamber.errors import ConfigError
from echochamber.text import normalize_tag


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
            if SECRET_WORDS.search(key):
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
        if "instance" in item and "server" not in item:  # the first releases' name
            item = {("server" if k == "instance" else k): v for k, v in item.items()}
        for key in item:
            if key not in ("server", "tags", "since", "token_env"):
                hint = (
                    " (put the token in an environment variable named by token_env)"
                    if (SECRET_WORDS.search(key))
                    else ""
                )
                raise ConfigError(f"{at}.{key}: unknown setting{hint}")
        server = str(item.get("server") or "").rstrip("/")
        if not re.match(r"^https?://[^/\s]+$", server):
            raise ConfigError(
                f"{at}.server: {server!r} is not a server URL like https://mastodon.social"
            )
        tags = item.get("tags")
        if isinstance(tags, str):
            tags = [tags]
        if not tags or not isinstance(tags, list):
            raise ConfigError(f'{at}.tags: give at least one hashtag, e.g. tags = ["hcsm"]')
        norm = tuple(dict.fromkeys(normalize_tag(str(t)) for t in tags))
        if "" in norm:
            raise ConfigError(f"{at}.tags: empty hashtag")
        token_env = item.get("token_env")
        if token_env is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(token_env)):
            raise ConfigError(f"{at}.token_env: {token_env!r} is not an environment variable name")
        out.append(
            MastodonSource(
                server,
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
    return replace(obj, since=since, tags=tuple(normalize_tag(t) for t in obj.tags))


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
            raw = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            line = file.read_bytes()[: exc.start].count(b"\n") + 1
            raise ConfigError(
                f"{file}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
            ) from None
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
        "consent",
        "retention",
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
            consent=_section(ConsentSettings, raw.get("consent", {}), "consent", env),
            retention=_section(RetentionSettings, raw.get("retention", {}), "retention", env),
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
    parse_timezone(s.core.timezone, "core.timezone")
    if s.metrics.bootstrap < 0 or s.metrics.jackknife_groups < 0:
        raise ConfigError("metrics.bootstrap and metrics.jackknife_groups: must not be negative")
    if s.report.email.security not in ("starttls", "ssl", "none"):
        raise ConfigError("report.email.security: must be starttls, ssl or none")
    if not re.match(r"^[a-z][a-z0-9+]*://", s.store.url):
        raise ConfigError(
            f"store.url: {s.store.url!r} is not a database URL like sqlite:///echochamber.db"
        )
    for name in ("collect_every", "enrich_every", "misfire_grace"):
        parse_duration(getattr(s.schedule, name), f"schedule.{name}")
    parse_timezone(s.schedule.timezone, "schedule.timezone")
    parse_clock(s.schedule.snapshot_at, "schedule.snapshot_at")
    parse_clock(s.schedule.email_at, "schedule.email_at")
    parse_weekday(s.schedule.email_day, "schedule.email_day")
    email = s.report.email
    for name, value in (("report.title", s.report.title), ("report.email.sender", email.sender)):
        if any(ch in value for ch in "\r\n\x00"):
            raise ConfigError(f"{name}: must be one line (it goes into a mail header)")
    for addr in email.recipients:
        if any(ch in addr for ch in "\r\n\x00,") or "@" not in addr:
            raise ConfigError(f"report.email.recipients: {addr!r} is not one mail address")
    if email.security == "none" and email.username and not email.allow_plaintext_auth:
        raise ConfigError(
            'report.email: security = "none" would send the password in clear; use starttls '
            "or ssl, or set allow_plaintext_auth = true for a server on this machine"
        )
    c = s.collect
    if c.contact_url and not re.match(r"^(https?://|mailto:)\S+$", c.contact_url):
        raise ConfigError(
            f"collect.contact_url: {c.contact_url!r} is not a URL like https://example.org/about"
        )
    for name in ("per_server_requests", "revisit_workers", "breaker_failures"):
        if getattr(c, name) < 1:
            raise ConfigError(f"collect.{name}: must be at least 1")
