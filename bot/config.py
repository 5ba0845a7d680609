"""Settings from environment variables (and an optional TOML file), checked once at start.

Every setting is declared once in SETTINGS: its variable, how it is parsed, its default and a line of
help (the README's configuration table says the same). A bad value raises ConfigError naming the
variable and what it accepts.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from handlers.request import ApplianceSettings, HandlerSettings


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says what it accepts."""


def _str(value: str) -> str:
    return value.strip()


def _opt(value: str) -> str | None:
    return value.strip() or None


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _port(value: str) -> int | None:
    if not value.strip():
        return None
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError("expected a port number from 0 to 65535")
    return port


def _seconds(value: str) -> float:
    seconds = float(value)
    if seconds <= 0:
        raise ValueError("expected a positive number of seconds")
    return seconds


def _lang(value: str) -> str:
    v = value.strip()
    if v not in ("en", "zh-TW"):
        raise ValueError("expected en or zh-TW")
    return v


def _hostport(value: str, default_port: int = 53) -> tuple[str, int]:
    v = value.strip()
    if v.startswith("["):  # [::1]:5353
        host, _, rest = v[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else default_port
    elif v.count(":") == 1:
        host, _, p = v.partition(":")
        port = int(p)
    else:
        host, port = v, default_port
    ipaddress.ip_address(host)
    if not 0 < port < 65536:
        raise ValueError("port out of range")
    return host, port


def _resolvers(value: str) -> tuple[tuple[str, int], ...]:
    return tuple(_hostport(v) for v in _list(value))


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in _list(value))


def _appliance_kind(value: str) -> str:
    v = value.strip() or "generic"
    if v not in ("generic", "pmg", "mailcow", "postfix"):
        raise ValueError("expected generic, pmg, mailcow or postfix")
    return v


def default_db() -> str:
    data = Path(platformdirs.user_data_dir("mailtriage"))
    return f"sqlite:///{data / 'mailtriage.sqlite3'}"


