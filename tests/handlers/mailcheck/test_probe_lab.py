"""/mailcheck with the SMTP probe on: the best MX is probed on the real lab postfix."""

from __future__ import annotations

import ipaddress

import pytest

from handlers.mailcheck import check
from handlers.reply import Status
from handlers.request import HandlerSettings
from tests.lab.dns import DnsLab
from tests.lab.postfix_peer import PostfixPeer

pytestmark = pytest.mark.lab


@pytest.fixture
def settings(dns_lab: DnsLab, postfix_peer: PostfixPeer) -> HandlerSettings:
    return HandlerSettings(
        resolvers=(dns_lab.resolver,),
        dns_timeout=2.0,
        dnsbl_zones=("zen.spamhaus.org",),
        probe_allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        probe_tls_ca=str(postfix_peer.ca_file),
        probe_timeout=5.0,
    )


async def test_an_existing_mailbox_is_accepted_by_the_probed_mx(settings: HandlerSettings) -> None:
    result = await check("alice@valid.probe.lab.test", settings, lang="en", probe=True)
    smtp = [f for f in result.findings if f.check == "smtp"]
    assert smtp and all(f.status != Status.FAIL for f in smtp), [f.as_json() for f in smtp]
    assert any("mx.valid.probe.lab.test" in f.subject for f in smtp)


async def test_an_unknown_mailbox_fails_the_probe(settings: HandlerSettings) -> None:
    result = await check("bob@unknown.probe.lab.test", settings, lang="en", probe=True)
    smtp = [f for f in result.findings if f.check == "smtp"]
    assert any(f.status == Status.FAIL for f in smtp), [f.as_json() for f in smtp]
    assert result.verdict == Status.FAIL


async def test_without_probing_no_smtp_session_is_opened(settings: HandlerSettings) -> None:
    result = await check("alice@valid.probe.lab.test", settings, lang="en")
    assert not [f for f in result.findings if f.check == "smtp"]
