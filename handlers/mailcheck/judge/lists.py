"""Blocklist findings: each listing with the list's meaning of its codes, the TXT and how to get off.

Codes are read with the knowledge base (handlers.dnsbl_codes): a bitmask answer names each flag set,
an allowlist or good-reputation answer is an ok finding that says what it means, never a listing.
Unknown answers (refused, rate limited, timeouts) are grouped per list and reason: a resolver that
Spamhaus refuses makes one finding per list, not one per address.
"""

from __future__ import annotations

from handlers.dnsbl import Listing, blocklist_for
from handlers.dnsbl_codes import describe, say_why, text
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.reply import Finding, Status


def _listed(target: str, item: Listing, say: Say) -> Finding:
    blocklist = blocklist_for(item.zone)
    url = blocklist.delist_url or text("dnsbl.no_delist_url").get(say.lang)
    meanings = describe(blocklist, item.codes, say.lang)
    evidence = " ".join(item.codes) + (f" TXT: {item.txt}" if item.txt else "")
    return say.finding(
        "dnsbl",
        Status.FAIL,
        f"{target} @ {item.zone}",
        "listed",
        evidence,
        "dnsbl_delist",
        zone=item.zone,
        meaning=meanings,
        url=url,
        target=target,
    )


def _not_listing(target: str, item: Listing, say: Say) -> Finding:
    """A clear answer that carries codes: an allowlist entry or a reputation level, said as such."""
    meanings = describe(blocklist_for(item.zone), item.codes, say.lang)
    return say.finding(
        "dnsbl",
        Status.OK,
        f"{target} @ {item.zone}",
        "not_listing",
        " ".join(item.codes),
        zone=item.zone,
        meaning=meanings,
    )


def judge_lists(facts: Facts, say: Say) -> list[Finding]:
    out: list[Finding] = []
    unknown: dict[tuple[str, str], list[Listing]] = {}
    by_target: dict[str, list[Listing]] = {}
    for listing in facts.listings:
        by_target.setdefault(listing.target, []).append(listing)
    for target, listings in by_target.items():
        for item in listings:
            if item.state == "unknown":
                unknown.setdefault((item.zone, item.why), []).append(item)
            elif item.state == "listed":
                out.append(_listed(target, item, say))
            elif item.codes:
                out.append(_not_listing(target, item, say))
        clear = [i.zone for i in listings if i.state == "clear"]
        key = "clear" if len(clear) == len(listings) else "clear_others"
        if clear:
            out.append(
                say.finding("dnsbl", Status.OK, target, key, ", ".join(clear), count=len(clear))
            )
    for (zone, why), items in unknown.items():
        targets = ", ".join(i.target for i in items)
        codes = " ".join(dict.fromkeys(c for i in items for c in i.codes))
        evidence = f"{targets}: {codes}".rstrip(": ")
        local_why = say_why(blocklist_for(zone), why, say.lang)
        out.append(say.finding("dnsbl", Status.UNKNOWN, zone, "unknown", evidence, why=local_why))
    return out
