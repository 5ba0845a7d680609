"""The blocklist engine: query names, reading return codes, and bulk lookups on the real lab."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from typing import cast

import pytest

from handlers.dns_udp import TIMEOUT, Answer
from handlers.dnsbl import (
    DnsblClient,
    Listing,
    blocklist_for,
    generic_blocklist,
    guess_kind,
    judge,
    query_name,
    zones_for,
)
from handlers.dnsbl_codes import ERROR, LISTED, NOT_LISTED, describe, read_code, say_why
from handlers.request import HandlerSettings
from knowledge.loader import load
from knowledge.model import Blocklist, ListCode, Text
from tests.lab.dns import DnsLab

REFUSED = ListCode("127.255.255.254", Text("query via public resolver", "經由公共解析器查詢"))
SPAMHAUS_LIKE = Blocklist(
    zone="zen.spamhaus.org",
    type="ip",
    operator="Spamhaus",
    codes=(ListCode("127.0.0.2", Text("SBL", "SBL")), ListCode("127.0.0.4", Text("XBL", "XBL"))),
    error_codes=(REFUSED,),
    delist_url="https://check.spamhaus.org/",
    default=True,
    description=Text("ZEN", "ZEN"),
    ipv6=True,
)


def test_query_names_reverse_ipv4_octets_and_ipv6_nibbles_and_keep_domains() -> None:
    assert query_name("192.0.2.99", "zen.spamhaus.org") == "99.2.0.192.zen.spamhaus.org"
    assert query_name("2001:db8::1", "zen.spamhaus.org") == (
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org"
    )
    assert query_name("Example.COM.", "dbl.spamhaus.org") == "example.com.dbl.spamhaus.org"


def test_nxdomain_is_clear_and_several_codes_are_one_listing_with_the_txt() -> None:
    clear = judge("192.0.2.1", SPAMHAUS_LIKE, Answer(3), None)
    assert clear.state == "clear"
    listed = judge(
        "192.0.2.1",
        SPAMHAUS_LIKE,
        Answer(0, ("127.0.0.4", "127.0.0.2")),
        Answer(0, texts=("see https://check.spamhaus.org/",)),
    )
    assert listed == Listing(
        "192.0.2.1",
        "zen.spamhaus.org",
        "listed",
        ("127.0.0.2", "127.0.0.4"),
        "see https://check.spamhaus.org/",
    )


@pytest.mark.parametrize(
    ("codes", "why"),
    [
        (("127.255.255.254",), "public resolver"),
        (("127.255.255.255",), "error code"),
        (("127.0.0.1",), "never a listing code"),
        (("198.51.100.7",), "outside 127.0.0.0/8"),
        (("127.0.0.2", "127.255.255.254"), "public resolver"),
        (("127.0.0.77",), "does not document"),
    ],
)
def test_error_and_refusal_codes_are_unknown_never_listed(codes: tuple[str, ...], why: str) -> None:
    result = judge("192.0.2.1", SPAMHAUS_LIKE, Answer(0, codes), None)
    assert result.state == "unknown"
    assert why in result.why


# --- every code read with the shipped knowledge base --------------------------------------------


def shipped(zone: str) -> Blocklist:
    return load().blocklists[zone]


@pytest.mark.parametrize(
    ("zone", "codes", "state", "words"),
    [
        ("zen.spamhaus.org", ("127.0.0.4",), "listed", "XBL"),
        ("zen.spamhaus.org", ("127.0.0.10", "127.0.0.4"), "listed", "PBL"),
        ("zen.spamhaus.org", ("127.0.0.30",), "listed", "BCL"),
        ("zen.spamhaus.org", ("127.255.255.252",), "unknown", "mistyped"),
        ("zen.spamhaus.org", ("127.255.255.254",), "unknown", "public/open resolver"),
        ("zen.spamhaus.org", ("127.255.255.255",), "unknown", "too many queries"),
        ("zen.spamhaus.org", ("127.255.255.250",), "unknown", "DQS key"),
        ("zen.spamhaus.org", ("127.0.0.1",), "unknown", "RFC 5782"),
        ("zen.spamhaus.org", ("10.0.0.2",), "unknown", "outside 127.0.0.0/8"),
        ("zen.spamhaus.org", ("127.0.0.77",), "unknown", "does not document"),
        ("dbl.spamhaus.org", ("127.0.1.255",), "unknown", "IP address was queried"),
        ("dbl.spamhaus.org", ("127.0.1.104",), "listed", "phishing"),
        ("multi.uribl.com", ("127.0.0.1",), "unknown", "URIBL refused"),
        ("multi.uribl.com", ("127.0.0.14",), "listed", "Black: domain used in spam + Grey"),
        ("multi.surbl.org", ("127.0.0.1",), "unknown", "SURBL refused"),
        ("multi.surbl.org", ("127.0.0.80",), "listed", "MW: malware site + ABUSE: spam site"),
        ("multi.surbl.org", ("127.0.0.36",), "listed", "not an abuse listing + CT: click-tracking"),
        ("multi.surbl.org", ("127.0.0.4",), "clear", "not an abuse listing"),
        ("multi.surbl.org", ("127.0.0.3",), "unknown", "does not document"),
        (
            "multi.surbl.org",
            ("127.0.0.10",),
            "listed",
            "other flags this list does not document: 2",
        ),
        ("list.dnswl.org", ("127.0.3.2",), "clear", "email service provider; trust medium"),
        ("list.dnswl.org", ("127.0.10.0",), "clear", "Allowlisted, not a listing"),
        ("list.dnswl.org", ("127.0.0.255",), "unknown", "blocked this resolver"),
        ("list.dnswl.org", ("127.0.99.1",), "unknown", "does not document"),
        ("rep.mailspike.net", ("127.0.0.10",), "listed", "L5"),
        ("rep.mailspike.net", ("127.0.0.12",), "listed", "L3"),
        ("rep.mailspike.net", ("127.0.0.13",), "clear", "L2"),
        ("rep.mailspike.net", ("127.0.0.18",), "clear", "H3: good reputation"),
        ("rep.mailspike.net", ("127.0.0.20",), "clear", "H5: excellent"),
        ("bl.mailspike.net", ("127.0.0.2",), "listed", "spam wave"),
    ],
)
def test_each_code_is_judged_by_the_knowledge_base(
    zone: str, codes: tuple[str, ...], state: str, words: str
) -> None:
    blocklist = shipped(zone)
    result = judge("192.0.2.1", blocklist, Answer(0, codes), None)
    assert result.state == state
    assert result.codes == tuple(sorted(codes, key=lambda c: ipaddress.IPv4Address(c)))
    said = result.why if state == "unknown" else describe(blocklist, result.codes, "en")
    assert words in said


def test_every_shipped_code_reads_as_the_kind_the_knowledge_base_gives_it() -> None:
    for blocklist in load().blocklists.values():
        for c in blocklist.codes:
            assert read_code(blocklist, c.code).kind == (LISTED if c.listed else NOT_LISTED), (
                blocklist.zone,
                c.code,
            )
        for c in blocklist.error_codes:
            assert read_code(blocklist, c.code).kind == ERROR, (blocklist.zone, c.code)


def test_a_list_without_documented_codes_reads_127_0_0_x_as_listed_and_errors_as_unknown() -> None:
    generic = generic_blocklist("bl.example.test", "ip")
    assert judge("192.0.2.1", generic, Answer(0, ("127.0.0.3",)), None).state == "listed"
    for code in ("127.0.0.1", "127.255.255.9", "192.0.2.55"):
        assert judge("192.0.2.1", generic, Answer(0, (code,)), None).state == "unknown", code


def test_meanings_and_reasons_are_worded_in_traditional_chinese_too() -> None:
    surbl, zen = shipped("multi.surbl.org"), shipped("zen.spamhaus.org")
    assert describe(surbl, ("127.0.0.80",), "zh-TW") == (
        "127.0.0.80 MW：惡意程式網站 + ABUSE：垃圾信網站"
    )
    refused = judge("192.0.2.1", zen, Answer(0, ("127.255.255.254",)), None)
    zh = say_why(zen, refused.why, "zh-TW")
    assert zh.startswith("127.255.255.254: 不是列入") and "Spamhaus refused" not in zh
    assert say_why(zen, refused.why, "en") == refused.why
    timeout = judge("192.0.2.1", zen, Answer(TIMEOUT), None)
    assert say_why(zen, f"3 × {timeout.why}", "zh-TW") == "3 × 逾時（解析器沒有回應）"


def test_keyed_zones_are_read_as_the_list_they_serve() -> None:
    dqs = blocklist_for("Abc123.zen.dq.spamhaus.net.")
    assert dqs.zone == "abc123.zen.dq.spamhaus.net" and not dqs.default
    assert judge("192.0.2.1", dqs, Answer(0, ("127.0.0.10",)), None).state == "listed"
    assert "PBL" in describe(dqs, ("127.0.0.10",), "en")
    assert judge("192.0.2.1", dqs, Answer(0, ("127.255.255.251",)), None).state == "unknown"
    assert blocklist_for("k.zrd.dq.spamhaus.net").codes == shipped("zrd.dq.spamhaus.net").codes
    assert blocklist_for("k.combined.mail.abusix.zone").operator == "Abusix"
    assert blocklist_for("k.bl.spamcop.net").codes == ()  # only keyed services are mapped
    settings = HandlerSettings(dnsbl_zones=("abc123.zen.dq.spamhaus.net",))
    assert [b.operator for b in zones_for(settings, "ip")] == ["Spamhaus Project"]


def test_timeouts_and_servfail_are_unknown_with_the_reason() -> None:
    assert judge("192.0.2.1", SPAMHAUS_LIKE, Answer(TIMEOUT), None).why.startswith("timeout")
    assert judge("192.0.2.1", SPAMHAUS_LIKE, Answer(2), None).why == "SERVFAIL"


def test_unknown_zone_names_become_generic_lists_of_a_guessed_kind() -> None:
    settings = HandlerSettings(dnsbl_zones=("bl1.dnsbl.lab.test", "dbl.example.net"))
    assert [b.zone for b in zones_for(settings, "ip")] == ["bl1.dnsbl.lab.test"]
    assert [b.zone for b in zones_for(settings, "domain")] == ["dbl.example.net"]
    assert guess_kind("multi.uribl.com") == "domain"
    assert guess_kind("bl.spamcop.net") == "ip"


def test_the_shipped_defaults_have_ip_and_domain_lists() -> None:
    ip_lists = zones_for(HandlerSettings(), "ip")
    assert ip_lists and all(b.type == "ip" for b in ip_lists)
    assert all(b.type == "domain" for b in zones_for(HandlerSettings(), "domain"))


# --- on the lab ----------------------------------------------------------------------------------


@pytest.fixture
async def client(dns_lab: DnsLab) -> AsyncIterator[DnsblClient]:
    c = DnsblClient(HandlerSettings(resolvers=(dns_lab.resolver,), dns_timeout=2.0))
    yield c
    await c.close()


def lab_list(zone: str, kind: str = "ip") -> Blocklist:
    """The shipped knowledge of a real zone name, a generic list for the lab's own names."""
    return load().blocklists.get(zone) or generic_blocklist(zone, kind)


