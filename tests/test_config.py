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
    assert data["sources"]["mastodon"][0]["token"] == "***"
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


def test_show_uses_the_files_own_names(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        '[[sources.mastodon]]\nserver = "https://a.b"\ntags=["x"]\n'
        '[graph.weights]\nfavourite = 0.5\n[report.email]\nsender = "me@a.b"\n',
    )
    data = shown(load_settings(f, env={}))
    assert data["sources"]["mastodon"][0]["server"] == "https://a.b"
    assert data["graph"]["weights"]["favourite"] == 0.5
    assert data["report"]["email"]["sender"] == "me@a.b"
    assert "mastodon" not in data and "source_file" not in data


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[report]\ntitle = "a\\nb"\n', "report.title: must be one line"),
        ('[report.email]\nsender = "a@b\\r\\nBcc: x@y"\n', "report.email.sender"),
        ('[report.email]\nrecipients = ["a@b, c@d"]\n', "report.email.recipients"),
        ('[report.email]\nsecurity = "none"\nusername = "me"\n', "allow_plaintext_auth"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
        ('[schedule]\nemail_at = "25:00"\n', "schedule.email_at"),
        ('[schedule]\nemail_day = "someday"\n', "schedule.email_day"),
    ],
)
def test_what_the_daemon_would_reject_is_rejected_on_load(
    tmp_path: Path, text: str, needle: str
) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(write(tmp_path, text), env={})


def test_plaintext_auth_needs_an_explicit_yes(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        '[report.email]\nsecurity = "none"\nusername = "me"\nallow_plaintext_auth = true\n',
    )
    assert load_settings(f, env={}).report.email.allow_plaintext_auth


def test_a_config_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "latin1.toml"
    f.write_bytes('[report]\n# caf\xe9\ntitle = "x"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.toml:2: not UTF-8"):
        load_settings(f, env={})
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b'\xef\xbb\xbf[report]\ntitle = "x"\n')
    assert load_settings(bom, env={}).report.title == "x"


def test_a_misspelled_variable_is_reported() -> None:
    from echochamber.config import Settings, unknown_environment

    env = {
        "ECHOCHAMBER_CORE_SIZ": "50",
        "ECHOCHAMBER_CORE_SIZE": "50",
        "ECHOCHAMBER_TEST_PG_URL": "x",
        "ECHOCHAMBER_SMTP_PASSWORD": "x",
        "PATH": "/bin",
    }
    [line] = unknown_environment(Settings(), env)
    assert "ECHOCHAMBER_CORE_SIZ is not a setting" in line and "ECHOCHAMBER_CORE_SIZE?" in line
