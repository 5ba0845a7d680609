"""PTR and forward-confirmed reverse DNS (FCrDNS) of each mail host address or the target IP."""

from __future__ import annotations

from handlers.mailcheck.gather import Facts, reverse_name
from handlers.mailcheck.judge.say import Say
from handlers.reply import Finding, Status


def judge_reverse(facts: Facts, say: Say) -> list[Finding]:
    sender = facts.target.is_ip  # a sending IP without PTR gets refused; an MX address less so
    miss = Status.FAIL if sender else Status.WARN
    out = []
    for address in facts.addresses:
        ptr = facts.get(reverse_name(address), "PTR")
        if ptr is None or ptr.failed:
            why = ptr.why if ptr is not None else "not asked"
            out.append(say.finding("ptr", Status.UNKNOWN, address, "lookup_failed", why, why=why))
            continue
        if not ptr.found:
            out.append(
                say.finding("ptr", miss, address, "none", ptr.status.upper(), "ptr", ip=address)
            )
            continue
        names = [r.to_text().rstrip(".") for r in ptr.rdata]
        out.append(say.finding("ptr", Status.OK, address, "ok", ", ".join(names)))
        rdtype = "AAAA" if ":" in address else "A"
        confirmed, failed = False, ""
        seen = []
        for name in names[:3]:
            forward = facts.get(name, rdtype)
            if forward is None:
                continue
            if forward.failed:
                failed = forward.why
            values = [r.to_text() for r in forward.rdata if r.rdtype in (1, 28)]
            seen.append(f"{name} -> {', '.join(values) or forward.status.upper()}")
            confirmed = confirmed or address in values
        evidence = "; ".join(seen)
        if confirmed:
            out.append(say.finding("fcrdns", Status.OK, address, "ok", evidence, name=names[0]))
        elif failed:
            out.append(
                say.finding(
                    "fcrdns", Status.UNKNOWN, address, "lookup_failed", evidence, why=failed
                )
            )
        else:
            out.append(
                say.finding(
                    "fcrdns",
                    miss,
                    address,
                    "mismatch",
                    evidence,
                    "fcrdns",
                    ip=address,
                    name=names[0],
                )
            )
    return out