@pytest.mark.lab
async def test_a_lab_ip_on_zen_has_all_its_codes_and_txt(client: DnsblClient) -> None:
    [zen] = await client.lookup(["127.0.1.10"], [lab_list("zen.spamhaus.org")])
    assert zen.state == "listed"
    assert zen.codes == ("127.0.0.4", "127.0.0.10")
    assert "PBL" in zen.txt and "XBL" in zen.txt


@pytest.mark.lab
async def test_refusing_dead_and_clean_lists_are_told_apart(client: DnsblClient) -> None:
    zones = [lab_list("sbl.spamhaus.org"), lab_list("dead.dnsbl.test"), lab_list("bl.spamcop.net")]
    refused, dead, clean = await client.lookup(["127.0.1.9"], zones)
    assert (refused.state, refused.codes) == ("unknown", ("127.255.255.254",))
    assert (dead.state, dead.why) == ("unknown", "SERVFAIL")
    assert clean.state == "clear"


@pytest.mark.lab
async def test_ipv6_addresses_and_domains_go_to_their_lists(client: DnsblClient) -> None:
    zones = [lab_list("zen.spamhaus.org"), lab_list("dbl.spamhaus.org", "domain")]
    v6, domain, clean = await client.lookup(
        ["2001:db8:bad::25", "listed.lab.test", "good.lab.test"], zones
    )
    assert (v6.zone, v6.state, v6.codes) == ("zen.spamhaus.org", "listed", ("127.0.0.2",))
    assert (domain.zone, domain.state, domain.codes) == (
        "dbl.spamhaus.org",
        "listed",
        ("127.0.1.2",),
    )
    assert (clean.zone, clean.state) == ("dbl.spamhaus.org", "clear")


