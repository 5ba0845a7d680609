"""The monitor's runtime: sweeps on a schedule under a leader lease, and the alert outbox delivery.

Exactly one replica sweeps and delivers: the holder of the `monitor` lease, renewed every tick; a
replica that dies stops renewing and another takes over when the lease expires. Alerts are queued
in the outbox (one row per alert and destination, stable keys) before the new listing state is
stored, and marked sent only once the chat accepted them; a failed post is retried with
exponential backoff. Judging what changed is handlers.monitor's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence

from bot.adapters import AlertTarget
from bot.config import ConfigError
from bot.metrics import ALERTS_PENDING, ALERTS_SENT, CHAT_ERRORS
from bot.runtime import Runtime
from handlers.errors import UsageError
from handlers.monitor.alerts import Alert, render_alert
from handlers.monitor.judge import UNREACHABLE_AFTER
from handlers.monitor.sweep import ListChecker, sweep
from handlers.monitor.targets import Target, canonical_targets
from handlers.store import WatchEntry

log = logging.getLogger("mailtriage.monitor")

LEASE = "monitor"
TICK = 30.0  # seconds between lease renewals and outbox deliveries
JITTER = 0.1  # up to this fraction of the interval is added to each wait between sweeps
POST_TIMEOUT = 30.0
BACKOFF_FIRST, BACKOFF_MAX = 30.0, 3600.0
PENDING = 1e18  # outbox_due(..., PENDING) lists every unsent alert, due or not, oldest first


def backoff(attempts: int) -> float:
    """Seconds before retrying an alert that failed `attempts` times before this failure."""
    return float(min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(attempts, 20)))


class Monitor:
    """Sweeps the watch list and delivers alerts; `run` is the loop `serve` starts."""

    def __init__(
        self,
        runtime: Runtime,
        adapters: Sequence[AlertTarget],
        *,
        holder: str,
        clock: Callable[[], float] = time.time,
        checker: ListChecker | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.runtime = runtime
        self.adapters = list(adapters)
        self.holder = holder
        self.clock = clock
        self.rng = rng
        self.interval = runtime.settings.monitor_interval
        self.tick = min(TICK, self.interval)
        self.lease_ttl = max(90.0, 3 * self.tick)
        self.unreachable_after = max(UNREACHABLE_AFTER, 3 * self.interval)
        self._checker = checker
        try:
            self.config_targets: list[Target] = canonical_targets(
                runtime.settings.watch, runtime.settings.lang
            )
        except UsageError as exc:
            raise ConfigError(f"MAILTRIAGE_WATCH: {exc}") from exc

    def checker(self) -> ListChecker:
        if self._checker is None:
            from handlers.dnsbl import DnsblClient

            self._checker = DnsblClient(self.runtime.ctx.settings)
        return self._checker

    async def close(self) -> None:
        close = getattr(self._checker, "close", None)
        self._checker = None
        if close is not None:
            await close()

    async def entries(self) -> list[WatchEntry]:
        """The watch list: the configured targets (kept in step in the store) and chat additions."""
        store, now = self.runtime.store, self.clock()
        stored = await store.watch_list()
        known = {e.target for e in stored}
        configured = {t.text for t in self.config_targets}
        for t in self.config_targets:
            if t.text not in known:
                await store.watch_add(WatchEntry(t.text, t.kind, "config", now, "config"))
        if configured:  # a process started without MAILTRIAGE_WATCH leaves the configured ones be
            for e in stored:
                if e.source == "config" and e.target not in configured:
                    await store.watch_remove(e.target)
        return await store.watch_list()

    async def sweep_once(self) -> list[Alert]:
        """One sweep: queue its alerts for every destination, then store the new states."""
        from handlers.dnsbl import zones_for

        settings = self.runtime.ctx.settings
        now = self.clock()
        judged = await sweep(
            await self.entries(),
            self.checker(),
            self.runtime.store,
            ip_lists=zones_for(settings, "ip"),
            domain_lists=zones_for(settings, "domain"),
            now=now,
            unreachable_after=self.unreachable_after,
        )
        store = self.runtime.store
        for alert in judged.alerts:
            for adapter in self.adapters:
                await store.outbox_add(
                    alert.key, adapter.name, alert.incident, alert.payload(), now
                )
        for state in judged.writes:
            await store.listing_put(state)
        if judged.alerts:
            log.info("sweep raised alerts", extra={"alerts": len(judged.alerts)})
        return judged.alerts

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """Post every due alert; returns how many a chat accepted. A failing chat waits (backoff).

        With `stop` set, no further alert is started: what is left stays in the outbox.
        """
        store, lang, sent = self.runtime.store, self.runtime.settings.lang, 0
        for adapter in self.adapters:
            dest = adapter.name
            for item in await store.outbox_due(dest, PENDING):
                if (stop is not None and stop.is_set()) or item.next_at > self.clock():
                    break  # stopping, or an earlier alert awaits its retry: keep the order
                alert = Alert.from_payload(item.payload)
                thread = None
                if alert.kind != "listed":  # a new listing starts a new thread
                    thread = await store.thread_get(dest, item.incident)
                try:
                    async with asyncio.timeout(POST_TIMEOUT):
                        ref = await adapter.post_alert(render_alert(alert, lang), thread)
                except Exception as exc:
                    CHAT_ERRORS.labels(dest).inc()
                    retry_at = self.clock() + backoff(item.attempts)
                    await store.outbox_retry(item.id, retry_at, f"{type(exc).__name__}: {exc}")
                    log.warning(
                        "alert not delivered, will retry",
                        extra={"destination": dest, "attempts": item.attempts + 1},
                    )
                    break
                await store.outbox_sent(item.id, self.clock())
                if thread is None:
                    await store.thread_put(dest, item.incident, ref)
                ALERTS_SENT.labels(dest).inc()
                sent += 1
        ALERTS_PENDING.set(await store.outbox_pending())
        return sent

    async def lead(self) -> bool:
        """Take or renew the leader lease; True while this replica is the one that sweeps."""
        return await self.runtime.store.lease_acquire(
            LEASE, self.holder, self.lease_ttl, self.clock()
        )

    async def run_once(self) -> list[Alert] | None:
        """Sweep and deliver once as leader (None: another replica holds the lease)."""
        if not await self.lead():
            return None
        try:
            alerts = await self.sweep_once()
            await self.deliver_due()
            return alerts
        finally:
            await self.runtime.store.lease_release(LEASE, self.holder)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: renew the lease every tick; as leader, sweep when due and deliver."""
        next_sweep = self.clock() + self.rng() * self.tick
        try:
            while not stop.is_set():
                try:
                    if await self.lead():
                        if self.clock() >= next_sweep:
                            await self.sweep_once()
                            next_sweep = self.clock() + self.interval * (1 + JITTER * self.rng())
                        await self.deliver_due(stop)
                except Exception:
                    log.exception("monitor cycle failed; trying again next tick")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.tick)
        finally:
            with contextlib.suppress(Exception):
                await self.runtime.store.lease_release(LEASE, self.holder)
            await self.close()
