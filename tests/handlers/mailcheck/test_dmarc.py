"""DMARC policy discovery by RFC 9989's DNS Tree Walk, on hand-made answers.

Every case here names a place where a shortcut gives another answer: the Public Suffix List
(RFC 7489), taking the nearest record found, walking without the jump to 7 labels, or letting an
answer past the walk's stop count.
"""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from handlers.dns import Records
from handlers.mailcheck.dmarc_walk import discover, walk_names
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.judge.sender import judge_dmarc
from handlers.mailcheck.target import Target
from handlers.reply import Finding, Status

EN = Say("en")


def txt(domain: str, *texts: str) -> Records:
    """The answer for _dmarc.<domain> holding these TXT records (each one string)."""
    rdata = tuple(
        dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, f'"{t}"') for t in texts
    )
    return Records(f"_dmarc.{domain}", "TXT", "ok" if rdata else "nodata", rdata)


def nx(domain: str) -> Records:
    return Records(f"_dmarc.{domain}", "TXT", "nxdomain")


def failed(domain: str) -> Records:
    return Records(f"_dmarc.{domain}", "TXT", "error", why="SERVFAIL")


def facts_for(domain: str, *answers: Records) -> Facts:
    """Facts where every walk name not given answers NXDOMAIN (so nothing is left unasked)."""
    facts = Facts(Target(domain, "domain", domain))
    given = {r.name: r for r in answers}
    for name in walk_names(domain):
        key = f"_dmarc.{name}"
        facts.records[(key, "TXT")] = given.pop(key, nx(name))
    facts.records.update({(r.name, r.rdtype): r for r in given.values()})
    return facts


def dmarc(domain: str, *answers: Records, say: Say = EN) -> Finding:
    [found] = judge_dmarc(facts_for(domain, *answers), say)
    return found


# --- which names are asked, in which order --------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "names"),
    [
        ("example.com", ["example.com", "com"]),
        ("a.mail.example.com", ["a.mail.example.com", "mail.example.com", "example.com", "com"]),
        ("com", ["com"]),
        ("Mail.Example.COM.", ["mail.example.com", "example.com", "com"]),
        # RFC 9989 4.10's own example: 13 labels, then the last 7, then one label at a time
        (
            "a.b.c.d.e.f.g.h.i.j.mail.example.com",
            [
                "a.b.c.d.e.f.g.h.i.j.mail.example.com",
                "g.h.i.j.mail.example.com",
                "h.i.j.mail.example.com",
                "i.j.mail.example.com",
                "j.mail.example.com",
                "mail.example.com",
                "example.com",
                "com",
            ],
        ),
        # 8 labels: "if x >= 8 ... until 7 labels remain" is one label here, 8 queries in all
        (
            "a.b.c.d.e.example.co.uk",
            [
                "a.b.c.d.e.example.co.uk",
                "b.c.d.e.example.co.uk",
                "c.d.e.example.co.uk",
                "d.e.example.co.uk",
                "e.example.co.uk",
                "example.co.uk",
                "co.uk",
                "uk",
            ],
        ),
    ],
)
def test_the_walk_asks_the_domain_then_its_parents_down_to_the_top_level_label(
    domain: str, names: list[str]
) -> None:
    assert walk_names(domain) == names


def test_a_name_of_9_or_more_labels_jumps_to_its_last_7_and_asks_8_names_at_most() -> None:
    for extra in range(1, 30):
        labels = [f"x{i}" for i in range(extra)] + ["a", "b", "c", "d", "e", "f", "g", "h"]
        names = walk_names(".".join(labels))
        assert len(names) == 8
        assert [n.count(".") + 1 for n in names[1:]] == [7, 6, 5, 4, 3, 2, 1]


def test_the_walk_stops_at_psd_and_answers_past_the_stop_are_never_read() -> None:
    seen: list[str] = []

    def get(name: str) -> Records:
        seen.append(name)
        if name == "co.uk":
            return txt(name, "v=DMARC1; p=reject; psd=y")
        return failed(name) if name == "uk" else nx(name)

    d = discover("mail.example.co.uk", get)
    assert d.asked == ("mail.example.co.uk", "example.co.uk", "co.uk")
    assert seen == list(d.asked) and d.failed is None
    assert (d.org, d.applied_at, d.psd) == ("example.co.uk", "co.uk", "co.uk")


# --- which record applies -------------------------------------------------------------------------


def test_the_domains_own_record_applies_with_its_p_policy_whatever_is_above() -> None:
    f = dmarc(
        "mail.example.com",
        txt("mail.example.com", "v=DMARC1; p=reject; sp=none"),
        txt("example.com", "v=DMARC1; p=none"),
        failed("com"),
    )
    assert (f.status, f.subject) == (Status.OK, "_dmarc.mail.example.com")
    assert "refused" in f.detail and "of its own" not in f.detail


