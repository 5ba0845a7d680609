"""SPF, DMARC and DKIM findings: will mail claiming to come from this domain be believed?"""

from __future__ import annotations

import dataclasses

from handlers.dns import Records
from handlers.mailcheck import spf
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.mta_sts import tags
from handlers.mailcheck.orgdomain import dmarc_names
from handlers.reply import Finding, Status

_RETIRED_DMARC_TAGS = ("pct", "rf", "ri")
_DMARC_POLICIES = ("none", "quarantine", "reject")


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


def judge_dmarc(facts: Facts, say: Say) -> list[Finding]:
    domain = facts.target.name
    for name in dmarc_names(domain):
        found = facts.get(name, "TXT")
        if found is not None and found.failed:
            return [
                say.finding(
                    "dmarc", Status.UNKNOWN, name, "lookup_failed", found.why, why=found.why
                )
            ]
        records = [t for t in _texts(found) if t.replace(" ", "").lower().startswith("v=dmarc1")]
        if records:
            found_at = name.removeprefix("_dmarc.")
            return [_dmarc_record(name, records, say, None if found_at == domain else domain)]
    return [
        say.finding(
            "dmarc", Status.WARN, f"_dmarc.{domain}", "none", "", "dmarc_add", domain=domain
        )
    ]


def _dmarc_record(name: str, records: list[str], say: Say, subdomain: str | None) -> Finding:
    """The finding for the record(s) at `name`; `subdomain` is the domain asked about when the
    record is its organisational domain's, whose sp= (else p=) policy then applies."""
    evidence = " | ".join(records)
    if len(records) > 1:
        return say.finding(
            "dmarc", Status.FAIL, name, "several", evidence, "dmarc_one", count=len(records)
        )
    t = tags(records[0])
    policy = t.get("p", "").lower()
    if policy not in _DMARC_POLICIES:
        return say.finding(
            "dmarc", Status.FAIL, name, "bad_policy", evidence, "dmarc_add", policy=policy or "-"
        )
    tag = "p"
    if subdomain is not None and t.get("sp", "").lower() in _DMARC_POLICIES:
        tag, policy = "sp", t["sp"].lower()
    retired = [k for k in _RETIRED_DMARC_TAGS if k in t]
    rua = say("dmarc.rua", rua=t["rua"]) if t.get("rua") else say("dmarc.no_rua")
    if retired:
        found = say.finding(
            "dmarc",
            Status.WARN,
            name,
            "retired",
            evidence,
            "dmarc_retired",
            tags=", ".join(retired),
        )
    elif policy == "none":
        found = say.finding(
            "dmarc", Status.WARN, name, "p_none", evidence, "dmarc_enforce", rua=rua
        )
    else:
        found = say.finding("dmarc", Status.OK, name, f"p_{policy}", evidence, rua=rua)
    if subdomain is None:
        return found
    org = name.removeprefix("_dmarc.")
    inherited = say("dmarc.inherited", domain=subdomain, org=org, tag=tag)
    return dataclasses.replace(found, detail=f"{inherited} {found.detail}")


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
