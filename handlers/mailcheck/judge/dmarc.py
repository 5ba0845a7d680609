"""The DMARC finding: which record RFC 9989 applies to the domain, and what it asks of receivers.

Where the record is comes from handlers.mailcheck.dmarc_walk (the DNS Tree Walk); here the record is
read: which policy tag counts (p= at the domain itself; sp=, or np= for a name that does not exist,
when the record is a parent's), invalid policies (4.10.1: p=none if rua= is valid, else no DMARC),
t=y testing and the tags RFC 9989 removed.
"""

from __future__ import annotations

import dataclasses
import re

from handlers.mailcheck.dmarc_walk import Discovery, discover, walk_names
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.mta_sts import tags
from handlers.reply import Finding, Status

_RETIRED_TAGS = ("pct", "rf", "ri")
_POLICIES = ("none", "quarantine", "reject")
_ONE_LOWER = {"reject": "quarantine", "quarantine": "none"}  # t=y: "one level below"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s,!]+")


def judge_dmarc(facts: Facts, say: Say) -> list[Finding]:
    d = discover(facts.target.name, lambda name: facts.get(f"_dmarc.{name}", "TXT"))
    if len(d.own) > 1:
        return [_several(d, facts, say)]
    if d.failed is not None:
        return [_failed(d, say)]
    if d.record is None or d.applied_at is None:
        none = say.finding(
            "dmarc", Status.WARN, f"_dmarc.{d.domain}", "none", "", "dmarc_add", domain=d.domain
        )
        notes, fix = _walk_notes(d, say)
        return [_extend(none, after=notes, fix=fix)]
    return [_applied(d, d.record, _exists(facts, d.domain), say)]


def _exists(facts: Facts, domain: str) -> bool:
    """False when the domain itself gets NXDOMAIN (RFC 9989's non-existent domain, RFC 8020)."""
    answers = (facts.get(domain, t) for t in ("MX", "A", "AAAA", "TXT"))
    return not any(a is not None and a.status == "nxdomain" for a in answers)


def _policy_tag(d: Discovery, t: dict[str, str], exists: bool) -> str:
    """p= for the domain's own record; for a parent's: sp= (np=, then sp=, if the domain does not
    exist), and p= when those are absent."""
    if not d.inherited:
        return "p"
    for tag in ("sp",) if exists else ("np", "sp"):
        if tag in t:
            return tag
    return "p"


def _invalid(t: dict[str, str]) -> tuple[str, str] | None:
    """The first of p= (required), sp= and np= whose value is not none/quarantine/reject."""
    for tag in ("p", "sp", "np"):
        value = t.get(tag)
        if (tag == "p" or value is not None) and (value or "").lower() not in _POLICIES:
            return tag, value or "-"
    return None


def _applied(d: Discovery, record: str, exists: bool, say: Say) -> Finding:
    t = tags(record)
    name = f"_dmarc.{d.applied_at}"
    tag = _policy_tag(d, t, exists)
    before = _origin(d, tag, exists, say)
    notes, fix = _walk_notes(d, say)
    invalid = _invalid(t)
    if invalid is not None:
        rua_ok = any(_URI.fullmatch(u.strip()) for u in t.get("rua", "").split(","))
        consequence = say("dmarc.invalid_as_none" if rua_ok else "dmarc.invalid_ignored")
        bad = say.finding(
            "dmarc",
            Status.FAIL,
            name,
            "bad_policy",
            record,
            "dmarc_add",
            tag=invalid[0],
            policy=invalid[1],
            consequence=consequence,
        )
        return _extend(bad, before, notes, fix)
    written = t[tag].lower()
    policy, testing = written, []
    if t.get("t", "").lower() == "y" and written in _ONE_LOWER:
        policy = _ONE_LOWER[written]
        testing = [say("dmarc.testing", written=written, policy=policy)]
    rua = say("dmarc.rua", rua=t["rua"]) if t.get("rua") else say("dmarc.no_rua")
    retired = [k for k in _RETIRED_TAGS if k in t]
    if retired:
        found = say.finding(
            "dmarc", Status.WARN, name, "retired", record, "dmarc_retired", tags=", ".join(retired)
        )
        found = _extend(found, after=[*testing, say(f"dmarc.p_{policy}", rua=rua)])
    elif policy == "none":
        # a public suffix's record is not the domain owner's to change: they publish their own
        enforce = "dmarc_add" if d.psd is not None else "dmarc_enforce"
        found = say.finding("dmarc", Status.WARN, name, "p_none", record, enforce, rua=rua)
        found = _extend(found, before=testing, fix=say.fix("dmarc_testing") if testing else ())
    else:
        found = say.finding("dmarc", Status.OK, name, f"p_{policy}", record, rua=rua)
        found = _extend(found, before=testing)
    return _extend(found, before, notes, fix)