def test_with_no_record_of_its_own_the_parents_record_applies_with_sp() -> None:
    f = dmarc("a.b.mail.example.com", txt("example.com", "v=DMARC1; p=reject; sp=quarantine"))
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.com")
    assert "a.b.mail.example.com has no DMARC record of its own" in f.detail
    assert "example.com as its organisational domain" in f.detail and "its sp= policy" in f.detail
    assert "goes to spam" in f.detail


def test_of_two_records_above_the_highest_applies_not_the_nearest() -> None:
    # 4.10.2 rule 3 and appendix B.4.2: "the policy domain is the highest element in the DNS tree
    # with a DMARC Policy Record"; the nearer record would need psd=n to count
    f = dmarc(
        "x.mid.example.com",
        txt("mid.example.com", "v=DMARC1; p=reject"),
        txt("example.com", "v=DMARC1; p=none; rua=mailto:d@example.com"),
    )
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.example.com")
    assert "Not used for x.mid.example.com: the record at _dmarc.mid.example.com" in f.detail
    assert any("add psd=n" in step for step in f.fix)


def test_a_record_with_psd_n_on_the_way_is_the_organisational_domain_and_ends_the_walk() -> None:
    f = dmarc(
        "x.mid.example.com",
        txt("mid.example.com", "v=DMARC1; p=reject; sp=quarantine; psd=n"),
        txt("example.com", "v=DMARC1; p=none"),
        failed("com"),  # past the stop: an in-order walk never asks it
    )
    assert (f.status, f.subject) == (Status.OK, "_dmarc.mid.example.com")
    assert "its sp= policy" in f.detail and "Not used" not in f.detail


def test_a_public_suffix_record_makes_the_name_below_it_the_organisational_domain() -> None:
    # without psd=y the co.uk record would be the highest and apply (rule 3); with it, the walk
    # stops there and example.co.uk, one label below, is the organisational domain (rule 2)
    answers = (
        txt("shop.example.co.uk", "v=DMARC1; p=none"),
        txt("example.co.uk", "v=DMARC1; p=reject; sp=quarantine"),
        txt("co.uk", "v=DMARC1; p=none; psd=y"),
        failed("uk"),
    )
    f = dmarc("a.shop.example.co.uk", *answers)
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.co.uk")
    assert "Not used for a.shop.example.co.uk: the record at _dmarc.shop.example.co.uk" in f.detail
    plain = (answers[0], answers[1], txt("co.uk", "v=DMARC1; p=none"), nx("uk"))
    f = dmarc("a.shop.example.co.uk", *plain)
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.co.uk")


@pytest.mark.parametrize(
    ("record", "exists", "status", "tag"),
    [
        ("v=DMARC1; psd=y; p=reject; sp=none; np=quarantine", True, Status.WARN, "sp"),
        ("v=DMARC1; psd=y; p=reject; sp=none; np=quarantine", False, Status.OK, "np"),
        ("v=DMARC1; psd=y; p=reject; sp=none", False, Status.WARN, "sp"),
        ("v=DMARC1; psd=y; p=none", False, Status.WARN, "p"),
        ("v=DMARC1; psd=y; p=reject", True, Status.OK, "p"),
    ],
)
def test_with_no_organisational_record_the_public_suffix_record_applies_with_sp_or_np(
    record: str, exists: bool, status: Status, tag: str
) -> None:
    facts = facts_for("shop.example.co.uk", txt("co.uk", record))
    if not exists:
        facts.records[("shop.example.co.uk", "A")] = Records("shop.example.co.uk", "A", "nxdomain")
    [f] = judge_dmarc(facts, EN)
    assert (f.status, f.subject) == (status, "_dmarc.co.uk")
    assert "the public suffix co.uk publishes one with psd=y" in f.detail
    assert "its organisational domain example.co.uk" in f.detail
    assert f"its {tag}= policy" in f.detail
    assert ("does not exist (NXDOMAIN)" in f.detail) is (not exists)


def test_several_records_at_a_name_on_the_way_are_discarded_and_the_walk_goes_on() -> None:
    f = dmarc(
        "x.mid.example.com",
        txt("mid.example.com", "v=DMARC1; p=none; psd=n", "v=DMARC1; p=reject; psd=n"),
        txt("example.com", "v=DMARC1; p=quarantine"),
    )
    assert (f.status, f.subject) == (Status.OK, "_dmarc.example.com")


