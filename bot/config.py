"""Settings from environment variables (and an optional TOML file), checked once at start.

Every setting is declared once in SETTINGS: its variable, how it is parsed, its default and a line of
help (the README's configuration table says the same). A bad value raises ConfigError naming the
variable and what it accepts.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from handlers.request import ApplianceSettings, HandlerSettings
from knowledge.cache import read_toml


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


def user_data_dir() -> Path:
    """platformdirs' user_data_dir for mailtriage (on Linux the XDG rule, read without the import)."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
        return Path(base) / "mailtriage"
    import platformdirs

    return Path(platformdirs.user_data_dir("mailtriage"))


def default_db() -> str:
    return f"sqlite:///{user_data_dir() / 'mailtriage.sqlite3'}"


PARSERS: dict[str, Callable[[str], Any]] = {
    "str": _str,
    "optional": _opt,
    "list": _list,
    "bool": _bool,
    "port": _port,
    "seconds": _seconds,
    "int": int,
    "lang": _lang,
    "resolvers": _resolvers,
    "networks": _networks,
    "appliance_kind": _appliance_kind,
}


@dataclass(frozen=True, slots=True)
class Setting:
    env: str
    attr: str
    parse: Callable[[str], Any]
    default: str
    help: str


def _declared() -> tuple[Setting, ...]:
    table = read_toml(Path(__file__).parent / "settings.toml")  # parsed once per edit, then cached
    return tuple(
        Setting(
            env=env,
            attr=spec.get("attr", env.lower().removeprefix("mailtriage_")),
            parse=PARSERS[spec["type"]],
            default=spec["default"],
            help=spec["help"],
        )
        for env, spec in table.items()
    )


SETTINGS: tuple[Setting, ...] = _declared()


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
    alert_max_refusals: int = 5
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
    import tomllib

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
