"""The alert outbox and incident threads over SQL: queue, claim, mark sent / retry / failed.

An item is open until it is sent or failed. A poster claims it (a token of its own) before calling
the chat and clears the claim with the outcome; every outcome is written only while the claim is
still the caller's, so a poster that lost its claim (stalled past the lease) cannot overwrite what
the replica that took over decided. Incidents are `target|zone` (handlers.monitor.alerts.Alert).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from handlers.store import OutboxItem

Row = tuple[Any, ...]

_COLUMNS = (
    "id, key, destination, incident, payload, attempts, next_at, created_at, refusals, claim,"
    " claimed_at, sent_at, failed_at, last_error"
)
_OPEN = "sent_at IS NULL AND failed_at IS NULL"
MAX_ERROR = 500


class _Driver(Protocol):
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


def incident_zone(incident: str) -> str:
    """The list an incident (`target|zone`) is about."""
    return incident.rpartition("|")[2]


def incident_target(incident: str) -> str:
    """The address, range or domain an incident (`target|zone`) is about."""
    return incident.rpartition("|")[0]


def _held(claim: str | None) -> tuple[str, tuple[str, ...]]:
    """The condition that the row's claim is `claim` (None: unclaimed), and its parameters."""
    return ("claim IS NULL", ()) if claim is None else ("claim = ?", (claim,))


class SqlOutbox:
    """The outbox and thread methods of bot.store.sql.SqlStore."""

    driver: _Driver

    async def outbox_add(
        self, key: str, destination: str, incident: str, payload: dict[str, Any], now: float
    ) -> bool:
        added = await self.driver.execute(
            "INSERT INTO outbox (key, destination, incident, payload, attempts, next_at, created_at)"
            " VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (key, destination) DO NOTHING",
            (key, destination, incident, json.dumps(payload, ensure_ascii=False), now, now),
        )
        return added == 1

    async def outbox_due(self, destination: str, now: float, limit: int = 50) -> list[OutboxItem]:
        rows = await self.driver.fetch(
            f"SELECT {_COLUMNS} FROM outbox WHERE destination = ? AND {_OPEN} AND next_at <= ?"
            " ORDER BY id LIMIT ?",
            (destination, now, limit),
        )
        return [_item(r) for r in rows]

    async def outbox_get(self, key: str, destination: str) -> OutboxItem | None:
        rows = await self.driver.fetch(
            f"SELECT {_COLUMNS} FROM outbox WHERE key = ? AND destination = ?", (key, destination)
        )
        return _item(rows[0]) if rows else None

    async def outbox_claim(
        self, item_id: int, claim: str, now: float, previous: str | None = None
    ) -> bool:
        held, params = _held(previous)
        changed = await self.driver.execute(
            f"UPDATE outbox SET claim = ?, claimed_at = ? WHERE id = ? AND {_OPEN} AND {held}",
            (claim, now, item_id, *params),
        )
        return changed == 1

    async def outbox_sent(self, item_id: int, now: float, claim: str | None = None) -> bool:
        held, params = _held(claim)
        changed = await self.driver.execute(
            "UPDATE outbox SET sent_at = ?, claim = NULL, claimed_at = NULL"
            f" WHERE id = ? AND {_OPEN} AND {held}",
            (now, item_id, *params),
        )
        return changed == 1

    async def outbox_retry(
        self,
        item_id: int,
        next_at: float,
        error: str,
        *,
        refused: bool = False,
        claim: str | None = None,
        keep_claim: bool = False,
    ) -> bool:
        held, params = _held(claim)
        release = "" if keep_claim else ", claim = NULL, claimed_at = NULL"
        changed = await self.driver.execute(
            "UPDATE outbox SET attempts = attempts + 1, refusals = refusals + ?, next_at = ?,"
            f" last_error = ?{release} WHERE id = ? AND {_OPEN} AND {held}",
            (int(refused), next_at, error[:MAX_ERROR], item_id, *params),
        )
        return changed == 1

    async def outbox_fail(
        self, item_id: int, now: float, error: str, claim: str | None = None
    ) -> bool:
        held, params = _held(claim)
        changed = await self.driver.execute(
            "UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, failed_at = ?,"
            f" last_error = ?, claim = NULL, claimed_at = NULL WHERE id = ? AND {_OPEN} AND {held}",
            (now, error[:MAX_ERROR], item_id, *params),
        )
        return changed == 1

    async def outbox_forget_zones(self, zones: Collection[str]) -> list[OutboxItem]:
        """Delete the alerts of incidents on `zones` but those being posted; returns the open ones
        deleted (never sent). With them gone, a list configured again alerts afresh."""
        return await self._forget(lambda incident: incident_zone(incident) in zones)

    async def outbox_forget_targets(self, targets: Collection[str]) -> list[OutboxItem]:
        """The same for incidents about `targets` (a watch entry removed)."""
        return await self._forget(lambda incident: incident_target(incident) in targets)

    async def _forget(self, match: Callable[[str], bool]) -> list[OutboxItem]:
        rows = await self.driver.fetch(
            f"SELECT {_COLUMNS} FROM outbox WHERE claim IS NULL ORDER BY id"
        )
        cancelled = []
        for item in (_item(r) for r in rows):
            if not match(item.incident):
                continue
            deleted = await self.driver.execute(
                "DELETE FROM outbox WHERE id = ? AND claim IS NULL", (item.id,)
            )
            if deleted and item.sent_at is None and item.failed_at is None:
                cancelled.append(item)
        return cancelled

    async def outbox_pending(self) -> int:
        rows = await self.driver.fetch(f"SELECT COUNT(*) FROM outbox WHERE {_OPEN}")
        return int(rows[0][0])

    async def thread_get(self, destination: str, incident: str) -> str | None:
        rows = await self.driver.fetch(
            "SELECT ref FROM threads WHERE destination = ? AND incident = ?",
            (destination, incident),
        )
        return str(rows[0][0]) if rows else None

    async def thread_put(self, destination: str, incident: str, ref: str) -> None:
        await self.driver.execute(
            "INSERT INTO threads (destination, incident, ref) VALUES (?, ?, ?)"
            " ON CONFLICT (destination, incident) DO UPDATE SET ref = excluded.ref",
            (destination, incident, ref),
        )

    async def thread_close_zones(self, zones: Collection[str]) -> int:
        return await self._close(lambda incident: incident_zone(incident) in zones)

    async def thread_close_targets(self, targets: Collection[str]) -> int:
        return await self._close(lambda incident: incident_target(incident) in targets)

    async def _close(self, match: Callable[[str], bool]) -> int:
        closed = 0
        for destination, incident in await self.driver.fetch(
            "SELECT destination, incident FROM threads"
        ):
            if match(str(incident)):
                closed += await self.driver.execute(
                    "DELETE FROM threads WHERE destination = ? AND incident = ?",
                    (destination, incident),
                )
        return closed


def _item(r: Row) -> OutboxItem:
    return OutboxItem(
        id=int(r[0]),
        key=str(r[1]),
        destination=str(r[2]),
        incident=str(r[3]),
        payload=json.loads(r[4]),
        attempts=int(r[5]),
        next_at=float(r[6]),
        created_at=float(r[7]),
        refusals=int(r[8]),
        claim=None if r[9] is None else str(r[9]),
        claimed_at=None if r[10] is None else float(r[10]),
        sent_at=None if r[11] is None else float(r[11]),
        failed_at=None if r[12] is None else float(r[12]),
        last_error=None if r[13] is None else str(r[13]),
    )