def test_several_records_at_the_domain_fail_and_say_which_record_receivers_use_instead() -> None:
    f = dmarc(
        "mail.example.com",
        txt("mail.example.com", "v=DMARC1; p=reject", "v=DMARC1; p=none"),
        txt("example.com", "v=DMARC1; p=quarantine; sp=none"),
    )
    assert (f.status, f.subject) == (Status.FAIL, "_dmarc.mail.example.com")
    assert "2 DMARC records" in f.detail and "_dmarc.example.com, with its sp=none" in f.detail


@pytest.mark.parametrize(
    "text",
    ["p=reject; v=DMARC1", "v=dmarc1; p=reject", "v=DMARC10; p=reject", " v=DMARC1; p=reject"],
)
def test_only_a_record_starting_with_exactly_v_dmarc1_counts(text: str) -> None:
    f = dmarc("example.com", txt("example.com", text))
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.example.com")
    assert "must start with exactly v=DMARC1" in f.detail


def test_a_record_may_space_its_version_tag() -> None:
    f = dmarc("example.com", txt("example.com", "V = DMARC1 ; p=reject"))
    assert f.status == Status.OK


# --- failed lookups -------------------------------------------------------------------------------


def test_a_failure_before_the_walk_stops_leaves_the_policy_unknown() -> None:
    f = dmarc(
        "x.mid.example.com", failed("mid.example.com"), txt("example.com", "v=DMARC1; p=none")
    )
    assert (f.status, f.subject) == (Status.UNKNOWN, "_dmarc.mid.example.com")
    assert "which policy applies is unknown" in f.detail


def test_a_failure_at_the_domain_itself_is_unknown() -> None:
    f = dmarc("example.com", failed("example.com"))
    assert (f.status, f.subject) == (Status.UNKNOWN, "_dmarc.example.com")


def test_a_failure_at_the_top_level_label_matters_when_the_walk_reaches_it() -> None:
    f = dmarc("mail.example.com", txt("example.com", "v=DMARC1; p=reject"), failed("com"))
    assert (f.status, f.subject) == (Status.UNKNOWN, "_dmarc.com")


# --- the 7-label jump -----------------------------------------------------------------------------


def test_a_deep_name_skips_the_records_between_it_and_its_last_7_labels() -> None:
    domain = "l10.l9.l8.l7.l6.l5.l4.l3.example.com"  # l<n> is the n-th label from the right
    f = dmarc(
        domain,
        txt("l9.l8.l7.l6.l5.l4.l3.example.com", "v=DMARC1; p=reject; psd=n"),
        txt("l8.l7.l6.l5.l4.l3.example.com", "v=DMARC1; p=reject; psd=n"),
        txt("l7.l6.l5.l4.l3.example.com", "v=DMARC1; p=none; psd=n"),
        txt("l6.l5.l4.l3.example.com", "v=DMARC1; p=quarantine; psd=n"),
    )
    assert (f.status, f.subject) == (Status.WARN, "_dmarc.l7.l6.l5.l4.l3.example.com")
    assert f"{domain} has 10 labels" in f.detail


# --- what the record asks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ("v=DMARC1; p=maybe", "receivers apply no DMARC at all"),
        ("v=DMARC1; p=maybe; rua=mailto:d@example.com", "treat it as p=none"),
        ("v=DMARC1; p=reject; sp=bogus", "sp=bogus"),
        ("v=DMARC1; p=reject; np=never; rua=mailto:d@example.com", "np=never"),
        ("v=DMARC1; rua=mailto:d@example.com", "p=-"),
    ],
)
def test_an_invalid_p_sp_or_np_makes_the_record_invalid(record: str, words: str) -> None:
    f = dmarc("example.com", txt("example.com", record))
    assert f.status == Status.FAIL and words in f.detail


@pytest.mark.parametrize(
    ("record", "status", "words"),
    [
        ("v=DMARC1; p=reject; t=y", Status.OK, "apply quarantine instead of reject"),
        ("v=DMARC1; p=quarantine; t=y", Status.WARN, "apply none instead of quarantine"),
        ("v=DMARC1; p=reject; t=n", Status.OK, "failing mail is refused"),
    ],
)
def test_testing_mode_lowers_the_policy_one_level(record: str, status: Status, words: str) -> None:
    f = dmarc("example.com", txt("example.com", record))
    assert f.status == status and words in f.detail


def test_the_inherited_policy_is_explained_in_chinese_too() -> None:
    f = dmarc(
        "mail.example.com", txt("example.com", "v=DMARC1; p=none; sp=reject"), say=Say("zh-TW")
    )
    assert "mail.example.com 本身沒有 DMARC 記錄" in f.detail
    assert "以 example.com 為其組織網域" in f.detail and "sp= 政策" in f.detail
