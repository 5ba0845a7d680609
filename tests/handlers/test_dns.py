"""Resolvers built from the settings, and lookups read as outcomes instead of exceptions."""

from __future__ import annotations

import dns.nameserver
import pytest

from handlers.dns import lookup, make_resolver, nameservers
from handlers.request import HandlerSettings
from tests.lab.dns import DnsLab


def test_configured_resolvers_keep_their_ports_and_the_timeout() -> None:
    settings = HandlerSettings(resolvers=(("127.0.0.1", 5353), ("::1", 53)), dns_timeout=2.0)
    resolver = make_resolver(settings)
    servers = resolver.nameservers
    assert all(isinstance(s, dns.nameserver.Do53Nameserver) for s in servers)
    assert [(s.address, s.port) for s in servers] == [("127.0.0.1", 5353), ("::1", 53)]  # type: ignore[union-attr]
    assert resolver.lifetime == 2.0
    assert nameservers(settings) == [("127.0.0.1", 5353), ("::1", 53)]


@pytest.mark.lab
async def test_lookups_say_ok_nxdomain_nodata_or_why_they_failed(dns_lab: DnsLab) -> None:
    resolver = make_resolver(HandlerSettings(resolvers=(dns_lab.resolver,), dns_timeout=1.0))
    mx = await lookup(resolver, "good.lab.test", "MX")
    assert mx.status == "ok" and sorted(mx.texts) == [
        "10 mx1.good.lab.test.",
        "20 mx2.good.lab.test.",
    ]
    assert (await lookup(resolver, "nothere.lab.test", "A")).status == "nxdomain"
    assert (await lookup(resolver, "nomx.lab.test", "MX")).status == "nodata"
    alias = await lookup(resolver, "alias.lab.test", "A")
    assert (alias.texts, alias.canonical) == (("127.0.1.1",), "mx1.good.lab.test")
    dead = await lookup(resolver, "2.0.0.127.dead.dnsbl.test", "A")
    assert (dead.status, dead.why) == ("error", "SERVFAIL")
    slow = await lookup(resolver, "slow.lab.test", "MX")
    assert slow.status == "error" and slow.why in ("timeout", "SERVFAIL")
