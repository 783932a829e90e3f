"""Typed settings: flag > ``ECHOCHAMBER_*`` environment > TOML file > defaults.

Secrets (tokens, passwords) come only from the environment: the file names the variable that
holds a token (``token_env``), never the token.  :mod:`~echochamber.config.settings` holds the
sections; :mod:`~echochamber.config.loading` reads, merges and checks them.
"""

from echochamber.config.loading import find_config, load_settings
from echochamber.config.review import shown, unknown_environment
from echochamber.config.settings import (
    SECRET_ENV,
    BlueskySource,
    CollectSettings,
    ConsentSettings,
    CoreSettings,
    EmailSettings,
    GraphSettings,
    MastodonSource,
    MetricsSettings,
    ReportSettings,
    RetentionSettings,
    ScheduleSettings,
    Settings,
    StoreSettings,
    TwitterSource,
    mask_url,
    parse_duration,
)

__all__ = [
    "SECRET_ENV",
    "BlueskySource",
    "CollectSettings",
    "ConsentSettings",
    "CoreSettings",
    "EmailSettings",
    "GraphSettings",
    "MastodonSource",
    "MetricsSettings",
    "ReportSettings",
    "RetentionSettings",
    "ScheduleSettings",
    "Settings",
    "StoreSettings",
    "TwitterSource",
    "find_config",
    "load_settings",
    "mask_url",
    "parse_duration",
    "shown",
    "unknown_environment",
]
