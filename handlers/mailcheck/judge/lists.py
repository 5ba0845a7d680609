"""Blocklist findings: each listing with the list's meaning of its codes, the TXT and how to get off.

Unknown answers (refused, rate limited, timeouts) are grouped per list and reason: a resolver that
Spamhaus refuses makes one finding per list, not one per address.
"""

from __future__ import annotations

from handlers.dnsbl import Listing
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.reply import Finding, Status
from knowledge.loader import load
from knowledge.model import Blocklist


def _last_octet(code: str) -> int:
    tail = code.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def meaning(blocklist: Blocklist | None, code: str, lang: str) -> str:
    """The list's meaning of `code`; bitmask lists (SURBL, URIBL) get the meanings of each bit."""
    if blocklist is None:
        return code
    known = blocklist.meaning(code)
    if known is not None:
        return f"{code} {known.meaning.get(lang).rstrip('.。')}"
    value = _last_octet(code)
    bits = [
        c
        for c in blocklist.codes
        if (v := _last_octet(c.code)) and v & (v - 1) == 0 and value & v and c.code[:8] == code[:8]
    ]
    if bits and sum(_last_octet(c.code) for c in bits) == value:
        return f"{code} " + " + ".join(c.meaning.get(lang).rstrip(".。") for c in bits)
    return code


def judge_lists(facts: Facts, say: Say) -> list[Finding]:
    lists = load().blocklists
    out: list[Finding] = []
    unknown: dict[tuple[str, str], list[Listing]] = {}
    by_target: dict[str, list[Listing]] = {}
    for listing in facts.listings:
        by_target.setdefault(listing.target, []).append(listing)
    for target, listings in by_target.items():
        for item in listings:
            if item.state == "unknown":
                unknown.setdefault((item.zone, item.why), []).append(item)
            if item.state != "listed":
                continue
            blocklist = lists.get(item.zone)
            url = blocklist.delist_url if blocklist and blocklist.delist_url else "-"
            meanings = "; ".join(meaning(blocklist, c, say.lang) for c in item.codes)
            evidence = " ".join(item.codes) + (f" TXT: {item.txt}" if item.txt else "")
            out.append(
                say.finding(
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
            )
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
        out.append(say.finding("dnsbl", Status.UNKNOWN, zone, "unknown", evidence, why=why))
    return out