@pytest.mark.lab
async def test_health_uses_the_rfc_5782_test_points(client: DnsblClient) -> None:
    zones = [
        lab_list("zen.spamhaus.org"),
        lab_list("sbl.spamhaus.org"),
        lab_list("everything.dnsbl.lab.test"),
        lab_list("dead.dnsbl.test"),
        lab_list("dbl.spamhaus.org", "domain"),
    ]
    health = {h.zone: h for h in await client.health(zones)}
    assert health["zen.spamhaus.org"].ok and health["dbl.spamhaus.org"].ok
    assert "127.255.255.254" in health["sbl.spamhaus.org"].why
    assert "127.0.0.1 is listed" in health["everything.dnsbl.lab.test"].why
    assert "SERVFAIL" in health["dead.dnsbl.test"].why


@pytest.mark.lab
async def test_a_changed_zone_file_is_seen_by_the_next_lookup(
    dns_lab: DnsLab,
    client: DnsblClient,
) -> None:
    spamcop = [lab_list("bl.spamcop.net")]
    assert (await client.lookup(["127.0.7.7"], spamcop))[0].state == "clear"
    dns_lab.set_entries("bl.spamcop.net", ["127.0.0.2", "127.0.7.7 :127.0.0.2:reported"])
    try:
        listed = (await client.lookup(["127.0.7.7"], spamcop))[0]
        assert (listed.state, listed.txt) == ("listed", "reported")
    finally:
        dns_lab.set_entries("bl.spamcop.net", ["127.0.0.2"])
    assert (await client.lookup(["127.0.7.7"], spamcop))[0].state == "clear"


