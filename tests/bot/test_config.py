"""Settings are read from the environment and a TOML file, and bad ones are named clearly."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from bot.config import SETTINGS, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_tokens_and_use_a_local_sqlite_file() -> None:
    s = load_settings({})
    assert s.db.startswith("sqlite:///") and s.db.endswith(".sqlite3")
    assert not s.slack_enabled and not s.telegram_enabled
    assert s.lang == "en" and s.http_port is None


def test_the_names_the_issues_promise_exist() -> None:
    names = {s.env for s in SETTINGS}
    for name in [
        "MAILTRIAGE_DB",
        "MAILTRIAGE_RESOLVERS",
        "MAILTRIAGE_DNSBL_ZONES",
        "MAILTRIAGE_LANG",
        "MAILTRIAGE_HTTP_PORT",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "SLACK_ALERT_CHANNEL",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_ALERT_CHAT",
        "MAILTRIAGE_APPLIANCE_URL",
        "MAILTRIAGE_APPLIANCE_KIND",
        "MAILTRIAGE_APPLIANCE_TOKEN",
        "MAILTRIAGE_WATCH",
    ]:
        assert name in names


def test_values_are_parsed() -> None:
    s = load_settings(
        {
            "MAILTRIAGE_RESOLVERS": "127.0.0.1:5353, [::1]:53, 10.0.0.1",
            "MAILTRIAGE_DNSBL_ZONES": "zen.spamhaus.org,bl.spamcop.net",
            "MAILTRIAGE_HTTP_PORT": "8080",
            "MAILTRIAGE_LANG": "zh-TW",
            "MAILTRIAGE_PROBE_ALLOW": "127.0.0.0/8",
            "MAILTRIAGE_SMTP_PROBE": "yes",
        }
    )
    assert s.resolvers == (("127.0.0.1", 5353), ("::1", 53), ("10.0.0.1", 53))
    assert s.dnsbl_zones == ("zen.spamhaus.org", "bl.spamcop.net")
    assert s.http_port == 8080 and s.lang == "zh-TW" and s.smtp_probe
    assert s.probe_allow == (ipaddress.ip_network("127.0.0.0/8"),)
    assert s.handler_settings().resolvers == s.resolvers


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MAILTRIAGE_HTTP_PORT": "eighty"}, "MAILTRIAGE_HTTP_PORT"),
        ({"MAILTRIAGE_HTTP_PORT": "70000"}, "MAILTRIAGE_HTTP_PORT"),
        ({"MAILTRIAGE_RESOLVERS": "dns.google"}, "MAILTRIAGE_RESOLVERS"),
        ({"MAILTRIAGE_LANG": "fr"}, "MAILTRIAGE_LANG"),
        ({"MAILTRIAGE_SMTP_PROBE": "maybe"}, "MAILTRIAGE_SMTP_PROBE"),
        ({"MAILTRIAGE_DB": "mysql://x"}, "MAILTRIAGE_DB"),
        ({"MAILTRIAGE_APPLIANCE_KIND": "exchange"}, "MAILTRIAGE_APPLIANCE_KIND"),
        ({"MAILTRIAGE_APPLIANCE_URL": "ftp://x"}, "MAILTRIAGE_APPLIANCE_URL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "MAILTRIAGE_HTTP_PORT"),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert str(err.value).startswith(named)


def test_a_toml_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "mailtriage.toml"
    path.write_text('mailtriage_lang = "zh-TW"\nmailtriage_watch = ["192.0.2.1", "example.com"]\n')
    s = load_settings({"MAILTRIAGE_CONFIG": str(path)})
    assert s.lang == "zh-TW" and s.watch == ("192.0.2.1", "example.com")
    s = load_settings({"MAILTRIAGE_CONFIG": str(path), "MAILTRIAGE_LANG": "en"})
    assert s.lang == "en"


def test_a_bad_toml_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("mailtriage_lang = \n")
    with pytest.raises(ConfigError, match="MAILTRIAGE_CONFIG"):
        load_settings({"MAILTRIAGE_CONFIG": str(path)})
    path.write_text('no_such_setting = "1"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"MAILTRIAGE_CONFIG": str(path)})


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []
