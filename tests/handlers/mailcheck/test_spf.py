"""SPF parsing and the lookup-counting walk, on records given as plain values."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype

from handlers.dns import Records
from handlers.mailcheck import spf


def txt(name: str, *records: str) -> Records:
    rdata = tuple(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, r) for r in records)
    return Records(name, "TXT", "ok" if rdata else "nodata", rdata)


def getter(records: dict[tuple[str, str], Records]) -> spf.Get:
    return lambda name, rdtype: records.get((name, rdtype))


def test_strings_of_one_txt_record_are_joined_before_parsing() -> None:
    assert spf.spf_records(txt("d", '"v=spf1 ip4:192.0.2.0/24 " "-all"', '"other"')) == [
        "v=spf1 ip4:192.0.2.0/24 -all"
    ]


def test_syntax_problems_name_the_term() -> None:
    _, problems = spf.parse("v=spf1 ip4:300.1.1.1 ip6:192.0.2.1 frob include -all")
    assert any("300.1.1.1" in p for p in problems)
    assert any("not an IPv6" in p for p in problems)
    assert any("frob" in p for p in problems)
    assert any("include" in p and "needs a domain" in p for p in problems)


def test_the_walk_asks_for_what_it_lacks_then_counts_lookups_and_voids() -> None:
    records = {("d.test", "TXT"): txt("d.test", '"v=spf1 include:i.test a:gone.test mx -all"')}
    first = spf.walk("d.test", getter(records))
    assert first.missing == {("i.test", "TXT"), ("gone.test", "A"), ("d.test", "MX")}
    records[("i.test", "TXT")] = txt("i.test", '"v=spf1 a mx ptr -all"')
    records[("gone.test", "A")] = Records("gone.test", "A", "nxdomain")
    records[("d.test", "MX")] = Records("d.test", "MX", "nodata")
    records[("i.test", "A")] = Records("i.test", "A", "nxdomain")
    records[("i.test", "MX")] = Records("i.test", "MX", "nxdomain")
    done = spf.walk("d.test", getter(records))
    assert done.missing == set()
    assert done.lookups == 6  # include, a, mx + a, mx, ptr inside the include
    assert done.voids == 4
    assert done.all_term == "-all"


def test_redirect_is_followed_and_its_all_counts() -> None:
    records = {
        ("d.test", "TXT"): txt("d.test", '"v=spf1 redirect=r.test"'),
        ("r.test", "TXT"): txt("r.test", '"v=spf1 ip4:192.0.2.1 ~all"'),
    }
    walk = spf.walk("d.test", getter(records))
    assert (walk.lookups, walk.all_term, walk.problems) == (1, "~all", [])


def test_an_include_without_spf_is_a_problem_and_dns_errors_are_kept_apart() -> None:
    records = {
        ("d.test", "TXT"): txt("d.test", '"v=spf1 include:none.test include:broken.test -all"'),
        ("none.test", "TXT"): txt("none.test", '"not spf"'),
        ("broken.test", "TXT"): Records("broken.test", "TXT", "error", why="SERVFAIL"),
    }
    walk = spf.walk("d.test", getter(records))
    assert any("none.test has no single SPF record" in p for p in walk.problems)
    assert walk.errors == ["broken.test: SERVFAIL"]
