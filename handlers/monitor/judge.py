"""The monitor's pure part: stored state + fresh answers -> new state and alerts (no I/O).

State per (target, zone) is the last definite answer ("listed" or "clear", "unknown" until one
came) plus `unknown_since` while answers are missing. Only definite changes raise alerts; a long
silence raises one list_unreachable per watched entry and list. A row with target "*" records a
whole list failing its RFC 5782 health check, so it is reported once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from handlers.monitor.alerts import WHOLE_LIST, Alert
from handlers.store import ListingState

UNREACHABLE_AFTER = 3600.0  # seconds of silence before a list_unreachable alert
GROUP_OVER = 3  # more addresses of one range changing at once on one list make one alert


class Observed(Protocol):
    """One DNSBL answer (handlers.dnsbl.Listing fits)."""

    @property
    def target(self) -> str: ...
    @property
    def zone(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def codes(self) -> Sequence[str]: ...
    @property
    def txt(self) -> str: ...
    @property
    def why(self) -> str: ...


class Health(Protocol):
    """One list's RFC 5782 self-test (handlers.dnsbl.ZoneHealth fits)."""

    @property
    def zone(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def why(self) -> str: ...


@dataclass
class Judgement:
    """What a sweep decided: alerts to queue first, then the states to store; last, the lists
    dropped from the settings, whose state is forgotten without an alert."""

    alerts: list[Alert] = field(default_factory=list)
    writes: list[ListingState] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)


def _txt(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else " | ".join(value)


def judge_health(
    healths: Iterable[Health], previous: Mapping[tuple[str, str], ListingState], now: float
) -> Judgement:
    """Broken lists are reported on the first failed check and again only after they recovered."""
    out = Judgement()
    for h in healths:
        prev = previous.get((WHOLE_LIST, h.zone))
        if h.ok:
            if prev is not None and prev.state != "clear":
                out.writes.append(ListingState(WHOLE_LIST, h.zone, "clear", (), "", now, now))
            continue
        out.broken.add(h.zone)
        if prev is not None and prev.state == "unknown":
            continue  # reported already
        key = f"list_unreachable|{WHOLE_LIST}|{h.zone}|{prev.since if prev else 0.0:.3f}"
        out.alerts.append(
            Alert("list_unreachable", WHOLE_LIST, h.zone, key, why=h.why, at=now, since=now)
        )
        out.writes.append(
            ListingState(WHOLE_LIST, h.zone, "unknown", (), h.why, now, now, now, True)
        )
    return out


def judge_listing(
    seen: Observed, prev: ListingState | None, now: float, delist_url: str = ""
) -> tuple[Alert | None, ListingState | None]:
    """One answer against the stored state: (alert or None, state to store or None)."""
    codes, txt = tuple(seen.codes), _txt(seen.txt)
    t, z = seen.target, seen.zone
    after = f"{prev.since if prev else 0.0:.3f}"
    if seen.state == "listed":
        if prev is not None and prev.state == "listed":
            if prev.codes == codes and prev.txt == txt and prev.unknown_since is None:
                return None, None
            return None, ListingState(t, z, "listed", codes, txt, prev.since, now)
        alert = Alert("listed", t, z, f"listed|{t}|{z}|{after}", codes, txt, delist_url, at=now)
        return alert, ListingState(t, z, "listed", codes, txt, now, now)
    if seen.state == "clear":
        if prev is not None and prev.state == "listed":
            alert = Alert(
                "delisted", t, z, f"delisted|{t}|{z}|{after}", prev.codes, prev.txt, at=now
            )
            return alert, ListingState(t, z, "clear", (), "", now, now)
        if prev is not None and (prev.state != "clear" or prev.unknown_since is not None):
            since = prev.since if prev.state == "clear" else now
            return None, ListingState(t, z, "clear", (), "", since, now)
        return None, None
    # unknown: never an alert by itself; remember when the silence began
    if prev is None:
        return None, ListingState(t, z, "unknown", (), "", now, now, now)
    if prev.unknown_since is None:
        return None, replace(prev, checked_at=now, unknown_since=now, alerted_unreachable=False)
    return None, None


def judge_listings(
    seen: Iterable[Observed],
    previous: Mapping[tuple[str, str], ListingState],
    now: float,
    *,
    entry_of: Mapping[str, str],
    delist_urls: Mapping[str, str],
    unreachable_after: float = UNREACHABLE_AFTER,
) -> Judgement:
    """Every answer of a sweep; silences older than `unreachable_after` are grouped per entry."""
    out = Judgement()
    changed: list[Alert] = []
    silent: dict[tuple[str, str], list[tuple[ListingState, str]]] = {}
    for s in seen:
        prev = previous.get((s.target, s.zone))
        alert, write = judge_listing(s, prev, now, delist_urls.get(s.zone, ""))
        if alert is not None:
            changed.append(alert)
        if write is not None:
            out.writes.append(write)
        elif (
            s.state == "unknown"
            and prev is not None
            and prev.unknown_since is not None
            and not prev.alerted_unreachable
            and now - prev.unknown_since >= unreachable_after
        ):
            entry = entry_of.get(s.target, s.target)
            silent.setdefault((entry, s.zone), []).append((prev, s.why))
    out.alerts.extend(group_by_range(changed, entry_of))
    for (entry, zone), states in silent.items():
        since = min(p.unknown_since or now for p, _ in states)
        why = next((w for _, w in states if w), "")
        if len(states) > 1:
            why = f"{len(states)} × {why}" if why else str(len(states))
        key = f"list_unreachable|{entry}|{zone}|{since:.3f}"
        out.alerts.append(Alert("list_unreachable", entry, zone, key, why=why, at=now, since=since))
        out.writes.extend(replace(p, checked_at=now, alerted_unreachable=True) for p, _ in states)
    return out


def group_by_range(alerts: list[Alert], entry_of: Mapping[str, str]) -> list[Alert]:
    """One alert instead of many when several addresses of a watched range change together."""
    groups: dict[tuple[str, str, str], list[Alert]] = {}
    for a in alerts:
        groups.setdefault((entry_of.get(a.target, a.target), a.zone, a.kind), []).append(a)
    out: list[Alert] = []
    for (entry, zone, kind), members in groups.items():
        if len(members) <= GROUP_OVER:
            out.extend(members)
            continue
        codes = tuple(sorted({c for m in members for c in m.codes}))
        key = (
            f"{kind}|{entry}|{zone}|"
            + hashlib.sha256("\n".join(sorted(m.key for m in members)).encode()).hexdigest()[:16]
        )
        first = members[0]
        addresses = tuple(m.target for m in members)
        out.append(replace(first, target=entry, key=key, codes=codes, addresses=addresses))
    return out
