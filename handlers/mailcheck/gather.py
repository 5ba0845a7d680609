"""Collects every DNS fact /mailcheck judges, as concurrently as the dependencies allow.

Resolver, blocklist client and policy fetcher are passed in; nothing here decides ok or fail.
Lookups are stored by (name, type) so every judge reads the same answers.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.name
import dns.reversename

from handlers.dns import Records, lookup
from handlers.dnsbl import DnsblClient, Listing, zones_for
from handlers.mailcheck import spf
from handlers.mailcheck.dmarc_walk import walk_names
from handlers.mailcheck.mta_sts import PolicyFetch, fetch_policy
from handlers.mailcheck.target import Target
from handlers.reply import Finding
from handlers.request import HandlerSettings

COMMON_SELECTORS = ("default", "selector1", "selector2", "google", "k1", "s1", "s2", "dkim", "mail")
MAX_HOSTS, MAX_ADDRESSES, MAX_SPF_ROUNDS = 10, 10, 8

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Prober = Callable[[str, list[str]], Awaitable[list[Finding]]]


@dataclass
class Facts:
    target: Target
    records: dict[tuple[str, str], Records] = field(default_factory=dict)
    listings: list[Listing] = field(default_factory=list)
    policy: PolicyFetch | None = None
    smtp: list[Finding] = field(default_factory=list)
    selectors: tuple[str, ...] = ()
    hosts: list[str] = field(default_factory=list)  # mail hosts, best first
    addresses: list[str] = field(default_factory=list)  # their addresses (or the target IP)
    allowed: tuple[IPNetwork, ...] = ()  # private ranges the operator declared reachable

    def get(self, name: str, rdtype: str) -> Records | None:
        return self.records.get((name.lower().rstrip("."), rdtype))


def reverse_name(address: str) -> str:
    return dns.reversename.from_address(address).to_text(omit_final_dot=True)


def mx_hosts(mx: Records | None) -> list[str]:
    """MX targets by preference (null MX `.` left out)."""
    if mx is None or not mx.found:
        return []
    ordered = sorted(mx.rdata, key=lambda r: (getattr(r, "preference", 0), r.to_text()))
    exchanges = [getattr(r, "exchange") for r in ordered]  # noqa: B009
    names = [e.to_text(omit_final_dot=True).lower() for e in exchanges if e != dns.name.root]
    return list(dict.fromkeys(names))


def addresses_of(facts: Facts, host: str) -> list[str]:
    out = []
    for rdtype in ("A", "AAAA"):
        rec = facts.get(host, rdtype)
        if rec is not None and rec.found:
            out += [r.to_text() for r in rec.rdata if r.rdtype in (1, 28)]
    return out


async def gather(
    target: Target,
    settings: HandlerSettings,
    resolver: dns.asyncresolver.Resolver,
    dnsbl: DnsblClient,
    prober: Prober | None = None,
) -> Facts:
    facts = Facts(
        target,
        selectors=target.selectors or COMMON_SELECTORS,
        allowed=settings.probe_allow_networks,
    )

    async def ask(pairs: Iterable[tuple[str, str]]) -> None:
        todo = [(n.lower().rstrip("."), t) for n, t in pairs]
        todo = [p for p in dict.fromkeys(todo) if p not in facts.records]
        answers = await asyncio.gather(*(lookup(resolver, n, t) for n, t in todo))
        facts.records.update(zip(todo, answers, strict=True))

    async def listings(targets: list[str], kind: str) -> None:
        zones = zones_for(settings, kind)
        if targets and zones:
            facts.listings += await dnsbl.lookup(targets, zones)

    async def reverse(addresses: list[str]) -> None:
        await ask((reverse_name(a), "PTR") for a in addresses)
        names = []
        for a in addresses:
            ptr = facts.get(reverse_name(a), "PTR")
            if ptr is not None and ptr.found:
                names += [r.to_text().rstrip(".") for r in ptr.rdata[:3]]
        await ask((n, "AAAA" if ":" in a else "A") for a in addresses for n in names)

    if target.is_ip:
        facts.addresses = [target.name]
        await asyncio.gather(reverse(facts.addresses), listings(facts.addresses, "ip"))
        return facts

    domain = target.name
    first = [(domain, t) for t in ("MX", "A", "AAAA", "TXT")]
    first += [(f"_mta-sts.{domain}", "TXT"), (f"_smtp._tls.{domain}", "TXT")]
    first += [(f"_dmarc.{name}", "TXT") for name in walk_names(domain)]  # the whole tree walk
    first += [(f"{s}._domainkey.{domain}", "TXT") for s in facts.selectors]
    domain_lists = asyncio.ensure_future(listings([domain], "domain"))
    await ask(first)

    async def spf_rounds() -> None:
        for _ in range(MAX_SPF_ROUNDS):
            missing = spf.walk(domain, facts.get).missing
            if not missing:
                return
            await ask(sorted(missing))

    async def hosts_and_more() -> None:
        mx = facts.get(domain, "MX")
        hosts = mx_hosts(mx)[:MAX_HOSTS]
        if mx is not None and mx.status in ("nodata",):
            hosts = [domain]  # implicit MX: the domain's own address
        facts.hosts = hosts
        await ask((h, t) for h in hosts for t in ("A", "AAAA"))
        addresses = []
        for h in hosts:
            addresses += addresses_of(facts, h)
        facts.addresses = list(dict.fromkeys(addresses))[:MAX_ADDRESSES]
        jobs = [reverse(facts.addresses), listings(facts.addresses, "ip")]
        if prober is not None and hosts and addresses_of(facts, hosts[0]):
            jobs.append(_probe(facts, prober, hosts[0], addresses_of(facts, hosts[0])))
        await asyncio.gather(*jobs)

    async def policy() -> None:
        sts = facts.get(f"_mta-sts.{domain}", "TXT")
        if sts is not None and sts.found and any("v=STSv1" in t for t in sts.texts):
            facts.policy = await fetch_policy(domain, settings, resolver)

    await asyncio.gather(spf_rounds(), hosts_and_more(), policy(), domain_lists)
    return facts


async def _probe(facts: Facts, prober: Prober, host: str, addresses: list[str]) -> None:
    facts.smtp = await prober(host, addresses)
