"""Reviewing the effective settings: ``config show``'s view and the environment check."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, get_type_hints

from echochamber.config.settings import (
    ENV_PREFIX,
    SECRET_ENV,
    BlueskySource,
    CollectSettings,
    ConsentSettings,
    CoreSettings,
    GraphSettings,
    MetricsSettings,
    ReportSettings,
    RetentionSettings,
    ScheduleSettings,
    Settings,
    StoreSettings,
    TwitterSource,
    mask_url,
)


def shown(settings: Settings) -> dict[str, Any]:
    """The effective settings in the file's own layout and names, secrets masked.

    ``config show`` prints this: ``[[sources.mastodon]]`` tables under ``sources``, the kind
    weights under ``graph.weights``, the email under ``report.email``; tokens and passwords
    appear only as ``***`` (set) or ``None``.
    """
    data = asdict(settings)

    def dated(d: dict[str, Any] | None) -> dict[str, Any] | None:
        if d is not None and d.get("since"):
            d["since"] = d["since"].isoformat()
        return d

    mastodon = []
    for src, raw in zip(settings.mastodon, data["mastodon"], strict=True):
        raw = dated(raw) or {}
        raw["token"] = "***" if src.token else None
        mastodon.append(raw)
    return {
        "store": {"url": mask_url(settings.store.url)},
        "collect": data["collect"],
        "sources": {
            "mastodon": mastodon,
            "twitter": dated(data["twitter"]),
            "bluesky": dated(data["bluesky"]),
        },
        "core": data["core"],
        "graph": {"weights": data["graph"]},
        "metrics": data["metrics"],
        "schedule": data["schedule"],
        "report": data["report"],
        "consent": data["consent"],
        "retention": data["retention"],
        "identities": [list(group) for group in settings.identities],
        "secrets": {var: ("***" if os.environ.get(var) else None) for var in SECRET_ENV.values()},
    }


def _env_names(cls: type, where: str) -> set[str]:
    names: set[str] = set()
    hints = get_type_hints(cls)
    for f in fields(cls):
        typ = hints[f.name]
        if isinstance(typ, type) and hasattr(typ, "__dataclass_fields__"):
            names |= _env_names(typ, f"{where}.{f.name}")
        else:
            names.add(ENV_PREFIX + f"{where}.{f.name}".upper().replace(".", "_"))
    return names


def unknown_environment(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """One line for each ``ECHOCHAMBER_*`` variable that names no setting and no secret.

    A misspelled override is otherwise silently ignored.  Variables a source names for its
    token, ``ECHOCHAMBER_CONFIG`` and the test suite's ``ECHOCHAMBER_TEST_*`` are known.
    """
    import difflib

    known = {ENV_PREFIX + "CONFIG", *SECRET_ENV.values()}
    for cls, where in (
        (StoreSettings, "store"),
        (CollectSettings, "collect"),
        (CoreSettings, "core"),
        (GraphSettings, "graph.weights"),
        (MetricsSettings, "metrics"),
        (ScheduleSettings, "schedule"),
        (ReportSettings, "report"),
        (ConsentSettings, "consent"),
        (RetentionSettings, "retention"),
        (TwitterSource, "sources.twitter"),
        (BlueskySource, "sources.bluesky"),
    ):
        known |= _env_names(cls, where)
    known |= {m.token_env for m in settings.mastodon if m.token_env}
    for src in (settings.twitter, settings.bluesky):
        if src is not None:
            known |= {v for k, v in vars(src).items() if k.endswith("_env") and v}
    out = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        if name.startswith(ENV_PREFIX + "TEST_"):
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        out.append(f"{name} is not a setting and is ignored{hint}")
    return out
