"""Blocklist findings: each listing with the list's meaning of its codes, the TXT and how to get off."""

from __future__ import annotations

from handlers.dnsbl import Listing
from handlers.mailcheck.gather import Facts
from handlers.mailcheck.judge.say import Say
from handlers.reply import Finding, Status
from knowledge.loader import load


def _meanings(listing: Listing, lang: str) -> str:
    blocklist = load().blocklists.get(listing.zone)
    out = []
    for code in listing.codes:
        known = blocklist.meaning(code) if blocklist is not None else None
        out.append(f"{code} {known.meaning.get(lang).rstrip('.。')}" if known else code)
    return "; ".join(out)


def judge_lists(facts: Facts, say: Say) -> list[Finding]:
    out: list[Finding] = []
    by_target: dict[str, list[Listing]] = {}
    for listing in facts.listings:
        by_target.setdefault(listing.target, []).append(listing)
    for target, listings in by_target.items():
        for item in listings:
            subject = f"{target} @ {item.zone}"
            if item.state == "listed":
                blocklist = load().blocklists.get(item.zone)
                url = blocklist.delist_url if blocklist and blocklist.delist_url else "-"
                evidence = " ".join(item.codes) + (f" TXT: {item.txt}" if item.txt else "")
                out.append(
                    say.finding(
                        "dnsbl",
                        Status.FAIL,
                        subject,
                        "listed",
                        evidence,
                        "dnsbl_delist",
                        zone=item.zone,
                        meaning=_meanings(item, say.lang),
                        url=url,
                        target=target,
                    )
                )
            elif item.state == "unknown":
                evidence = " ".join(item.codes)
                out.append(
                    say.finding("dnsbl", Status.UNKNOWN, subject, "unknown", evidence, why=item.why)
                )
        clear = [i.zone for i in listings if i.state == "clear"]
        if clear and len(clear) == len(listings):
            out.append(
                say.finding("dnsbl", Status.OK, target, "clear", ", ".join(clear), count=len(clear))
            )
        elif clear:
            out.append(
                say.finding(
                    "dnsbl", Status.OK, target, "clear_others", ", ".join(clear), count=len(clear)
                )
            )
    return out