@dataclass(frozen=True, slots=True)
class Setting:
    env: str
    attr: str
    parse: Callable[[str], Any]
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MAILTRIAGE_DB",
        "db",
        _str,
        "",
        "SQLAlchemy-style database URL: sqlite:///path or postgresql://user:pass@host/db (default: a SQLite file in the user's data directory)",
    ),
    Setting("MAILTRIAGE_LANG", "lang", _lang, "en", "default answer language: en or zh-TW"),
    Setting(
        "MAILTRIAGE_RESOLVERS",
        "resolvers",
        _resolvers,
        "",
        "comma list of recursive resolvers host[:port] (default: the system's)",
    ),
    Setting(
        "MAILTRIAGE_DNS_TIMEOUT", "dns_timeout", _seconds, "3", "seconds to wait for one DNS answer"
    ),
    Setting(
        "MAILTRIAGE_DNSBL_ZONES",
        "dnsbl_zones",
        _list,
        "",
        "comma list of blocklist zones overriding the shipped default lists",
    ),
    Setting(
        "MAILTRIAGE_HTTP_PORT",
        "http_port",
        _port,
        "",
        "port of the HTTP server (Slack events, Telegram webhook, health, metrics); empty: no server",
    ),
    Setting(
        "MAILTRIAGE_HTTP_HOST", "http_host", _str, "0.0.0.0", "address the HTTP server listens on"
    ),
    Setting(
        "MAILTRIAGE_ADMINS",
        "admins",
        _list,
        "",
        "comma list of platform:user ids allowed to change the watch list (slack:U123, telegram:42, console:*)",
    ),
    Setting(
        "MAILTRIAGE_WATCH",
        "watch",
        _list,
        "",
        "comma list of IPs, CIDR ranges (up to /22) and domains to watch on blocklists",
    ),
    Setting(
        "MAILTRIAGE_MONITOR_INTERVAL",
        "monitor_interval",
        _seconds,
        "900",
        "seconds between blocklist sweeps (jitter is added)",
    ),
    Setting(
        "MAILTRIAGE_MONITOR",
        "monitor_enabled",
        _bool,
        "true",
        "run the blocklist monitor inside `serve`",
    ),
    Setting(
        "MAILTRIAGE_SMTP_PROBE",
        "smtp_probe",
        _bool,
        "false",
        "allow /mailcheck to open an SMTP session to the best MX",
    ),
    Setting(
        "MAILTRIAGE_PROBE_ALLOW",
        "probe_allow",
        _networks,
        "",
        "private networks the SMTP probe may connect to anyway (tests: 127.0.0.0/8)",
    ),
    Setting(
        "MAILTRIAGE_PROBE_HELO",
        "probe_helo",
        _str,
        "mailtriage.invalid",
        "host name the probe gives in EHLO",
    ),
    Setting(
        "MAILTRIAGE_PROBE_CA",
        "probe_ca",
        _opt,
        "",
        "extra CA bundle for verifying probed certificates",
    ),
    Setting(
        "MAILTRIAGE_MTA_STS_PORT",
        "mta_sts_port",
        _port,
        "443",
        "HTTPS port the MTA-STS policy is fetched from",
    ),
    Setting(
        "MAILTRIAGE_RATE_LIMIT",
        "rate_limit",
        int,
        "6",
        "/mailcheck and /mailtrack requests per user per minute",
    ),
    Setting("MAILTRIAGE_MAX_PASTE", "max_paste", int, "2000000", "largest paste read, in bytes"),
    Setting(
        "MAILTRIAGE_LOG_LEVEL", "log_level", _str, "INFO", "log level: DEBUG, INFO, WARNING, ERROR"
    ),
    Setting(
        "SLACK_BOT_TOKEN",
        "slack_bot_token",
        _opt,
        "",
        "Slack bot token (xoxb-...): enables the Slack adapter",
    ),
    Setting(
        "SLACK_APP_TOKEN",
        "slack_app_token",
        _opt,
        "",
        "Slack app-level token (xapp-...): Socket Mode instead of HTTP",
    ),
    Setting(
        "SLACK_SIGNING_SECRET", "slack_signing_secret", _opt, "", "Slack signing secret (HTTP mode)"
    ),
    Setting(
        "SLACK_API_URL",
        "slack_api_url",
        _str,
        "https://slack.com/api/",
        "Slack Web API base URL (tests point it at a local fake)",
    ),
    Setting(
        "SLACK_ALERT_CHANNEL", "slack_alert_channel", _opt, "", "channel id for blocklist alerts"
    ),
    Setting(
        "SLACK_ALLOWED_TEAMS",
        "slack_allowed_teams",
        _list,
        "",
        "workspace ids allowed to use the bot (empty: any)",
    ),
    Setting(
        "SLACK_ALLOWED_CHANNELS",
        "slack_allowed_channels",
        _list,
        "",
        "channel ids allowed to use the bot (empty: any)",
    ),
    Setting(
        "SLACK_ALLOWED_USERS",
        "slack_allowed_users",
        _list,
        "",
        "user ids allowed to use the bot (empty: any)",
    ),
    Setting(
        "SLACK_WATCH_CHANNELS",
        "slack_watch_channels",
        _list,
        "",
        "channels whose pasted bounces are answered unasked (empty: every channel the bot is in)",
    ),
    Setting(
        "TELEGRAM_BOT_TOKEN",
        "telegram_bot_token",
        _opt,
        "",
        "Telegram bot token: enables the Telegram adapter",
    ),
    Setting(
        "TELEGRAM_API_URL",
        "telegram_api_url",
        _str,
        "https://api.telegram.org/bot",
        "Bot API base URL (tests point it at a local fake)",
    ),
    Setting(
        "TELEGRAM_WEBHOOK_SECRET",
        "telegram_webhook_secret",
        _opt,
        "",
        "secret token of the webhook; set with TELEGRAM_WEBHOOK_URL for webhook mode",
    ),
    Setting(
        "TELEGRAM_WEBHOOK_URL",
        "telegram_webhook_url",
        _opt,
        "",
        "public URL of /telegram/webhook (webhook mode; else long polling)",
    ),
    Setting(
        "TELEGRAM_ALERT_CHAT",
        "telegram_alert_chat",
        _opt,
        "",
        "chat id for blocklist alerts, optionally chat:topic",
    ),
    Setting(
        "TELEGRAM_ALLOWED_CHATS",
        "telegram_allowed_chats",
        _list,
        "",
        "chat ids allowed to use the bot (empty: any)",
    ),
    Setting(
        "TELEGRAM_ALLOWED_USERS",
        "telegram_allowed_users",
        _list,
        "",
        "user ids allowed to use the bot (empty: any)",
    ),
    Setting(
        "MAILTRIAGE_APPLIANCE_URL", "appliance_url", _opt, "", "base URL of the mail appliance API"
    ),
    Setting(
        "MAILTRIAGE_APPLIANCE_KIND",
        "appliance_kind",
        _appliance_kind,
        "generic",
        "generic, pmg, mailcow or postfix",
    ),
    Setting(
        "MAILTRIAGE_APPLIANCE_TOKEN",
        "appliance_token",
        _opt,
        "",
        "API token (generic: bearer; mailcow: X-API-Key; pmg: user:password or a ticket)",
    ),
    Setting(
        "MAILTRIAGE_APPLIANCE_NODE",
        "appliance_node",
        _str,
        "localhost",
        "Proxmox Mail Gateway node name",
    ),
    Setting(
        "MAILTRIAGE_APPLIANCE_VERIFY_TLS",
        "appliance_verify_tls",
        _bool,
        "true",
        "verify the appliance's TLS certificate",
    ),
    Setting(
        "MAILTRIAGE_APPLIANCE_LOGS",
        "appliance_logs",
        _list,
        "",
        "postfix kind: comma list of mail log files to read",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = ""
    lang: str = "en"
    resolvers: tuple[tuple[str, int], ...] = ()
    dns_timeout: float = 3.0
    dnsbl_zones: tuple[str, ...] = ()
    http_port: int | None = None
    http_host: str = "0.0.0.0"
    admins: tuple[str, ...] = ()
    watch: tuple[str, ...] = ()
    monitor_interval: float = 900.0
    monitor_enabled: bool = True
    smtp_probe: bool = False
    probe_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    probe_helo: str = "mailtriage.invalid"
    probe_ca: str | None = None
    mta_sts_port: int | None = 443
    rate_limit: int = 6
    max_paste: int = 2_000_000
    log_level: str = "INFO"
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_alert_channel: str | None = None
    slack_allowed_teams: tuple[str, ...] = ()
    slack_allowed_channels: tuple[str, ...] = ()
    slack_allowed_users: tuple[str, ...] = ()
    slack_watch_channels: tuple[str, ...] = ()
    telegram_bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: str | None = None
    telegram_webhook_url: str | None = None
    telegram_alert_chat: str | None = None
    telegram_allowed_chats: tuple[str, ...] = ()
    telegram_allowed_users: tuple[str, ...] = ()
    appliance_url: str | None = None
    appliance_kind: str = "generic"
    appliance_token: str | None = None
    appliance_node: str = "localhost"
    appliance_verify_tls: bool = True
    appliance_logs: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    def is_admin(self, platform: str, user: str) -> bool:
        return f"{platform}:{user}" in self.admins or f"{platform}:*" in self.admins

    def handler_settings(self) -> HandlerSettings:
        return HandlerSettings(
            lang=self.lang,
            resolvers=self.resolvers,
            dns_timeout=self.dns_timeout,
            dnsbl_zones=self.dnsbl_zones,
            smtp_probe=self.smtp_probe,
            probe_helo=self.probe_helo,
            probe_allow_networks=self.probe_allow,
            probe_tls_ca=self.probe_ca,
            mta_sts_port=self.mta_sts_port or 443,
            rate_limit_per_minute=self.rate_limit,
            max_paste_bytes=self.max_paste,
            appliance=ApplianceSettings(
                kind=self.appliance_kind,
                url=self.appliance_url,
                token=self.appliance_token,
                node=self.appliance_node,
                verify_tls=self.appliance_verify_tls,
                log_paths=self.appliance_logs,
            ),
        )


def _file_values(path: str) -> dict[str, str]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"MAILTRIAGE_CONFIG: cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"MAILTRIAGE_CONFIG: {path} is not valid TOML: {exc}") from exc
    known = {s.env for s in SETTINGS}
    out = {}
    for key, value in data.items():
        name = key.upper()
        if name not in known:
            raise ConfigError(f"MAILTRIAGE_CONFIG: {path}: unknown setting `{key}`")
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[name] = str(value)
    return out


def load_settings(environ: Mapping[str, str] | None = None, **overrides: str) -> Settings:
    """Read and check every setting; `overrides` (by variable name) win over the environment."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, str] = {}
    if env.get("MAILTRIAGE_CONFIG"):
        values.update(_file_values(env["MAILTRIAGE_CONFIG"]))
    values.update({k: v for k, v in env.items() if k in {s.env for s in SETTINGS}})
    values.update(overrides)
    kwargs: dict[str, Any] = {}
    for s in SETTINGS:
        raw = values.get(s.env, s.default)
        try:
            kwargs[s.attr] = s.parse(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{s.env}: `{raw}` is not valid ({exc}); expected: {s.help}") from exc
    if not kwargs["db"]:
        kwargs["db"] = default_db()
    settings = Settings(**kwargs)
    _check_combinations(settings)
    return settings


def _check_combinations(s: Settings) -> None:
    if s.slack_enabled and not s.slack_app_token and not s.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    if s.slack_enabled and not s.slack_app_token and s.http_port is None:
        raise ConfigError("MAILTRIAGE_HTTP_PORT: Slack HTTP mode needs a port to receive events on")
    if s.telegram_webhook_url and not s.telegram_webhook_secret:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set")
    if s.telegram_webhook_url and s.http_port is None:
        raise ConfigError("MAILTRIAGE_HTTP_PORT: the Telegram webhook needs a port to listen on")
    url = s.appliance_url
    if s.appliance_kind != "postfix" and url and not url.startswith(("http://", "https://")):
        raise ConfigError("MAILTRIAGE_APPLIANCE_URL: expected an http:// or https:// URL")
    if not (
        s.db.startswith("sqlite:") or s.db.startswith(("postgresql:", "postgres:", "postgresql+"))
    ):
        raise ConfigError(
            "MAILTRIAGE_DB: expected sqlite:///path or postgresql://user:pass@host/db"
        )


def setting_names() -> list[str]:
    return [s.env for s in SETTINGS]


assert {s.attr for s in SETTINGS} <= {f.name for f in fields(Settings)}