@pytest.mark.lab
async def test_a_bulk_sweep_lists_exactly_the_listed_addresses(
    dns_lab: DnsLab,
    client: DnsblClient,
) -> None:
    base = int(ipaddress.IPv4Address("127.1.0.0"))
    ips = [str(ipaddress.IPv4Address(base + i)) for i in range(256)]
    dns_lab.set_entries("bl1.dnsbl.lab.test", ["127.0.0.2", *ips[::50]])
    try:
        zones = [lab_list(z) for z in dns_lab.bench_ip_zones if z != "sbl.spamhaus.org"]
        results = await client.lookup(ips, zones)
    finally:
        dns_lab.set_entries("bl1.dnsbl.lab.test", ["127.0.0.2"])
    assert len(results) == len(ips) * len(zones)
    listed = {(r.target, r.zone) for r in results if r.state == "listed"}
    assert listed == {(ip, "bl1.dnsbl.lab.test") for ip in ips[::50]}
    assert all(r.state == "clear" for r in results if (r.target, r.zone) not in listed)


@pytest.mark.lab
async def test_allowlist_and_reputation_answers_on_the_lab_are_never_listings(
    client: DnsblClient,
) -> None:
    dnswl, rep = shipped("list.dnswl.org"), shipped("rep.mailspike.net")
    good_on_dnswl, good_on_rep, bad_on_dnswl, bad_on_rep = await client.lookup(
        ["127.0.1.1", "127.0.1.9"], [dnswl, rep]
    )
    assert (good_on_dnswl.state, good_on_dnswl.codes, good_on_dnswl.txt) == (
        "clear",
        ("127.0.3.2",),
        "",
    )
    assert "trust medium" in describe(dnswl, good_on_dnswl.codes, "en")
    assert (good_on_rep.state, good_on_rep.codes) == ("clear", ("127.0.0.18",))
    assert (bad_on_dnswl.state, bad_on_dnswl.codes) == ("unknown", ("127.0.0.255",))
    assert "100,000 queries" in bad_on_dnswl.why
    assert (bad_on_rep.state, bad_on_rep.codes, bad_on_rep.txt) == (
        "listed",
        ("127.0.0.11",),
        "very bad reputation",
    )
    health = await client.health([dnswl, rep])
    assert [h.ok for h in health] == [True, True]  # the allowlist answers its test point


