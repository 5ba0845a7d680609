"""The DNS blocklist engine: which lists to ask, how to ask them in bulk, and what answers mean.

Each return code is read with the knowledge base (handlers.dnsbl_codes): an answer is `listed` when
one of its codes is a listing, `clear` on NXDOMAIN or when its codes are no bad mark (allowlist,
good reputation: the codes are kept so their meaning can be shown), and `unknown` with the reason
when a code is a refusal, rate-limit or error code, outside 127.0.0.0/8 or undocumented, and on
SERVFAIL or timeouts. /mailcheck and the monitor word the meanings and delisting URLs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

import dns.rcode

from handlers.dns import nameservers
from handlers.dns_udp import BAD_NAME, TIMEOUT, Answer, UdpQuerier
from handlers.dnsbl_codes import ERROR, LISTED, read_code, text, why_of
from handlers.request import HandlerSettings
from knowledge.loader import load
from knowledge.model import Blocklist, Text

A, TXT = 1, 16
_DOMAIN_HINTS = ("dbl", "rhsbl", "uribl", "surbl", "dblack", "fresh", "dnsbl-domain")
_KEYED = (".dq.spamhaus.net", ".abusix.zone")  # zones asked as <key>.<zone>


@dataclass(frozen=True)
class Listing:
    """One target on one list: state listed / clear / unknown; `why` explains an unknown.

    `codes` are the answer's return codes: a listing's, an unknown's, or the no-bad-mark codes of a
    clear answer (an allowlist entry); NXDOMAIN is clear without codes.
    """

    target: str
    zone: str
    state: str
    codes: tuple[str, ...] = ()
    txt: str = ""
    why: str = ""


@dataclass(frozen=True)
class ZoneHealth:
    """Whether a list passes its RFC 5782 self-test (127.0.0.2 / `test` listed, 127.0.0.1 not)."""

    zone: str
    ok: bool
    why: str = ""


def generic_blocklist(zone: str, kind: str) -> Blocklist:
    """A list the knowledge base does not know: any 127.0.0.x is a listing, 127.255.255.x an error."""
    return Blocklist(
        zone=zone,
        type=kind,
        operator="",
        codes=(),
        error_codes=(),
        delist_url="",
        default=False,
        description=Text(en=zone, zh_tw=zone),
        ipv6=True,
    )


def guess_kind(zone: str) -> str:
    """ip or domain for a zone name the knowledge base does not know (dbl, uribl... are domain)."""
    labels = zone.split(".")[:-1]
    return "domain" if any(h in label for label in labels for h in _DOMAIN_HINTS) else "ip"


def blocklist_for(zone: str) -> Blocklist:
    """The knowledge of `zone`: its own entry, the list behind a keyed zone, or a generic list.

    Keyed zones are read as the list they serve: <key>.zrd.dq.spamhaus.net as zrd.dq.spamhaus.net,
    <key>.zen.dq.spamhaus.net as zen.spamhaus.org, <key>.combined.mail.abusix.zone as
    combined.mail.abusix.zone.
    """
    known = load().blocklists
    zone = zone.strip().lower().rstrip(".")
    if zone in known:
        return known[zone]
    if zone.endswith(_KEYED) and "." in zone:
        served = zone.split(".", 1)[1]
        base = known.get(served) or known.get(served.replace(".dq.spamhaus.net", ".spamhaus.org"))
        if base is not None:
            return replace(base, zone=zone, default=False)
    return generic_blocklist(zone, guess_kind(zone))


def zones_for(settings: HandlerSettings, kind: str) -> list[Blocklist]:
    """The lists to ask for `kind` (ip or domain): settings.dnsbl_zones if set, else the defaults."""
    if not settings.dnsbl_zones:
        return [b for b in load().blocklists.values() if b.default and b.type == kind]
    chosen = []
    for zone in dict.fromkeys(z.strip().lower().rstrip(".") for z in settings.dnsbl_zones):
        blocklist = blocklist_for(zone)
        if zone and blocklist.type == kind:
            chosen.append(blocklist)
    return chosen


def target_kind(target: str) -> str:
    try:
        ipaddress.ip_address(target)
    except ValueError:
        return "domain"
    return "ip"


def query_name(target: str, zone: str) -> str:
    """The name to ask: reversed IPv4 octets, reversed IPv6 nibbles, or the domain, then the zone."""
    try:
        ip = ipaddress.ip_address(target)
    except ValueError:
        return f"{target.strip().rstrip('.').lower()}.{zone}"
    if ip.version == 4:
        return ".".join(reversed(str(ip).split("."))) + "." + zone
    return ".".join(reversed(ip.exploded.replace(":", ""))) + "." + zone


def judge(target: str, blocklist: Blocklist, answer: Answer, txt: Answer | None) -> Listing:
    """Read one A answer (and the TXT asked for a listing) as listed, clear or unknown."""
    zone = blocklist.zone
    if answer.rcode == TIMEOUT:
        return Listing(target, zone, "unknown", why=text("dnsbl.why.timeout").en)
    if answer.rcode == BAD_NAME:
        return Listing(target, zone, "unknown", why=text("dnsbl.why.bad_name").en)
    if answer.rcode == dns.rcode.NXDOMAIN or (answer.rcode == 0 and not answer.addresses):
        return Listing(target, zone, "clear")
    if answer.rcode != 0:
        return Listing(
            target, zone, "unknown", why=dns.rcode.to_text(dns.rcode.Rcode(answer.rcode))
        )
    codes = tuple(sorted(set(answer.addresses), key=_address_order))
    readings = [read_code(blocklist, c) for c in codes]
    errors = [r for r in readings if r.kind == ERROR]
    if errors:
        return Listing(target, zone, "unknown", codes, why=why_of(errors))
    if not any(r.kind == LISTED for r in readings):
        return Listing(target, zone, "clear", codes)
    reason = " | ".join(dict.fromkeys(txt.texts)) if txt is not None else ""
    return Listing(target, zone, "listed", codes, reason[:1000])


def _address_order(code: str) -> tuple[int, str]:
    try:
        return int(ipaddress.IPv4Address(code)), ""
    except ValueError:
        return -1, code


class DnsblClient:
    """Asks many (target, list) pairs at once through the configured resolvers; close() when done."""

    def __init__(self, settings: HandlerSettings, *, in_flight: int = 128) -> None:
        self.udp = UdpQuerier(
            nameservers(settings), timeout=settings.dns_timeout, in_flight=in_flight
        )

    async def lookup(self, targets: Sequence[str], zones: Sequence[Blocklist]) -> list[Listing]:
        """Every target on every list of its kind (IP lists for addresses, domain lists else)."""
        pairs: list[tuple[str, Blocklist]] = []
        names: list[tuple[str, int]] = []
        for target in targets:
            kind, prefix = target_kind(target), query_name(target, "")
            for zone in zones:
                if zone.type == kind and _fits(target, zone):
                    pairs.append((target, zone))
                    names.append((prefix + zone.zone, A))
        answers = await self.udp.query_many(names)
        want_txt = [
            i
            for i, (a, (t, z)) in enumerate(zip(answers, pairs, strict=True))
            if a.rcode == 0 and a.addresses and z.txt and judge(t, z, a, None).state == "listed"
        ]
        texts = await self.udp.query_many([(names[i][0], TXT) for i in want_txt])
        txt_of = dict(zip(want_txt, texts, strict=True))
        return [judge(t, z, answers[i], txt_of.get(i)) for i, (t, z) in enumerate(pairs)]

    async def health(self, zones: Sequence[Blocklist]) -> list[ZoneHealth]:
        """RFC 5782 test points: 127.0.0.2 (`test`) must be listed, 127.0.0.1 (`invalid`) not."""
        points = [
            ("127.0.0.2", "127.0.0.1") if z.type == "ip" else ("test", "invalid") for z in zones
        ]
        answers = await self.udp.query_many(
            [
                (query_name(p, z.zone), A)
                for z, pair in zip(zones, points, strict=True)
                for p in pair
            ]
        )
        return [
            _health(
                zone,
                judge(listed, zone, answers[2 * i], None),
                judge(clear, zone, answers[2 * i + 1], None),
            )
            for i, (zone, (listed, clear)) in enumerate(zip(zones, points, strict=True))
        ]

    async def close(self) -> None:
        await self.udp.close()


def _health(zone: Blocklist, positive: Listing, negative: Listing) -> ZoneHealth:
    """The test point must be answered (an allowlist answers it with a no-bad-mark code)."""
    if positive.state == "unknown":
        point = text("dnsbl.health.point", point=positive.target).en
        return ZoneHealth(zone.zone, False, point + positive.why)
    if not positive.codes:
        return ZoneHealth(
            zone.zone, False, text("dnsbl.health.not_listed", point=positive.target).en
        )
    if negative.codes and negative.state != "unknown":
        everything = text("dnsbl.health.everything", point=negative.target).en
        return ZoneHealth(zone.zone, False, everything)
    if negative.state == "unknown":
        point = text("dnsbl.health.point", point=negative.target).en
        return ZoneHealth(zone.zone, False, point + negative.why)
    return ZoneHealth(zone.zone, True)


def _fits(target: str, zone: Blocklist) -> bool:
    """IPv6 addresses only go to lists that take them."""
    return ":" not in target or zone.ipv6
