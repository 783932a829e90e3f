"""Settings: precedence flag > environment > file > defaults, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from echochamber.config import load_settings, mask_url, parse_duration, shown
from echochamber.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "echochamber.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_example_file_documents_every_setting_and_loads() -> None:
    s = load_settings(EXAMPLE, env={})
    assert s.mastodon[0].server == "https://mastodon.social"
    assert s.mastodon[0].tags == ("hcsm", "hcsmca")
    assert s.mastodon[0].since is not None and s.mastodon[0].since.isoformat() == "2026-09-01"
    assert s.core.policy == "top-active" and s.core.size == 100 and s.core.window_weeks == 12
    assert s.schedule.timezone == "America/Chicago"
    assert s.report.email.security == "starttls"
    text = EXAMPLE.read_text()
    for section in (
        "[store]",
        "[collect]",
        "[[sources.mastodon]]",
        "[core]",
        "[graph.weights]",
        "[metrics]",
        "[schedule]",
        "[report.email]",
    ):
        assert section in text


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    f = write(tmp_path, '[store]\nurl = "sqlite:///file.db"\n[core]\nsize = 50\n')
    assert load_settings(f, env={}).store.url == "sqlite:///file.db"
    assert load_settings(f, env={}).core.size == 50
    env = {"ECHOCHAMBER_STORE_URL": "sqlite:///env.db", "ECHOCHAMBER_CORE_SIZE": "70"}
    s = load_settings(f, env=env)
    assert (s.store.url, s.core.size) == ("sqlite:///env.db", 70)
    s = load_settings(f, env=env, overrides={"store.url": "sqlite:///flag.db"})
    assert s.store.url == "sqlite:///flag.db"
    assert load_settings(write(tmp_path, ""), env={}).core.size == 100


def test_tags_are_normalised(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        '[[sources.mastodon]]\nserver = "http://127.0.0.1:9"\ntags = ["#HCSM", "hcsm", "HcsmCA"]\n',
    )
    assert load_settings(f, env={}).mastodon[0].tags == ("hcsm", "hcsmca")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '[[sources.mastodon]]\nserver = "mastodon.social"\ntags=["x"]\n',
            "sources.mastodon[0].server",
        ),
        ('[[sources.mastodon]]\nserver = "https://a.b"\ntags=[]\n', "sources.mastodon[0].tags"),
        (
            '[[sources.mastodon]]\nserver = "https://a.b"\ntags=["x"]\ntoken = "abc"\n',
            "token_env",
        ),
        ('[report.email]\npassword = "hunter2"\n', "environment"),
        ('[core]\nsize = "many"\n', "core.size"),
        ('[core]\npolicy = "random"\n', "core.policy"),
        ("[nonsense]\n", "unknown section"),
        ("[store\n", "not valid TOML"),
        ('[schedule]\ncollect_every = "soon"\n', "schedule.collect_every"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, text: str, needle: str) -> None:
    f = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(f, env={})
    assert needle in str(err.value)
    assert str(f) in str(err.value)
    assert "hunter2" not in str(err.value) and "abc" not in str(err.value)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.toml", env={})


def test_show_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(
        tmp_path,
        '[store]\nurl = "postgresql+psycopg://u:pw@db/x"\n'
        '[[sources.mastodon]]\nserver = "https://a.b"\ntags=["x"]\n'
        'token_env = "MY_TOKEN"\n',
    )
    monkeypatch.setenv("MY_TOKEN", "s3cr3t-token")
    monkeypatch.setenv("ECHOCHAMBER_SMTP_PASSWORD", "mailpw")
    data = shown(load_settings(f))
    flat = repr(data)
    assert "s3cr3t-token" not in flat and "mailpw" not in flat and ":pw@" not in flat
    assert data["mastodon"][0]["token"] == "***"
    assert data["secrets"]["ECHOCHAMBER_SMTP_PASSWORD"] == "***"


def test_durations_and_masking() -> None:
    assert parse_duration("15m") == 900
    assert parse_duration("1.5h") == 5400
    with pytest.raises(ConfigError):
        parse_duration("fortnight")
    assert mask_url("sqlite:///x.db") == "sqlite:///x.db"


def test_the_old_instance_key_still_names_a_server(tmp_path: Path) -> None:
    """Configs of the first releases said ``instance``; they keep working, as ``server``."""
    f = tmp_path / "old.toml"
    f.write_text('[[sources.mastodon]]\ninstance = "https://a.example/"\ntags = ["hcsm"]\n')
    assert load_settings(f, env={}).mastodon[0].server == "https://a.example"
