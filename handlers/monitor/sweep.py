"""One sweep of the watch list: health-check the lists, look every target up, judge the changes.

The sweep only reads the store; the caller queues the alerts (outbox) before storing the new
states, so a crash in between repeats the same alerts with the same keys and sends none twice.
Stored state on a list that is no longer configured is reported as dropped, never as a change:
the list went away, the listing did not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from handlers.monitor.judge import (
    UNREACHABLE_AFTER,
    Health,
    Judgement,
    Observed,
    judge_health,
    judge_listings,
)
from handlers.monitor.targets import expand, is_ipv6
from handlers.store import Store, WatchEntry
from knowledge.model import Blocklist


class ListChecker(Protocol):
    """The DNSBL engine (handlers.dnsbl.DnsblClient fits)."""

    async def lookup(
        self, targets: Sequence[str], zones: Sequence[Blocklist]
    ) -> Sequence[Observed]: ...

    async def health(self, zones: Sequence[Blocklist]) -> Sequence[Health]: ...


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """Which names go to which lists: IPv4 to IP lists, IPv6 to lists that take it, domains."""

    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    domains: tuple[str, ...]
    entry_of: dict[str, str]


def plan(entries: Sequence[WatchEntry]) -> SweepPlan:
    """Expand ranges to addresses, keep each name once and remember the entry it came from."""
    entry_of: dict[str, str] = {}
    ipv4: list[str] = []
    ipv6: list[str] = []
    domains: list[str] = []
    for entry in entries:
        for name in expand(entry.target, entry.kind):
            if name in entry_of:
                continue
            entry_of[name] = entry.target
            if entry.kind == "domain":
                domains.append(name)
            elif is_ipv6(name):
                ipv6.append(name)
            else:
                ipv4.append(name)
    return SweepPlan(tuple(ipv4), tuple(ipv6), tuple(domains), entry_of)


async def sweep(
    entries: Sequence[WatchEntry],
    checker: ListChecker,
    store: Store,
    *,
    ip_lists: Sequence[Blocklist],
    domain_lists: Sequence[Blocklist],
    now: float,
    unreachable_after: float = UNREACHABLE_AFTER,
) -> Judgement:
    """Gather the answers for every entry on every list and judge them against the store."""
    previous = {(s.target, s.zone): s for s in await store.listing_all()}
    work = plan(entries)
    lists = {b.zone: b for b in (*ip_lists, *domain_lists)}
    wanted = [b for b in lists.values() if _needed(b, work)]
    health = judge_health(await checker.health(wanted) if wanted else [], previous, now)
    usable_ip = [b for b in ip_lists if b.zone not in health.broken]
    usable_domain = [b for b in domain_lists if b.zone not in health.broken]
    answers: list[Observed] = []
    if work.ipv4 and usable_ip:
        answers.extend(await checker.lookup(work.ipv4, usable_ip))
    ipv6_lists = [b for b in usable_ip if b.ipv6]
    if work.ipv6 and ipv6_lists:
        answers.extend(await checker.lookup(work.ipv6, ipv6_lists))
    if work.domains and usable_domain:
        answers.extend(await checker.lookup(work.domains, usable_domain))
    judged = judge_listings(
        answers,
        previous,
        now,
        entry_of=work.entry_of,
        delist_urls={zone: b.delist_url for zone, b in lists.items()},
        unreachable_after=unreachable_after,
    )
    return Judgement(
        alerts=[*health.alerts, *judged.alerts],
        writes=[*health.writes, *judged.writes],
        broken=health.broken,
        dropped={zone for _, zone in previous} - set(lists),
    )


def _needed(blocklist: Blocklist, work: SweepPlan) -> bool:
    if blocklist.type == "domain":
        return bool(work.domains)
    return bool(work.ipv4) or (bool(work.ipv6) and blocklist.ipv6)
