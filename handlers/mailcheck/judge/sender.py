"""SPF, DMARC and DKIM findings: will mail claiming to come from this domain be believed?

DMARC is judged in judge/dmarc.py (policy discovery by the DNS Tree Walk); it is re-exported here.
"""

from __future__ import annotations

from handlers.dns import Records
from handlers.mailcheck import spf
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.dmarc import judge_dmarc as judge_dmarc
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.mta_sts import tags
from handlers.reply import Finding, Status


def _texts(records: Records | None) -> list[str]:
    if records is None or not records.found:
        return []
    return [b"".join(getattr(r, "strings", ())).decode("utf-8", "replace") for r in records.rdata]


def judge_spf(facts: Facts, say: Say) -> list[Finding]:
    domain = facts.target.name
    txt = facts.get(domain, "TXT")
    if txt is None or txt.failed:
        why = txt.why if txt is not None else "not asked"
        return [say.finding("spf", Status.UNKNOWN, domain, "lookup_failed", why, why=why)]
    records = spf.spf_records(txt)
    if not records:
        return [
            say.finding(
                "spf", Status.WARN, domain, "none", "no v=spf1 TXT", "spf_add", domain=domain
            )
        ]
    evidence = " | ".join(records)
    if len(records) > 1:
        return [
            say.finding(
                "spf", Status.FAIL, domain, "several", evidence, "spf_merge", count=len(records)
            )
        ]
    w = spf.walk(domain, facts.get)
    if w.problems:
        problems = "; ".join(w.problems[:4])
        return [
            say.finding(
                "spf", Status.FAIL, domain, "syntax", evidence, "spf_syntax", problems=problems
            )
        ]
    if w.lookups > spf.MAX_LOOKUPS:
        return [
            say.finding(
                "spf", Status.FAIL, domain, "lookups", evidence, "spf_lookups", count=w.lookups
            )
        ]
    if w.voids > spf.MAX_VOID:
        return [
            say.finding("spf", Status.FAIL, domain, "voids", evidence, "spf_voids", count=w.voids)
        ]
    if w.errors:
        why = "; ".join(w.errors[:3])
        return [say.finding("spf", Status.UNKNOWN, domain, "lookup_failed", evidence, why=why)]
    if w.all_term == "+all":
        return [say.finding("spf", Status.FAIL, domain, "plus_all", evidence, "spf_all")]
    if w.all_term in ("?all", ""):
        return [say.finding("spf", Status.WARN, domain, "neutral", evidence, "spf_all")]
    return [
        say.finding("spf", Status.OK, domain, "ok", evidence, lookups=w.lookups, all=w.all_term)
    ]


def judge_dkim(facts: Facts, say: Say) -> list[Finding]:
    domain, given = facts.target.name, bool(facts.target.selectors)
    out, failed = [], []
    for selector in facts.selectors:
        name = f"{selector}._domainkey.{domain}"
        found = facts.get(name, "TXT")
        if found is not None and found.failed:
            failed.append(f"{name}: {found.why}")
        keys = [t for t in _texts(found) if "p=" in t]
        if not keys:
            if given:
                out.append(
                    say.finding(
                        "dkim",
                        Status.FAIL,
                        name,
                        "missing",
                        found.status if found else "",
                        "dkim_publish",
                        selector=selector,
                    )
                )
            continue
        key = tags(keys[0]).get("p", "")
        if not key:
            out.append(
                say.finding(
                    "dkim",
                    Status.WARN,
                    name,
                    "revoked",
                    keys[0][:200],
                    "dkim_publish",
                    selector=selector,
                )
            )
        else:
            out.append(
                say.finding(
                    "dkim",
                    Status.OK,
                    name,
                    "ok",
                    keys[0][:120] + ("..." if len(keys[0]) > 120 else ""),
                )
            )
    if out:
        return out
    if failed:
        return [
            say.finding(
                "dkim",
                Status.UNKNOWN,
                domain,
                "lookup_failed",
                "; ".join(failed[:3]),
                why=failed[0],
            )
        ]
    listed = ", ".join(facts.selectors)
    return [
        say.finding(
            "dkim",
            Status.UNKNOWN,
            domain,
            "not_found",
            listed,
            "dkim_selector",
            selectors=listed,
            domain=domain,
        )
    ]
