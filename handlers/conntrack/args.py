"""Reads `/mailtrack` arguments: `alex@example.com [since 2h] [inbound|outbound|pop3|imap] [failed]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.errors import UsageError
from knowledge.loader import load

DEFAULT_WINDOW = 24 * 3600
MAX_DAYS = 31
MAX_ARGS = 300
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d{1,6})\s*([smhdw])$", re.I)
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[^@\s<>\"(),;:]{1,253}\.[^@\s<>\"(),;:.]{1,63}$")


@dataclass(frozen=True, slots=True)
class TrackArgs:
    address: str
    since_seconds: int = DEFAULT_WINDOW
    direction: str | None = None
    protocol: str | None = None
    failed_only: bool = False


def parse_duration(value: str, lang: str = "en") -> int:
    """Seconds in `2h`, `90m`, `3d`, `1w`; UsageError when malformed, zero or over MAX_DAYS."""
    m = _DURATION.match(value.strip())
    seconds = int(m.group(1)) * _UNITS[m.group(2).lower()] if m else 0
    if not 0 < seconds <= MAX_DAYS * 86400:
        raise UsageError(
            load().text("conntrack.usage.bad_since", lang, value=value, limit=MAX_DAYS)
        )
    return seconds


def parse_address(value: str, lang: str = "en") -> str:
    address = value.strip().strip("<>").removeprefix("mailto:").lower()
    if not _ADDRESS.match(address):
        raise UsageError(load().text("conntrack.usage.bad_address", lang, value=value[:80]))
    return address


def parse_args(text: str, lang: str = "en") -> TrackArgs:
    words = text[:MAX_ARGS].split()
    if not words:
        raise UsageError(load().text("conntrack.usage.no_address", lang))
    address = parse_address(words[0], lang)
    since, direction, protocol, failed = DEFAULT_WINDOW, None, None, False
    rest = iter(words[1:])
    for word in rest:
        low = word.lower()
        if low == "since":
            since = parse_duration(next(rest, ""), lang)
        elif low.startswith("since") or _DURATION.match(low):
            since = parse_duration(low.removeprefix("since").lstrip("=:"), lang)
        elif low in ("inbound", "outbound", "local"):
            direction = low
        elif low in ("pop3", "imap", "smtp"):
            protocol = low
        elif low in ("failed", "failures", "fail"):
            failed = True
        else:
            raise UsageError(load().text("conntrack.usage.unknown_word", lang, value=word[:40]))
    return TrackArgs(address, since, direction, protocol, failed)


def window_text(seconds: int) -> str:
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