def _origin(d: Discovery, tag: str, exists: bool, say: Say) -> list[str]:
    """Why a parent's record applies to the domain (nothing when the record is its own)."""
    if not d.inherited:
        return []
    if d.psd is not None:
        key = "dmarc.inherited_psd_self" if d.org == d.domain else "dmarc.inherited_psd"
        lines = [say(key, domain=d.domain, org=d.org, psd=d.psd, tag=tag)]
    else:
        lines = [say("dmarc.inherited", domain=d.domain, org=d.applied_at, tag=tag)]
    if not exists:
        lines.append(say("dmarc.nxdomain", domain=d.domain))
    return lines


def _walk_notes(d: Discovery, say: Say) -> tuple[list[str], tuple[str, ...]]:
    """Records the walk passed over, names it skipped, TXT that only looks like DMARC."""
    notes: list[str] = []
    fix: tuple[str, ...] = ()
    if d.passed_over:
        names = ", ".join(f"_dmarc.{n}" for n in d.passed_over)
        notes.append(say("dmarc.passed_over", names=names, org=d.org, domain=d.domain))
        fix = say.fix("dmarc_psd_n", name=d.passed_over[0], domain=d.domain)
    labels = d.domain.count(".") + 1
    if labels > 8 and len(d.own) != 1:
        start = walk_names(d.domain)[1]
        notes.append(say("dmarc.shortened", domain=d.domain, labels=labels, start=start))
    if d.loose and len(d.own) != 1:
        notes.append(say("dmarc.not_version", domain=d.domain))
    return notes, fix


def _several(d: Discovery, facts: Facts, say: Say) -> Finding:
    """Several records at the domain: all are discarded and the walk goes on up (4.10 step 2)."""
    name = f"_dmarc.{d.domain}"
    if d.failed is not None:
        tail = say("dmarc.several_unknown", name=d.failed.name, why=d.failed.why)
    elif d.record is not None and d.applied_at is not None:
        t = tags(d.record)
        tag = _policy_tag(d, t, _exists(facts, d.domain))
        tail = say("dmarc.several_instead", at=d.applied_at, tag=tag, policy=t.get(tag, "-"))
    else:
        tail = say("dmarc.several_alone", domain=d.domain)
    several = say.finding(
        "dmarc",
        Status.FAIL,
        name,
        "several",
        " | ".join(d.own),
        "dmarc_one",
        count=len(d.own),
        name=name,
    )
    notes, fix = _walk_notes(d, say)
    return _extend(several, after=[tail, *notes], fix=fix)


def _failed(d: Discovery, say: Say) -> Finding:
    failed = d.failed
    assert failed is not None
    if len(d.asked) == 1:
        return say.finding(
            "dmarc", Status.UNKNOWN, failed.name, "lookup_failed", failed.why, why=failed.why
        )
    return say.finding(
        "dmarc",
        Status.UNKNOWN,
        failed.name,
        "walk_failed",
        failed.why,
        domain=d.domain,
        name=failed.name,
        why=failed.why,
    )


def _extend(
    finding: Finding,
    before: list[str] | None = None,
    after: list[str] | None = None,
    fix: tuple[str, ...] = (),
) -> Finding:
    detail = " ".join([*(before or []), finding.detail, *(after or [])])
    return dataclasses.replace(finding, detail=detail, fix=fix + finding.fix)
