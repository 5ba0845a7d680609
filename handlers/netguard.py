"""Keeps the SMTP probe off internal networks: which addresses and ports it may use, and how often.

connect_refusal() names why an address is off limits (None: allowed). It follows the IANA special-
purpose registries and also looks inside the IPv6 forms that carry an IPv4 address (mapped,
compatible, 6to4, Teredo, NAT64), so `::ffff:10.0.0.1` is as private as `10.0.0.1`. The reasons are
short stable codes; `refusal_text()` says them in the user's language.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

from handlers.errors import RefusedError
from handlers.request import HandlerSettings
from knowledge.loader import load

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

SMTP_PORTS = frozenset({25, 465, 587})
"""The only ports the probe ever opens, whatever the configuration says."""


def _table(*rows: tuple[str, str]) -> tuple[tuple[Network, str], ...]:
    return tuple((ip_network(net), reason) for net, reason in rows)


# Checked in order: the first match decides. Ranges that IANA marks globally reachable inside a
# larger special block (192.0.0.9/32, 2001:1::1/128...) are not worth the exception for an MX.
_V4 = _table(
    ("0.0.0.0/32", "unspecified"),
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
)
_V6 = _table(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "private"),
    ("100::/64", "reserved"),
    ("2001:2::/48", "benchmarking"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "reserved"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "private"),
    ("ff00::/8", "multicast"),
)
_MAPPED = IPv6Network("::ffff:0:0/96")
_COMPATIBLE = IPv6Network("::/96")
_NAT64 = IPv6Network("64:ff9b::/96")
_IETF = IPv6Network("2001::/23")
_GLOBAL_UNICAST = IPv6Network("2000::/3")


def _embedded(ip: IPv6Address) -> tuple[str, tuple[IPv4Address, ...]] | None:
    """The IPv4 addresses an IPv6 form carries, with the form's name; None for plain IPv6."""
    if ip in _MAPPED:
        return "ipv4-mapped", (IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip in _NAT64:
        return "nat64", (IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip in _COMPATIBLE:
        return "ipv4-compatible", (IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip.sixtofour is not None:
        return "6to4", (ip.sixtofour,)
    if ip.teredo is not None:
        return "teredo", ip.teredo
    return None


def connect_refusal(ip: Address, allow: Sequence[Network]) -> str | None:
    """None when the bot may connect to `ip`; otherwise a reason code such as `private`, `loopback`
    or `6to4:private` (an IPv6 form carrying a non-public IPv4). `allow` exempts chosen ranges."""
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    if isinstance(ip, IPv4Address):
        return next((reason for net, reason in _V4 if ip in net), None)
    ip = IPv6Address(int(ip))  # drop any %scope: it does not change which network this is
    carried = _embedded(ip)
    if carried is not None and ip not in (IPv6Address("::"), IPv6Address("::1")):
        form, inner = carried
        for v4 in inner:
            reason = connect_refusal(v4, allow)
            if reason is not None:
                return f"{form}:{reason}"
        return "ipv4-compatible" if form == "ipv4-compatible" else None
    for net, reason in _V6:
        if ip in net:
            return reason
    if ip in _IETF or ip not in _GLOBAL_UNICAST:
        return "reserved"
    return None


def refusal_text(ip: Address, reason: str, lang: str) -> str:
    """Why the bot will not connect to `ip`, in `lang` (reason codes from connect_refusal)."""
    kb = load()
    form, _, inner = reason.rpartition(":")
    what = kb.text(f"netguard.reason.{inner}", lang)
    if form:
        what = kb.text(
            "netguard.carried", lang, form=kb.text(f"netguard.form.{form}", lang), what=what
        )
    return kb.text("netguard.refused", lang, ip=shown(ip), what=what)


def shown(ip: Address) -> str:
    """`ip` as people write it: IPv4 inside the mapped and NAT64 forms stays dotted."""
    if isinstance(ip, IPv6Address):
        plain = IPv6Address(int(ip))
        for prefix, net in (("::ffff:", _MAPPED), ("64:ff9b::", _NAT64)):
            if plain in net:
                return prefix + str(IPv4Address(int(plain) & 0xFFFFFFFF))
    return str(ip)


def check_connect_allowed(
    ip: Address, settings: HandlerSettings, *, lang: str | None = None
) -> None:
    """Raise RefusedError (saying why, in `lang` or the configured language) unless `ip` may be probed."""
    reason = connect_refusal(ip, settings.probe_allow_networks)
    if reason is not None:
        raise RefusedError(refusal_text(ip, reason, lang or settings.lang))


def port_allowed(port: int, settings: HandlerSettings) -> bool:
    """True when `port` is an SMTP port (25, 465, 587) that settings.probe_ports enables."""
    return port in SMTP_PORTS and port in settings.probe_ports


def check_port_allowed(port: int, settings: HandlerSettings, *, lang: str | None = None) -> None:
    """Raise RefusedError unless `port` is 25, 465 or 587 and enabled in settings.probe_ports."""
    if not port_allowed(port, settings):
        allowed = ", ".join(str(p) for p in sorted(SMTP_PORTS & set(settings.probe_ports)))
        raise RefusedError(
            load().text("netguard.port", lang or settings.lang, port=port, allowed=allowed or "-")
        )


class RateLimiter:
    """At most `per_minute` events per key in any sliding 60-second window.

    Memory stays bounded: each key keeps at most `per_minute` timestamps, and beyond `max_keys`
    keys the least recently used one is forgotten (which can only let that key in sooner).
    """

    WINDOW = 60.0

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = 10_000,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.clock = clock
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Record an event for `key` and say whether it is within the limit (refused ones don't count)."""
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque(maxlen=self.per_minute)
        self._events.move_to_end(key)
        while events and events[0] <= now - self.WINDOW:
            events.popleft()
        if len(events) >= self.per_minute:
            return False
        events.append(now)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._events)
