"""What an adapter hands the dispatcher (a Request) and what handlers may use (a Context)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.store import Store

LANGS = ("en", "zh-TW")


@dataclass(frozen=True, slots=True)
class Request:
    """One message from a user, already unescaped from its platform's markup."""

    text: str
    user: str = "console"
    platform: str = "console"
    channel: str = "console"
    thread: str | None = None
    lang: str | None = None
    is_admin: bool = False
    explicit: bool = True
    """False for messages the bot merely overheard in a channel: those get an answer only when they
    look like a delivery failure, never a usage note."""


@dataclass(frozen=True, slots=True)
class ApplianceSettings:
    kind: str = "generic"
    url: str | None = None
    token: str | None = None
    node: str = "localhost"
    verify_tls: bool = True
    log_paths: tuple[str, ...] = ()
    max_tracks: int = 500
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class HandlerSettings:
    """The part of the configuration the handlers read; bot.config builds it from the environment."""

    lang: str = "en"
    resolvers: tuple[tuple[str, int], ...] = ()
    dns_timeout: float = 3.0
    dnsbl_zones: tuple[str, ...] = ()
    smtp_probe: bool = False
    probe_ports: tuple[int, ...] = (25, 465, 587)
    probe_timeout: float = 10.0
    probe_helo: str = "mailtriage.invalid"
    probe_allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    probe_tls_ca: str | None = None
    mta_sts_port: int = 443
    rate_limit_per_minute: int = 6
    max_paste_bytes: int = 2_000_000
    max_targets: int = 20
    handler_timeout: float = 25.0
    appliance: ApplianceSettings = field(default_factory=ApplianceSettings)


@dataclass(slots=True)
class Context:
    """Everything a handler may touch besides its arguments: settings, store and a clock."""

    settings: HandlerSettings
    store: Store
    clock: Callable[[], float] = time.time
