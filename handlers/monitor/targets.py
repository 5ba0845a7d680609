"""What may be watched (IPs, ranges of at most 1,024 addresses, domains) and how it expands."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.errors import UsageError
from knowledge.loader import load

MAX_ADDRESSES = 1024  # an IPv4 /22; IPv6 ranges are held to the same number of addresses
MAX_TARGET_LENGTH = 253

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True, slots=True)
class Target:
    """A watch-list entry in canonical form: `kind` is "ip", "network" or "domain"."""

    text: str
    kind: str


def parse_target(raw: str, lang: str) -> Target:
    """Check and normalise what a user asked to watch; UsageError says what is accepted."""
    text = raw.strip().strip("[]<>").rstrip(".").lower()
    shown = raw.strip()[:80]
    if not text or len(text) > MAX_TARGET_LENGTH:
        raise UsageError(
            load().text("monitor.watch.bad_target", lang, target=shown), "usage.mailwatch"
        )
    if "/" in text:
        return _network(text, shown, lang)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return _domain(text, shown, lang)
    return Target(str(address), "ip")


def _network(text: str, shown: str, lang: str) -> Target:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise UsageError(
            load().text("monitor.watch.bad_target", lang, target=shown), "usage.mailwatch"
        ) from exc
    if network.num_addresses > MAX_ADDRESSES:
        raise UsageError(
            load().text("monitor.watch.too_large", lang, target=shown, limit=MAX_ADDRESSES),
            "usage.mailwatch",
        )
    if network.num_addresses == 1:
        return Target(str(network.network_address), "ip")
    return Target(str(network), "network")


def _domain(text: str, shown: str, lang: str) -> Target:
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UsageError(
            load().text("monitor.watch.bad_target", lang, target=shown), "usage.mailwatch"
        ) from exc
    labels = ascii_name.split(".")
    if (
        len(labels) < 2
        or len(ascii_name) > MAX_TARGET_LENGTH
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise UsageError(
            load().text("monitor.watch.bad_target", lang, target=shown), "usage.mailwatch"
        )
    return Target(ascii_name, "domain")


def expand(target: str, kind: str) -> list[str]:
    """The names queried for a target: every address of a range, else the target itself."""
    if kind != "network":
        return [target]
    network = ipaddress.ip_network(target, strict=False)
    if network.num_addresses > MAX_ADDRESSES:
        raise ValueError(f"{target} has more than {MAX_ADDRESSES} addresses")
    return [str(a) for a in network]


def is_ipv6(address: str) -> bool:
    return ":" in address


def canonical_targets(raw: Iterable[str], lang: str = "en") -> list[Target]:
    """Parse a configured list (MAILTRIAGE_WATCH), keeping the first of duplicates."""
    seen: dict[str, Target] = {}
    for item in raw:
        if item.strip():
            target = parse_target(item, lang)
            seen.setdefault(target.text, target)
    return list(seen.values())
