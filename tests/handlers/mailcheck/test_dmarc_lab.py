"""/mailcheck's DMARC finding against the DNS lab: RFC 9989's DNS Tree Walk through real servers.

co.uk publishes a Public Suffix Domain record (psd=y), suffix.test a record without psd=y, and
_dmarc.uk fails (see tests/lab/dns.py). The Public Suffix List would give other answers for
nodmarc, ghost, the 10-label name, mx1.good.lab.test and shop.club.suffix.test; taking the nearest
record found would give another for shop.charity.suffix.test.
"""

from __future__ import annotations

import pytest

from handlers.dns import lookup, make_resolver
from handlers.mailcheck import CheckResult, check
from handlers.reply import Finding, Status
from handlers.request import HandlerSettings
from tests.lab.dns import DnsLab

pytestmark = pytest.mark.lab


@pytest.fixture
def settings(dns_lab: DnsLab) -> HandlerSettings:
    return HandlerSettings(resolvers=(dns_lab.resolver,), dns_timeout=1.5, dnsbl_zones=())


def dmarc(result: CheckResult) -> Finding:
    [found] = [f for f in result.findings if f.check == "dmarc"]
    return found


@pytest.mark.parametrize("domain", ["mail.example.co.uk", "a.b.c.d.e.example.co.uk"])
async def test_below_a_public_suffix_the_name_under_it_is_the_organisational_domain(
    settings: HandlerSettings, domain: str
) -> None:
    # the walk asks _dmarc.uk too (all names at once) but stops at co.uk's psd=y before it, so
    # its failure must not count
    above = await lookup(make_resolver(settings), "_dmarc.uk", "TXT")
    assert above.failed
    f = dmarc(await check(domain, settings, lang="en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.co.uk")
    assert "sp=quarantine" in f.evidence and "its sp= policy" in f.detail
    assert "example.co.uk as its organisational domain" in f.detail
    assert "goes to spam" in f.detail and "dmarc@example.co.uk" in f.detail


async def test_the_organisational_domain_itself_is_judged_by_its_p_policy(
    settings: HandlerSettings,
) -> None:
    f = dmarc(await check("example.co.uk", settings, lang="en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.co.uk")
    assert "failing mail is refused" in f.detail and "of its own" not in f.detail


@pytest.mark.parametrize("domain", ["nodmarc.co.uk", "sub.nodmarc.co.uk"])
async def test_with_no_record_of_their_own_names_get_the_public_suffix_sp_policy(
    settings: HandlerSettings, domain: str
) -> None:
    f = dmarc(await check(domain, settings, lang="en"))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.co.uk")
    assert "psd=y" in f.evidence and "its sp= policy" in f.detail
    assert "monitoring only" in f.detail and "psd@co.uk" in f.detail


async def test_a_name_that_does_not_exist_gets_the_public_suffix_np_policy(
    settings: HandlerSettings,
) -> None:
    f = dmarc(await check("ghost.co.uk", settings, lang="en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.co.uk")
    assert "its np= policy" in f.detail and "does not exist (NXDOMAIN)" in f.detail
    assert "goes to spam" in f.detail


async def test_a_name_of_10_labels_jumps_to_its_last_7_and_never_reads_the_8th(
    settings: HandlerSettings,
) -> None:
    domain = "l10.l9.l8.l7.l6.l5.l4.example.co.uk"
    f = dmarc(await check(domain, settings, lang="en"))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.l7.l6.l5.l4.example.co.uk")
    assert "psd=n" in f.evidence and "monitoring only" in f.detail
    assert f"{domain} has 10 labels" in f.detail


async def test_a_record_without_psd_y_high_up_is_the_organisational_domain_of_all_below(
    settings: HandlerSettings,
) -> None:
    f = dmarc(await check("shop.charity.suffix.test", settings, lang="en"))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.suffix.test")
    assert "suffix.test as its organisational domain" in f.detail
    assert "the record at _dmarc.charity.suffix.test" in f.detail and "no psd=n" in f.detail
    assert any("add psd=n" in step for step in f.fix)
    own = dmarc(await check("charity.suffix.test", settings, lang="en"))
    assert (own.status, own.subject) == (Status.OK, "_dmarc.charity.suffix.test")


async def test_a_record_with_psd_n_stops_the_walk_below_that_record(
    settings: HandlerSettings,
) -> None:
    f = dmarc(await check("shop.club.suffix.test", settings, lang="en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.club.suffix.test")
    assert "its sp= policy" in f.detail and "goes to spam" in f.detail


async def test_a_lab_host_inherits_its_domains_record_and_says_so_in_chinese(
    settings: HandlerSettings,
) -> None:
    f = dmarc(await check("mx1.good.lab.test", settings, lang="zh-TW"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.good.lab.test")
    assert "mx1.good.lab.test 本身沒有 DMARC 記錄" in f.detail
    assert "以 good.lab.test 為其組織網域" in f.detail and "拒收" in f.detail
