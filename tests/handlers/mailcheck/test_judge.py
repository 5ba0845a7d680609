"""Pure judges on hand-made facts: MTA-STS policies, DMARC records, the verdict order."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype

from handlers.dns import Records
from handlers.dns_udp import Answer
from handlers.dnsbl import Listing
from handlers.dnsbl import judge as judge_answer
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge import first_to_fix, judge
from handlers.mailcheck.judge.lists import judge_lists
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.judge.sender import judge_dmarc
from handlers.mailcheck.judge.transport import judge_mta_sts
from handlers.mailcheck.mta_sts import PolicyFetch, mx_matches, parse_policy
from handlers.mailcheck.target import Target
from handlers.reply import Finding, Status
from knowledge.loader import load

SAY = Say("en")


def records(name: str, rdtype: str, *texts: str) -> Records:
    rdata = tuple(
        dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), t) for t in texts
    )
    return Records(name, rdtype, "ok" if rdata else "nodata", rdata)


def facts_for(domain: str, *recs: Records, policy: PolicyFetch | None = None) -> Facts:
    facts = Facts(Target(domain, "domain", domain), policy=policy)
    facts.records = {(r.name, r.rdtype): r for r in recs}
    return facts


def test_mta_sts_patterns_match_one_leftmost_label() -> None:
    assert mx_matches("mx1.example.com", "*.example.com")
    assert not mx_matches("a.b.example.com", "*.example.com")
    assert not mx_matches("example.com", "*.example.com")
    assert mx_matches("MX.example.com.", "mx.example.com")


def test_a_policy_that_misses_an_mx_fails_in_enforce_mode() -> None:
    policy = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 86400\n"
    facts = facts_for(
        "example.com",
        records("_mta-sts.example.com", "TXT", '"v=STSv1; id=1"'),
        policy=PolicyFetch("https://mta-sts.example.com/.well-known/mta-sts.txt", "ok", policy),
    )
    facts.hosts = ["mx1.example.com", "mx2.example.com"]
    [f] = judge_mta_sts(facts, SAY)
    assert f.status == Status.FAIL and "mx2.example.com" in f.detail
    assert parse_policy("version: STSv1\nmode: sometimes\n").problems


def test_an_unfetchable_policy_fails_and_a_missing_one_is_fine() -> None:
    announced = records("_mta-sts.example.com", "TXT", '"v=STSv1; id=1"')
    broken = PolicyFetch("https://mta-sts.example.com/x", "error", why="HTTP 404")
    [f] = judge_mta_sts(facts_for("example.com", announced, policy=broken), SAY)
    assert f.status == Status.FAIL and "HTTP 404" in f.detail
    [f] = judge_mta_sts(facts_for("example.com"), SAY)
    assert f.status == Status.OK


def test_dmarc_is_looked_up_at_the_parent_when_the_subdomain_has_none() -> None:
    facts = facts_for(
        "mail.example.com",
        Records("_dmarc.mail.example.com", "TXT", "nxdomain"),
        records("_dmarc.example.com", "TXT", '"v=DMARC1; p=quarantine; rua=mailto:d@example.com"'),
    )
    [f] = judge_dmarc(facts, SAY)
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.com")
    assert "spam" in f.detail and "d@example.com" in f.detail


def test_the_first_thing_to_fix_is_the_worst_in_check_order() -> None:
    findings = [
        Finding("mx", Status.OK, "d"),
        Finding("spf", Status.WARN, "d"),
        Finding("dnsbl", Status.FAIL, "ip @ zen"),
        Finding("dmarc", Status.FAIL, "d"),
    ]
    first = first_to_fix(findings)
    assert first is not None and first.check == "dnsbl"
    assert first_to_fix([Finding("mx", Status.OK, "d")]) is None


def test_an_ip_target_is_judged_on_reverse_dns_and_lists_only() -> None:
    facts = Facts(Target("192.0.2.1", "ipv4", "192.0.2.1"))
    facts.addresses = ["192.0.2.1"]
    facts.records = {("1.2.0.192.in-addr.arpa", "PTR"): Records("x", "PTR", "nxdomain")}
    found = judge(facts, "en")
    assert [(f.check, f.status) for f in found] == [("ptr", Status.FAIL)]


def test_bitmask_codes_are_read_bit_by_bit_in_both_languages() -> None:
    facts = Facts(Target("spam.example", "domain", "spam.example"))
    facts.listings = [
        Listing("spam.example", "multi.surbl.org", "listed", ("127.0.0.80",), "see surbl.org"),
    ]
    [en] = judge_lists(facts, SAY)
    assert en.status == Status.FAIL
    assert en.detail == "Listed on multi.surbl.org: 127.0.0.80 MW: malware site + ABUSE: spam site."
    assert "TXT: see surbl.org" in en.evidence
    assert any("https://www.surbl.org/surbl-analysis" in step for step in en.fix)
    [zh] = judge_lists(facts, Say("zh-TW"))
    assert "MW：惡意程式網站 + ABUSE：垃圾信網站" in zh.detail


def test_an_allowlist_answer_is_an_ok_finding_that_says_what_it_means() -> None:
    facts = Facts(Target("192.0.2.1", "ipv4", "192.0.2.1"))
    facts.listings = [
        Listing("192.0.2.1", "list.dnswl.org", "clear", ("127.0.3.2",)),
        Listing("192.0.2.1", "rep.mailspike.net", "clear", ("127.0.0.18",)),
        Listing("192.0.2.1", "zen.spamhaus.org", "clear"),
    ]
    found = judge_lists(facts, Say("zh-TW"))
    assert {f.status for f in found} == {Status.OK}
    dnswl = next(f for f in found if f.subject == "192.0.2.1 @ list.dnswl.org")
    assert dnswl.detail.startswith("不是被列入") and "電子郵件服務業者" in dnswl.detail
    rep = next(f for f in found if f.subject == "192.0.2.1 @ rep.mailspike.net")
    assert "H3" in rep.detail and rep.evidence == "127.0.0.18"
    summary = next(f for f in found if f.subject == "192.0.2.1")
    assert summary.evidence == "list.dnswl.org, rep.mailspike.net, zen.spamhaus.org"


def test_a_listing_on_a_list_without_a_delisting_page_says_so() -> None:
    facts = Facts(Target("spam.example", "domain", "spam.example"))
    facts.listings = [
        Listing("spam.example", "uribl.spameatingmonkey.net", "listed", ("127.0.0.2",)),
    ]
    [f] = judge_lists(facts, SAY)
    assert "no delisting page is known" in f.fix[-1] and "spam-trap" in f.detail


def test_refused_answers_are_one_finding_per_list() -> None:
    facts = Facts(Target("192.0.2.1", "ipv4", "192.0.2.1"))
    zen = load().blocklists["zen.spamhaus.org"]
    why = judge_answer("192.0.2.1", zen, Answer(0, ("127.255.255.254",)), None).why
    facts.listings = [
        Listing("192.0.2.1", "zen.spamhaus.org", "unknown", ("127.255.255.254",), why=why),
        Listing("192.0.2.2", "zen.spamhaus.org", "unknown", ("127.255.255.254",), why=why),
    ]
    [f] = judge_lists(facts, SAY)
    assert (f.status, f.subject) == (Status.UNKNOWN, "zen.spamhaus.org")
    assert "192.0.2.1, 192.0.2.2" in f.evidence and "not a listing" in f.detail
    assert "public/open resolver" in f.detail
    [zh] = judge_lists(facts, Say("zh-TW"))
    assert "公共 DNS" in zh.detail and "public/open" not in zh.detail
