"""What handlers need from persistent storage; bot.store implements it for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class WatchEntry:
    target: str
    kind: str  # "ip", "network" or "domain"
    added_by: str
    added_at: float
    source: str = "chat"  # "chat" or "config"


@dataclass(frozen=True, slots=True)
class ListingState:
    """Last known state of one target on one blocklist."""

    target: str
    zone: str
    state: str  # "listed", "clear", "unknown"
    codes: tuple[str, ...]
    txt: str
    since: float
    checked_at: float
    unknown_since: float | None = None
    alerted_unreachable: bool = False


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One alert for one destination. Open while neither sent nor failed; `claim` is set while a
    post is under way, and left set by a poster that died before it could record the outcome."""

    id: int
    key: str
    destination: str
    incident: str
    payload: dict[str, Any]
    attempts: int
    next_at: float
    created_at: float
    refusals: int = 0  # failures the chat gave as final (archived channel, bot removed...)
    claim: str | None = None
    claimed_at: float | None = None
    sent_at: float | None = None
    failed_at: float | None = None
    last_error: str | None = None


class Store(Protocol):
    """Persistent state: every method is safe to call from several replicas at once."""

    async def close(self) -> None: ...

    # chat events already answered (dedup of platform retries)
    async def claim_event(self, key: str, now: float) -> bool:
        """Record `key`; True when it was new (answer it), False when seen before (skip)."""
        ...

    # user preferences
    async def get_lang(self, platform: str, user: str) -> str | None: ...
    async def set_lang(self, platform: str, user: str, lang: str) -> None: ...

    # watch list
    async def watch_add(self, entry: WatchEntry) -> bool: ...
    async def watch_remove(self, target: str) -> bool: ...
    async def watch_list(self) -> list[WatchEntry]: ...

    # blocklist state per (target, zone)
    async def listing_get(self, target: str, zone: str) -> ListingState | None: ...
    async def listing_put(self, state: ListingState) -> None: ...
    async def listing_all(self) -> list[ListingState]: ...
    async def listing_forget_zones(self, zones: Collection[str]) -> int: ...

    # alert outbox
    async def outbox_add(
        self, key: str, destination: str, incident: str, payload: dict[str, Any], now: float
    ) -> bool:
        """Queue an alert once per `key` and destination; False when it was queued before."""
        ...

    async def outbox_due(self, destination: str, now: float, limit: int = 50) -> list[OutboxItem]:
        """Open items due by `now`, oldest first."""
        ...

    async def outbox_get(self, key: str, destination: str) -> OutboxItem | None: ...
    async def outbox_claim(
        self, item_id: int, claim: str, now: float, previous: str | None = None
    ) -> bool:
        """Mark an open item as being posted by `claim`; False when its claim is not `previous`."""
        ...

    async def outbox_sent(self, item_id: int, now: float, claim: str | None = None) -> bool: ...
    async def outbox_retry(
        self,
        item_id: int,
        next_at: float,
        error: str,
        *,
        refused: bool = False,
        claim: str | None = None,
        keep_claim: bool = False,
    ) -> bool: ...
    async def outbox_fail(
        self, item_id: int, now: float, error: str, claim: str | None = None
    ) -> bool: ...
    async def outbox_forget_zones(self, zones: Collection[str]) -> list[OutboxItem]:
        """Delete the unclaimed items of incidents on `zones`; returns those never sent."""
        ...

    async def outbox_pending(self) -> int:
        """Open items (neither sent nor failed)."""
        ...

    # one chat message per incident, so follow-ups go in its thread
    async def thread_get(self, destination: str, incident: str) -> str | None: ...
    async def thread_put(self, destination: str, incident: str, ref: str) -> None: ...
    async def thread_close_zones(self, zones: Collection[str]) -> int:
        """Forget the threads of incidents (`target|zone`) on `zones`: nothing follows up in them."""
        ...

    # leadership among replicas (only one runs the monitor sweep)
    async def lease_acquire(self, name: str, holder: str, ttl: float, now: float) -> bool: ...
    async def lease_release(self, name: str, holder: str) -> None: ...
