"""The DNS blocklist engine: which lists to ask, how to ask them in bulk, and what answers mean.

A return code is `listed` only when it is a real listing code in 127.0.0.0/8; the codes a list uses
for "query refused / public resolver / rate limited" (its error_codes, any 127.255.255.x, 127.0.0.1)
and answers outside 127/8, SERVFAIL or timeouts are `unknown` with the reason. Texts a person reads
(code meanings, delisting URLs) come from the knowledge base; /mailcheck and the monitor word them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import dns.rcode

from handlers.dns import nameservers
from handlers.dns_udp import BAD_NAME, TIMEOUT, Answer, UdpQuerier
from handlers.request import HandlerSettings
from knowledge.loader import load
from knowledge.model import Blocklist, Text

A, TXT = 1, 16
_DOMAIN_HINTS = ("dbl", "rhsbl", "uribl", "surbl", "dblack", "fresh", "dnsbl-domain")


@dataclass(frozen=True)
class Listing:
    """One target on one list: state listed / clear / unknown; `why` explains an unknown."""

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


def zones_for(settings: HandlerSettings, kind: str) -> list[Blocklist]:
    """The lists to ask for `kind` (ip or domain): settings.dnsbl_zones if set, else the defaults."""
    known = load().blocklists
    if not settings.dnsbl_zones:
        return [b for b in known.values() if b.default and b.type == kind]
    chosen = []
    for zone in dict.fromkeys(z.strip().lower().rstrip(".") for z in settings.dnsbl_zones):
        blocklist = known.get(zone) or generic_blocklist(zone, guess_kind(zone))
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


def _code_problem(blocklist: Blocklist, code: str) -> str | None:
    """Why `code` is not a listing (an error or refusal code), or None when it is one."""
    error = blocklist.error(code)
    if error is not None:
        return f"{code}: {error.meaning.en}"
    if blocklist.meaning(code) is not None:
        return None
    if code.startswith("127.255.255."):
        return f"{code}: error code (query refused or rate limited)"
    if code == "127.0.0.1":
        return f"{code}: not a listing code (RFC 5782); the list refused the query"
    if not code.startswith("127."):
        return f"{code}: answer outside 127.0.0.0/8 (the list's domain may be parked or gone)"
    return None


def judge(target: str, blocklist: Blocklist, answer: Answer, txt: Answer | None) -> Listing:
    """Read one A answer (and the TXT asked for a listing) as listed, clear or unknown."""
    zone = blocklist.zone
    if answer.rcode == TIMEOUT:
        return Listing(target, zone, "unknown", why="timeout (no answer from the resolver)")
    if answer.rcode == BAD_NAME:
        return Listing(target, zone, "unknown", why="not a valid DNS name")
    if answer.rcode == dns.rcode.NXDOMAIN or (answer.rcode == 0 and not answer.addresses):
        return Listing(target, zone, "clear")
    if answer.rcode != 0:
        return Listing(
            target, zone, "unknown", why=dns.rcode.to_text(dns.rcode.Rcode(answer.rcode))
        )
    codes = tuple(sorted(set(answer.addresses), key=lambda a: ipaddress.IPv4Address(a)))
    problems = [p for p in (_code_problem(blocklist, c) for c in codes) if p]
    if problems:
        return Listing(target, zone, "unknown", codes, why="; ".join(problems))
    text = " | ".join(dict.fromkeys(txt.texts)) if txt is not None else ""
    return Listing(target, zone, "listed", codes, text[:1000])


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
        out = []
        for i, (zone, (listed, clear)) in enumerate(zip(zones, points, strict=True)):
            positive = judge(listed, zone, answers[2 * i], None)
            negative = judge(clear, zone, answers[2 * i + 1], None)
            if positive.state != "listed":
                why = f"test point {listed} is {positive.state}"
                out.append(
                    ZoneHealth(
                        zone.zone, False, why + (f" ({positive.why})" if positive.why else "")
                    )
                )
            elif negative.state == "listed":
                out.append(
                    ZoneHealth(
                        zone.zone, False, f"{clear} is listed: the list answers for everything"
                    )
                )
            elif negative.state == "unknown":
                out.append(ZoneHealth(zone.zone, False, f"test point {clear}: {negative.why}"))
            else:
                out.append(ZoneHealth(zone.zone, True))
        return out

    async def close(self) -> None:
        await self.udp.close()


def _fits(target: str, zone: Blocklist) -> bool:
    """IPv6 addresses only go to lists that take them."""
    return ":" not in target or zone.ipv6
