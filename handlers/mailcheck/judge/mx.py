"""MX and A findings: where mail for the domain goes, and whether those hosts have addresses."""

from __future__ import annotations

import ipaddress
import re

from handlers.mailcheck.gather import Facts, addresses_of, mx_hosts
from handlers.mailcheck.judge.say import Say
from handlers.reply import Finding, Status

_IP_LITERAL = re.compile(r"^\[?(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)\]?$", re.IGNORECASE)


def judge_mx(facts: Facts, say: Say) -> list[Finding]:
    domain = facts.target.name
    mx = facts.get(domain, "MX")
    if mx is None or mx.failed:
        why = mx.why if mx is not None else "not asked"
        return [say.finding("mx", Status.UNKNOWN, domain, "lookup_failed", why, why=why)]
    if mx.status == "nxdomain":
        return [
            say.finding(
                "mx", Status.FAIL, domain, "nxdomain", "NXDOMAIN", "nxdomain", domain=domain
            )
        ]
    evidence = "; ".join(
        sorted(mx.texts, key=lambda t: int(t.split()[0]) if t.split()[0].isdigit() else 0)
    )
    if mx.status == "nodata":
        if addresses_of(facts, domain):
            ev = "no MX; A/AAAA " + ", ".join(addresses_of(facts, domain))
            return [say.finding("mx", Status.WARN, domain, "implicit", ev, "add_mx", domain=domain)]
        return [
            say.finding(
                "mx", Status.FAIL, domain, "none", "no MX, no A/AAAA", "add_mx", domain=domain
            )
        ]
    hosts = mx_hosts(mx)
    null = any(r.to_text().split()[-1] == "." for r in mx.rdata)
    if null and hosts:
        return [
            say.finding("mx", Status.FAIL, domain, "null_mixed", evidence, "null_mx", domain=domain)
        ]
    if null:
        return [say.finding("mx", Status.FAIL, domain, "null", evidence, "null_mx", domain=domain)]
    out = [say.finding("mx", Status.OK, domain, "ok", evidence, count=len(hosts))]
    for host in hosts:
        if _IP_LITERAL.match(host):
            out.append(
                say.finding("mx", Status.FAIL, host, "ip_literal", evidence, "mx_name", host=host)
            )
    return out


def _reachable(address: str, facts: Facts) -> bool:
    """A public address, or one in the ranges the operator allowed (the lab's loopback)."""
    ip = ipaddress.ip_address(address)
    if any(ip.version == net.version and ip in net for net in facts.allowed):
        return True
    return ip.is_global


def judge_a(facts: Facts, say: Say) -> list[Finding]:
    out = []
    for host in facts.hosts:
        if host == facts.target.name and facts.get(host, "MX") is not None:
            mx = facts.get(host, "MX")
            if mx is not None and mx.status == "nodata":
                continue  # the implicit MX is reported by judge_mx
        a, aaaa = facts.get(host, "A"), facts.get(host, "AAAA")
        addresses = addresses_of(facts, host)
        canonical = next((r.canonical for r in (a, aaaa) if r and r.found and r.canonical), host)
        if addresses and canonical.lower().rstrip(".") != host:
            ev = f"{host} CNAME {canonical} -> {', '.join(addresses)}"
            out.append(
                say.finding(
                    "a", Status.WARN, host, "cname", ev, "mx_cname", host=host, target=canonical
                )
            )
        elif private := [a for a in addresses if not _reachable(a, facts)]:
            evidence = ", ".join(addresses)
            out.append(
                say.finding(
                    "a",
                    Status.FAIL if private == addresses else Status.WARN,
                    host,
                    "private",
                    evidence,
                    "mx_private",
                    host=host,
                    addresses=", ".join(private),
                )
            )
        elif addresses:
            out.append(say.finding("a", Status.OK, host, "ok", ", ".join(addresses)))
        elif any(r is not None and r.failed for r in (a, aaaa)):
            why = next(r.why for r in (a, aaaa) if r is not None and r.failed)
            out.append(say.finding("a", Status.UNKNOWN, host, "lookup_failed", why, why=why))
        else:
            st = a.status if a is not None else "?"
            out.append(
                say.finding("a", Status.FAIL, host, "none", f"A: {st}", "mx_address", host=host)
            )
    return out
