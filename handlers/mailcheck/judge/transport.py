"""MTA-STS and TLS-RPT findings: does the domain ask senders for verified TLS, and is it consistent?"""

from __future__ import annotations

from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.mailcheck.judge.sender import _texts
from handlers.mailcheck.mta_sts import mx_matches, parse_policy, sts_records, tags, tlsrpt_records
from handlers.reply import Finding, Status


def judge_mta_sts(facts: Facts, say: Say) -> list[Finding]:
    domain = facts.target.name
    name = f"_mta-sts.{domain}"
    found = facts.get(name, "TXT")
    if found is not None and found.failed:
        return [
            say.finding("mta_sts", Status.UNKNOWN, name, "lookup_failed", found.why, why=found.why)
        ]
    records = sts_records(_texts(found))
    if not records:
        return [say.finding("mta_sts", Status.OK, domain, "none", "")]
    if len(records) > 1 or not tags(records[0]).get("id"):
        return [
            say.finding("mta_sts", Status.FAIL, name, "bad_txt", " | ".join(records), "mta_sts_txt")
        ]
    fetched = facts.policy
    if fetched is None:
        return [say.finding("mta_sts", Status.UNKNOWN, domain, "not_fetched", records[0], why="-")]
    if fetched.status == "refused":
        return [
            say.finding(
                "mta_sts", Status.UNKNOWN, fetched.url, "refused", fetched.why, why=fetched.why
            )
        ]
    if fetched.status != "ok":
        return [
            say.finding(
                "mta_sts",
                Status.FAIL,
                fetched.url,
                "fetch_failed",
                fetched.why,
                "mta_sts_policy",
                why=fetched.why,
                url=fetched.url,
            )
        ]
    policy = parse_policy(fetched.text)
    evidence = f"mode={policy.mode} max_age={policy.max_age} mx={','.join(policy.mx)}"
    if policy.problems:
        problems = "; ".join(policy.problems)
        return [
            say.finding(
                "mta_sts",
                Status.FAIL,
                fetched.url,
                "bad_policy",
                evidence,
                "mta_sts_policy",
                why=problems,
                url=fetched.url,
            )
        ]
    uncovered = [h for h in facts.hosts if not any(mx_matches(h, p) for p in policy.mx)]
    if uncovered and policy.mode != "none":
        status = Status.FAIL if policy.mode == "enforce" else Status.WARN
        hosts = ", ".join(uncovered)
        return [
            say.finding(
                "mta_sts",
                status,
                fetched.url,
                "uncovered",
                evidence,
                "mta_sts_mx",
                hosts=hosts,
                mode=policy.mode,
            )
        ]
    return [say.finding("mta_sts", Status.OK, fetched.url, f"mode_{policy.mode}", evidence)]


def judge_tls_rpt(facts: Facts, say: Say) -> list[Finding]:
    name = f"_smtp._tls.{facts.target.name}"
    found = facts.get(name, "TXT")
    if found is not None and found.failed:
        return [
            say.finding("tls_rpt", Status.UNKNOWN, name, "lookup_failed", found.why, why=found.why)
        ]
    records = tlsrpt_records(_texts(found))
    if not records:
        return [say.finding("tls_rpt", Status.OK, name, "none", "")]
    if len(records) > 1 or not tags(records[0]).get("rua"):
        return [say.finding("tls_rpt", Status.FAIL, name, "bad", " | ".join(records), "tls_rpt")]
    return [say.finding("tls_rpt", Status.OK, name, "ok", records[0])]
