"""/mailcheck's DMARC finding against the DNS lab: policies found at the organisational domain of
names under a real two-label public suffix (co.uk, served by the lab's knot)."""

from __future__ import annotations

import pytest

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
async def test_a_subdomain_gets_the_policy_of_its_organisational_domain(
    settings: HandlerSettings, domain: str
) -> None:
    f = dmarc(await check(domain, settings, lang="en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.co.uk")
    assert "sp=quarantine" in f.evidence and "its sp= policy" in f.detail
    assert "goes to spam" in f.detail and "dmarc@example.co.uk" in f.detail


async def test_the_organisational_domain_itself_is_judged_by_its_p_policy(
    settings: HandlerSettings,
) -> None:
    f = dmarc(await check("example.co.uk", settings, lang="en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.co.uk")
    assert "failing mail is refused" in f.detail and "of its own" not in f.detail


async def test_the_walk_stops_at_the_organisational_domain_not_at_the_suffix(
    settings: HandlerSettings, dns_lab: DnsLab
) -> None:
    f = dmarc(await check("sub.nodmarc.co.uk", settings, lang="en"))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.sub.nodmarc.co.uk")
    assert "no DMARC record" in f.detail and "decoy" not in f.evidence + f.detail


async def test_under_lab_test_the_organisational_domain_is_lab_test(
    settings: HandlerSettings,
) -> None:
    # lab.test is not on the list: `test` is the suffix, so good.lab.test's record is not
    # inherited by its own subdomains (the organisational domain is lab.test, which has none)
    f = dmarc(await check("mx1.good.lab.test", settings, lang="en"))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.mx1.good.lab.test")
