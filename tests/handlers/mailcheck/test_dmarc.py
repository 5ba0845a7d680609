"""DMARC policy discovery: the domain, then its organisational domain from the Public Suffix List."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from handlers.dns import Records
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.judge.sender import judge_dmarc
from handlers.mailcheck.orgdomain import dmarc_names, organizational_domain
from handlers.mailcheck.target import Target
from handlers.reply import Status


def txt(name: str, *texts: str) -> Records:
    rdata = tuple(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, t) for t in texts)
    return Records(name, "TXT", "ok" if rdata else "nodata", rdata)


def facts_for(domain: str, *recs: Records) -> Facts:
    facts = Facts(Target(domain, "domain", domain))
    facts.records = {(r.name, r.rdtype): r for r in recs}
    return facts


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("example.com", "example.com"),
        ("mail.example.com", "example.com"),
        ("a.b.c.d.e.f.example.com", "example.com"),
        ("mail.example.co.uk", "example.co.uk"),
        ("Deep.Sub.Example.CO.UK.", "example.co.uk"),
        ("www.city.kawasaki.jp", "city.kawasaki.jp"),  # !city.kawasaki.jp: an exception rule
        ("shop.someone.github.io", "someone.github.io"),  # the list's private section
        ("mx.good.lab.test", "lab.test"),  # an unknown TLD is a suffix of its own
        ("co.uk", "co.uk"),  # a public suffix has no organisational domain above it
    ],
)
def test_the_organisational_domain_is_the_public_suffix_and_one_label(
    domain: str, org: str
) -> None:
    assert organizational_domain(domain) == org


def test_policy_discovery_asks_the_domain_then_its_organisational_domain_only() -> None:
    assert dmarc_names("a.b.c.d.e.example.co.uk") == [
        "_dmarc.a.b.c.d.e.example.co.uk",
        "_dmarc.example.co.uk",
    ]
    assert dmarc_names("example.co.uk") == ["_dmarc.example.co.uk"]
    assert dmarc_names("co.uk") == ["_dmarc.co.uk"]


def test_a_deep_subdomain_finds_the_policy_at_its_organisational_domain() -> None:
    domain = "a.b.c.d.e.example.co.uk"
    facts = facts_for(
        domain,
        Records(f"_dmarc.{domain}", "TXT", "nxdomain"),
        txt("_dmarc.example.co.uk", '"v=DMARC1; p=reject; rua=mailto:d@example.co.uk"'),
        txt("_dmarc.co.uk", '"v=DMARC1; p=none"'),
    )
    [f] = judge_dmarc(facts, Say("en"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.co.uk")
    assert f"{domain} has no DMARC record of its own" in f.detail and "p= policy" in f.detail
    assert "refused" in f.detail


def test_a_record_at_the_public_suffix_is_never_a_domains_policy() -> None:
    facts = facts_for(
        "sub.nodmarc.co.uk",
        Records("_dmarc.sub.nodmarc.co.uk", "TXT", "nxdomain"),
        Records("_dmarc.nodmarc.co.uk", "TXT", "nxdomain"),
        txt("_dmarc.co.uk", '"v=DMARC1; p=reject"'),
    )
    [f] = judge_dmarc(facts, Say("en"))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.sub.nodmarc.co.uk")
    assert "no DMARC record" in f.detail


@pytest.mark.parametrize(
    ("record", "status", "tag", "words"),
    [
        ('"v=DMARC1; p=reject; sp=none"', Status.WARN, "sp", "monitoring only"),
        ('"v=DMARC1; p=none; sp=reject"', Status.OK, "sp", "refused"),
        ('"v=DMARC1; p=quarantine; sp=bogus"', Status.OK, "p", "spam"),
    ],
)
def test_a_subdomain_gets_the_organisational_domains_sp_policy(
    record: str, status: Status, tag: str, words: str
) -> None:
    facts = facts_for("mail.example.com", txt("_dmarc.example.com", record))
    [f] = judge_dmarc(facts, Say("en"))
    assert f.status == status and words in f.detail and f"its {tag}= policy" in f.detail


def test_the_organisational_domain_itself_follows_p_not_sp_and_says_so_in_chinese() -> None:
    record = '"v=DMARC1; p=none; sp=reject"'
    [own] = judge_dmarc(facts_for("example.com", txt("_dmarc.example.com", record)), Say("en"))
    assert own.status == Status.WARN and "of its own" not in own.detail
    sub = facts_for("mail.example.com", txt("_dmarc.example.com", record))
    [f] = judge_dmarc(sub, Say("zh-TW"))
    assert "組織網域 example.com" in f.detail and "sp=" in f.detail
