"""The Store over SQL: one implementation, two drivers (SQLite and PostgreSQL)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from bot.store.outbox import SqlOutbox
from bot.store.schema import MIGRATIONS
from handlers.store import ListingState, WatchEntry

Row = tuple[Any, ...]

SEEN_EVENTS_KEEP = 7 * 86400.0


class Driver(Protocol):
    """Runs statements written with `?` placeholders; each call is its own transaction."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement, return the number of rows it changed."""
        ...

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def script(self, statements: Sequence[str], version: int) -> None:
        """Run a migration and record `version` atomically."""
        ...

    async def version(self) -> int: ...

    async def close(self) -> None: ...


class SqlStore(SqlOutbox):
    """Implements handlers.store.Store on any Driver (the outbox part in bot.store.outbox)."""

    driver: Driver

    def __init__(self, driver: Driver) -> None:
        self.driver = driver

    async def migrate(self) -> None:
        current = await self.driver.version()
        for number, statements in enumerate(MIGRATIONS, 1):
            if number > current:
                await self.driver.script(statements, number)

    async def close(self) -> None:
        await self.driver.close()

    async def claim_event(self, key: str, now: float) -> bool:
        added = await self.driver.execute(
            "INSERT INTO seen_events (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (key, now),
        )
        if added and int(now) % 97 == 0:  # now and then forget events older than a week
            await self.driver.execute(
                "DELETE FROM seen_events WHERE seen_at < ?", (now - SEEN_EVENTS_KEEP,)
            )
        return added == 1

    async def get_lang(self, platform: str, user: str) -> str | None:
        rows = await self.driver.fetch(
            "SELECT lang FROM user_prefs WHERE platform = ? AND user_id = ?", (platform, user)
        )
        return str(rows[0][0]) if rows else None

    async def set_lang(self, platform: str, user: str, lang: str) -> None:
        await self.driver.execute(
            "INSERT INTO user_prefs (platform, user_id, lang) VALUES (?, ?, ?)"
            " ON CONFLICT (platform, user_id) DO UPDATE SET lang = excluded.lang",
            (platform, user, lang),
        )

    async def watch_add(self, entry: WatchEntry) -> bool:
        added = await self.driver.execute(
            "INSERT INTO watch (target, kind, added_by, added_at, source) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (target) DO NOTHING",
            (entry.target, entry.kind, entry.added_by, entry.added_at, entry.source),
        )
        return added == 1

    async def watch_remove(self, target: str) -> bool:
        """Stop watching `target`: its state, alerts and threads go too, so that watching it
        again starts afresh (its first alerts would otherwise repeat keys sent before)."""
        removed = await self.driver.execute("DELETE FROM watch WHERE target = ?", (target,))
        if removed:
            still = {n for e in await self.watch_list() for n in _members(e.target)}
            names = [n for n in _members(target) if n not in still]  # another entry covers them
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                await self.driver.execute(
                    f"DELETE FROM listing WHERE target IN ({', '.join('?' * len(chunk))})", chunk
                )
            await self.outbox_forget_targets(set(names))
            await self.thread_close_targets(set(names))
        return removed > 0

    async def watch_list(self) -> list[WatchEntry]:
        rows = await self.driver.fetch(
            "SELECT target, kind, added_by, added_at, source FROM watch ORDER BY added_at, target"
        )
        return [WatchEntry(str(r[0]), str(r[1]), str(r[2]), float(r[3]), str(r[4])) for r in rows]

    async def listing_get(self, target: str, zone: str) -> ListingState | None:
        rows = await self.driver.fetch(
            "SELECT target, zone, state, codes, txt, since, checked_at, unknown_since,"
            " alerted_unreachable FROM listing WHERE target = ? AND zone = ?",
            (target, zone),
        )
        return _listing(rows[0]) if rows else None

    async def listing_put(self, state: ListingState) -> None:
        await self.driver.execute(
            "INSERT INTO listing (target, zone, state, codes, txt, since, checked_at, unknown_since,"
            " alerted_unreachable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (target, zone) DO UPDATE SET state = excluded.state,"
            " codes = excluded.codes, txt = excluded.txt, since = excluded.since,"
            " checked_at = excluded.checked_at, unknown_since = excluded.unknown_since,"
            " alerted_unreachable = excluded.alerted_unreachable",
            (
                state.target,
                state.zone,
                state.state,
                ",".join(state.codes),
                state.txt,
                state.since,
                state.checked_at,
                state.unknown_since,
                int(state.alerted_unreachable),
            ),
        )

    async def listing_all(self) -> list[ListingState]:
        rows = await self.driver.fetch(
            "SELECT target, zone, state, codes, txt, since, checked_at, unknown_since,"
            " alerted_unreachable FROM listing ORDER BY target, zone"
        )
        return [_listing(r) for r in rows]

    async def listing_forget_zones(self, zones: Collection[str]) -> int:
        """Delete the state of every target on `zones` (lists no longer configured)."""
        names = sorted(zones)
        if not names:
            return 0
        return await self.driver.execute(
            f"DELETE FROM listing WHERE zone IN ({', '.join('?' * len(names))})", names
        )

    async def lease_acquire(self, name: str, holder: str, ttl: float, now: float) -> bool:
        await self.driver.execute(
            "INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires"
            " WHERE leases.holder = excluded.holder OR leases.expires < ?",
            (name, holder, now + ttl, now),
        )
        rows = await self.driver.fetch("SELECT holder FROM leases WHERE name = ?", (name,))
        return bool(rows) and rows[0][0] == holder

    async def lease_release(self, name: str, holder: str) -> None:
        await self.driver.execute(
            "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
        )


def _members(target: str) -> list[str]:
    """The listing rows a watch entry owns: itself, and each address of a range."""
    if "/" not in target:
        return [target]
    try:
        network = ipaddress.ip_network(target, strict=False)
    except ValueError:
        return [target]
    if network.num_addresses > 65536:
        return [target]
    return [target, *(str(a) for a in network)]


def _listing(r: Row) -> ListingState:
    return ListingState(
        target=str(r[0]),
        zone=str(r[1]),
        state=str(r[2]),
        codes=tuple(c for c in str(r[3]).split(",") if c),
        txt=str(r[4]),
        since=float(r[5]),
        checked_at=float(r[6]),
        unknown_since=None if r[7] is None else float(r[7]),
        alerted_unreachable=bool(r[8]),
    )
