"""Whole /mailcheck runs against the real DNS lab (knot + rbldnsd behind unbound)."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress

import pytest

from handlers.errors import LookupFailedError, RefusedError
from handlers.mailcheck import CheckResult, check, handle
from handlers.reply import Status
from handlers.request import Context, HandlerSettings, Request
from tests.lab.dns import DnsLab

pytestmark = pytest.mark.lab

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
ZONES = ("zen.spamhaus.org", "b.barracudacentral.org", "sbl.spamhaus.org", "dbl.spamhaus.org")


@pytest.fixture
def settings(dns_lab: DnsLab) -> HandlerSettings:
    return HandlerSettings(
        resolvers=(dns_lab.resolver,),
        dns_timeout=1.5,
        dnsbl_zones=ZONES,
        probe_allow_networks=LOOPBACK,
    )


def statuses(result: CheckResult, check_name: str) -> list[Status]:
    return [f.status for f in result.findings if f.check == check_name]


def finding(result: CheckResult, check_name: str, status: Status) -> str:
    found = [f for f in result.findings if f.check == check_name and f.status == status]
    assert found, f"no {status} {check_name} finding in {result.as_json()}"
    return found[0].detail + " | " + found[0].evidence


async def test_a_healthy_domain_passes_mx_a_ptr_spf_dmarc_and_tls_rpt(
    settings: HandlerSettings,
) -> None:
    result = await check("postmaster@good.lab.test", settings, lang="en")
    assert result.kind == "address"
    for name in ("mx", "a", "ptr", "fcrdns", "spf", "dmarc", "tls_rpt"):
        assert set(statuses(result, name)) == {Status.OK}, name
    assert "mx1.good.lab.test" in finding(result, "mx", Status.OK)
    assert "-all" in finding(result, "spf", Status.OK)  # the two TXT strings were joined
    assert "revoked" in finding(result, "dkim", Status.WARN)  # selector1 has p=
    assert finding(result, "dkim", Status.OK)


async def test_the_json_has_exactly_the_documented_shape(settings: HandlerSettings) -> None:
    data = (await check("good.lab.test", settings, lang="en")).as_json()
    assert set(data) == {"target", "kind", "verdict", "findings"}
    assert data["verdict"] in ("ok", "warn", "fail", "unknown")
    for f in data["findings"]:
        assert set(f) == {"check", "status", "subject", "evidence", "detail"}
        assert f["status"] in ("ok", "warn", "fail", "unknown")


@pytest.mark.parametrize(
    ("domain", "status", "words"),
    [
        ("nullmx.lab.test", Status.FAIL, "accepts no mail at all"),
        ("nothere.lab.test", Status.FAIL, "does not exist"),
        ("nomx.lab.test", Status.WARN, "implicit MX"),
        ("ip-mx.lab.test", Status.FAIL, "IP address written as a name"),
    ],
)
async def test_mx_problems_are_named(
    settings: HandlerSettings, domain: str, status: Status, words: str
) -> None:
    result = await check(domain, settings, lang="en")
    assert words in finding(result, "mx", status)
    assert result.verdict in (Status.FAIL, Status.WARN)


async def test_a_domain_without_mx_is_checked_as_a_host(settings: HandlerSettings) -> None:
    result = await check("nomx.lab.test", settings, lang="en")
    assert result.kind == "host"
    assert set(statuses(result, "ptr")) == {Status.OK}


async def test_mx_hosts_that_are_aliases_or_have_no_address_are_reported(
    settings: HandlerSettings,
) -> None:
    alias = await check("cname-mx.lab.test", settings, lang="en")
    assert "CNAME" in finding(alias, "a", Status.WARN)
    ghost = await check("noaddr-mx.lab.test", settings, lang="en")
    assert "ghost.lab.test" in finding(ghost, "a", Status.FAIL)


@pytest.mark.parametrize(
    ("domain", "words"),
    [
        ("toomany.lab.test", "12 DNS lookups"),
        ("void.lab.test", "3 SPF lookups find nothing"),
        ("twospf.lab.test", "2 SPF records"),
        ("badspf.lab.test", "300.1.1.1"),
        ("plusall.lab.test", "+all"),
    ],
)
async def test_spf_failures_are_found_by_following_the_records(
    settings: HandlerSettings, domain: str, words: str
) -> None:
    result = await check(domain, settings, lang="en")
    assert words in finding(result, "spf", Status.FAIL)


@pytest.mark.parametrize(
    ("domain", "status", "words"),
    [
        ("dmarc-none.lab.test", Status.WARN, "monitoring only"),
        ("dmarc-pct.lab.test", Status.WARN, "pct"),
        ("dmarc-two.lab.test", Status.FAIL, "2 DMARC records"),
        ("dmarc-bad.lab.test", Status.FAIL, "p=maybe"),
        ("listed.lab.test", Status.WARN, "no DMARC record"),
    ],
)
async def test_dmarc_variants(
    settings: HandlerSettings, domain: str, status: Status, words: str
) -> None:
    result = await check(domain, settings, lang="en")
    assert words in finding(result, "dmarc", status)


async def test_a_listed_mx_and_domain_show_codes_meanings_txt_and_delisting(
    settings: HandlerSettings,
) -> None:
    result = await check("listed.lab.test", settings, lang="en")
    listed = [f for f in result.findings if f.check == "dnsbl" and f.status == Status.FAIL]
    subjects = {f.subject for f in listed}
    assert subjects == {
        "127.0.1.9 @ zen.spamhaus.org",
        "127.0.1.9 @ b.barracudacentral.org",
        "listed.lab.test @ dbl.spamhaus.org",
    }
    zen = next(f for f in listed if f.subject.endswith("zen.spamhaus.org"))
    assert "127.0.0.4" in zen.evidence and "exploited host" in zen.evidence
    assert any("https://check.spamhaus.org/" in step for step in zen.fix)
    refused = [f for f in result.findings if f.subject.endswith("sbl.spamhaus.org")]
    assert refused and all(f.status == Status.UNKNOWN for f in refused)
    assert result.verdict == Status.FAIL


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
async def test_allowlist_and_reputation_answers_say_what_they_mean_and_list_nothing(
    settings: HandlerSettings, lang: str
) -> None:
    zones = ("list.dnswl.org", "rep.mailspike.net", "zen.spamhaus.org")
    lists = dataclasses.replace(settings, dnsbl_zones=zones)
    good = await check("127.0.1.1", lists, lang=lang)
    found = [f for f in good.findings if f.check == "dnsbl"]
    assert {f.status for f in found} == {Status.OK}
    dnswl = next(f for f in found if f.subject == "127.0.1.1 @ list.dnswl.org")
    rep = next(f for f in found if f.subject == "127.0.1.1 @ rep.mailspike.net")
    assert (dnswl.evidence, rep.evidence) == ("127.0.3.2", "127.0.0.18")
    words = {
        "en": ("email service provider", "H3: good"),
        "zh-TW": ("電子郵件服務業者", "H3：信譽良好"),
    }
    assert words[lang][0] in dnswl.detail and words[lang][1] in rep.detail
    bad = await check("127.0.1.9", lists, lang=lang)
    failed = [f for f in bad.findings if f.check == "dnsbl" and f.status == Status.FAIL]
    assert {f.subject for f in failed} == {
        "127.0.1.9 @ rep.mailspike.net",
        "127.0.1.9 @ zen.spamhaus.org",
    }
    blocked = next(f for f in bad.findings if f.subject == "list.dnswl.org")
    assert blocked.status == Status.UNKNOWN and "127.0.0.255" in blocked.evidence
    assert ("100,000" if lang == "en" else "10 萬次") in blocked.detail


async def test_an_ip_gets_reverse_dns_and_blocklists_only(settings: HandlerSettings) -> None:
    result = await check("127.0.1.9", settings, lang="en")
    assert result.kind == "ipv4"
    assert {f.check for f in result.findings} == {"ptr", "fcrdns", "dnsbl"}
    assert "zen.spamhaus.org" in finding(result, "dnsbl", Status.FAIL)


async def test_a_ptr_that_does_not_point_back_fails_fcrdns_for_a_sending_ip(
    settings: HandlerSettings,
) -> None:
    result = await check("127.0.1.3", settings, lang="en")
    assert "elsewhere.lab.test" in finding(result, "fcrdns", Status.FAIL)
    via_mx = await check("badptr.lab.test", settings, lang="en")
    assert "elsewhere.lab.test" in finding(via_mx, "fcrdns", Status.WARN)


async def test_lame_and_silent_name_servers_are_unknown_not_verdicts(
    settings: HandlerSettings,
) -> None:
    quick = dataclasses.replace(settings, dns_timeout=0.8)
    for domain in ("lame.lab.test", "slow.lab.test"):
        result = await check(domain, quick, lang="en")
        assert statuses(result, "mx") == [Status.UNKNOWN], domain
        assert Status.FAIL not in statuses(result, "spf")


async def test_findings_are_worded_in_traditional_chinese(settings: HandlerSettings) -> None:
    result = await check("nullmx.lab.test", settings, lang="zh-TW")
    assert "null MX" in finding(result, "mx", Status.FAIL)
    assert "不收任何郵件" in finding(result, "mx", Status.FAIL)


async def test_the_chat_command_answers_then_rate_limits(
    settings: HandlerSettings, ctx: Context
) -> None:
    ctx.settings = dataclasses.replace(settings, rate_limit_per_minute=2)
    req = Request(text="/mailcheck good.lab.test", user="rate-test-user", lang="en")
    reply = await handle("good.lab.test", req, ctx)
    assert reply.title.startswith("Mail check of good.lab.test")
    assert reply.data["target"] == "good.lab.test"
    await handle("good.lab.test", req, ctx)
    with pytest.raises(RefusedError, match="more than 2 checks"):
        await handle("good.lab.test", req, ctx)


async def test_an_ipv6_address_is_looked_up_by_nibbles_on_lists_that_take_ipv6(
    settings: HandlerSettings,
) -> None:
    allowed = dataclasses.replace(
        settings,
        probe_allow_networks=(*LOOPBACK, ipaddress.ip_network("2001:db8::/32")),
    )
    result = await check("2001:db8:bad::25", allowed, lang="en")
    assert result.kind == "ipv6"
    assert "127.0.0.2" in finding(result, "dnsbl", Status.FAIL)
    listed = [f.subject for f in result.findings if f.status == Status.FAIL and f.check == "dnsbl"]
    assert listed == ["2001:db8:bad::25 @ zen.spamhaus.org"]  # barracuda takes no IPv6


async def test_a_resolver_that_never_answers_is_a_lookup_failure_not_a_verdict() -> None:
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        settings = HandlerSettings(resolvers=(silent.get_extra_info("sockname"),), dns_timeout=0.3)
        with pytest.raises(LookupFailedError, match="No DNS answer at all"):
            await check("example.com", settings, lang="en")
    finally:
        silent.close()


async def test_mx_hosts_on_internal_addresses_are_flagged(settings: HandlerSettings) -> None:
    public_only = dataclasses.replace(settings, probe_allow_networks=())
    result = await check("good.lab.test", public_only, lang="en")
    assert "cannot be reached from the internet" in finding(result, "a", Status.FAIL)
