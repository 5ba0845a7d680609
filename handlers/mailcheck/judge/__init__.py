"""Pure judges of gathered facts, one per check; `judge()` runs those that apply to the target."""

from __future__ import annotations

from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.lists import judge_lists
from handlers.mailcheck.judge.mx import judge_a, judge_mx
from handlers.mailcheck.judge.reverse import judge_reverse
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.judge.sender import judge_dkim, judge_dmarc, judge_spf
from handlers.mailcheck.judge.transport import judge_mta_sts, judge_tls_rpt
from handlers.reply import Finding, Status

CHECK_ORDER = (
    "mx",
    "a",
    "dnsbl",
    "spf",
    "dmarc",
    "ptr",
    "fcrdns",
    "smtp",
    "mta_sts",
    "tls_rpt",
    "dkim",
)


def judge(facts: Facts, lang: str) -> list[Finding]:
    """Every finding for the target, in CHECK_ORDER."""
    say = Say(lang)
    if facts.target.is_ip:
        findings = judge_reverse(facts, say) + judge_lists(facts, say)
    else:
        findings = (
            judge_mx(facts, say)
            + judge_a(facts, say)
            + judge_lists(facts, say)
            + judge_spf(facts, say)
            + judge_dmarc(facts, say)
            + judge_reverse(facts, say)
            + list(facts.smtp)
            + judge_mta_sts(facts, say)
            + judge_tls_rpt(facts, say)
            + judge_dkim(facts, say)
        )
    return sorted(
        findings, key=lambda f: CHECK_ORDER.index(f.check) if f.check in CHECK_ORDER else 99
    )


def first_to_fix(findings: list[Finding]) -> Finding | None:
    """The finding to fix first: the worst status, earliest in CHECK_ORDER."""
    problems = [f for f in findings if f.status in (Status.FAIL, Status.WARN, Status.UNKNOWN)]
    if not problems:
        return None
    worst = Status.worst([f.status for f in problems])
    return next(f for f in problems if f.status == worst)