@pytest.mark.lab
async def test_bitmask_answers_on_the_lab_name_each_flag(client: DnsblClient) -> None:
    surbl, uribl = shipped("multi.surbl.org"), shipped("multi.uribl.com")
    names = ["malware.lab.test", "throwaway.lab.test", "oddbits.lab.test", "cracked.lab.test"]
    names.append("parked.lab.test")
    malware, throwaway, oddbits, cracked, parked = await client.lookup(names, [surbl])
    assert (malware.state, malware.codes) == ("listed", ("127.0.0.80",))
    assert "surbl-analysis" in malware.txt
    assert describe(surbl, malware.codes, "en") == (
        "127.0.0.80 MW: malware site + ABUSE: spam site"
    )
    assert (throwaway.state, throwaway.codes) == ("clear", ("127.0.0.4",))
    assert (oddbits.state, parked.state) == ("unknown", "unknown")
    assert "outside 127.0.0.0/8" in parked.why
    assert describe(surbl, cracked.codes, "zh-TW") == "127.0.0.136 PH：釣魚網站 + CR：被入侵的網站"
    [bulk] = await client.lookup(["bulk.lab.test"], [uribl])
    assert bulk.state == "listed"
    assert describe(uribl, bulk.codes, "en").startswith(
        "127.0.0.6 Black: domain used in spam + Grey"
    )


class DropFirstAttempt(asyncio.DatagramProtocol):
    """A DNS server that ignores the first query for each name and answers NXDOMAIN after."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        question = data[12:]
        if question not in self.seen:
            self.seen.add(question)
            return
        assert self.transport is not None
        header = data[:2] + bytes((0x81, 0x83)) + data[4:6] + b"\x00\x00\x00\x00" + data[10:12]
        self.transport.sendto(header + question, addr)


async def test_dropped_queries_are_retried_and_silence_becomes_a_timeout() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        DropFirstAttempt, local_addr=("127.0.0.1", 0)
    )
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        lists = [generic_blocklist("bl.example.test", "ip")]
        lossy = DnsblClient(
            HandlerSettings(resolvers=(transport.get_extra_info("sockname"),), dns_timeout=0.6)
        )
        results = await lossy.lookup(["192.0.2.1", "192.0.2.2"], lists)
        await lossy.close()
        assert [r.state for r in results] == ["clear", "clear"]
        mute = DnsblClient(
            HandlerSettings(resolvers=(silent.get_extra_info("sockname"),), dns_timeout=0.3)
        )
        [result] = await mute.lookup(["192.0.2.1"], lists)
        await mute.close()
        assert (result.state, result.why[:7]) == ("unknown", "timeout")
    finally:
        transport.close()
        silent.close()
