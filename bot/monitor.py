"""The monitor's runtime: sweeps on a schedule under a leader lease, then the alert outbox delivery.

Exactly one replica sweeps and delivers: the holder of the `monitor` lease, renewed every tick; a
replica that dies stops renewing and another takes over when the lease expires. Alerts are queued
in the outbox (one row per alert and destination, stable keys) before the new listing state is
stored; bot.delivery posts them. State on lists dropped from the settings is forgotten, their
queued alerts cancelled and their incident threads closed, all without a word to the chat.
Judging what changed is handlers.monitor's job.
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
from bot.delivery import POST_TIMEOUT, Delivery, backoff
from bot.metrics import ALERTS_FAILED
from bot.runtime import Runtime
from handlers.errors import UsageError
from handlers.monitor.alerts import Alert
from handlers.monitor.judge import UNREACHABLE_AFTER
from handlers.monitor.sweep import ListChecker, sweep
from handlers.monitor.targets import Target, canonical_targets
from handlers.store import WatchEntry

log = logging.getLogger("mailtriage.monitor")

__all__ = ["LEASE", "Monitor", "backoff"]

LEASE = "monitor"
TICK = 30.0  # seconds between lease renewals and outbox deliveries
JITTER = 0.1  # up to this fraction of the interval is added to each wait between sweeps


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
        if runtime.settings.alert_max_refusals < 1:
            raise ConfigError("MAILTRIAGE_ALERT_MAX_REFUSALS: expected 1 or more")
        # a claim older than a lease term and a post's time limit: its poster is gone or lost
        # the lease, and no post of its can still be under way
        self.delivery = Delivery(
            runtime.store,
            self.adapters,
            lang=runtime.settings.lang,
            holder=holder,
            clock=clock,
            max_refusals=runtime.settings.alert_max_refusals,
            settle=self.lease_ttl + POST_TIMEOUT,
        )
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
        if judged.dropped:
            await self.forget_lists(judged.dropped)
        if judged.alerts:
            log.info("sweep raised alerts", extra={"alerts": len(judged.alerts)})
        return judged.alerts

    async def forget_lists(self, zones: set[str]) -> None:
        """Lists dropped from the settings: forget their state and alerts (queued ones are
        cancelled) and close their incident threads, quietly: the list went away, no listing
        ended. Configured again, a list starts afresh."""
        store = self.runtime.store
        states = await store.listing_forget_zones(zones)
        cancelled = await store.outbox_forget_zones(zones)
        for item in cancelled:
            ALERTS_FAILED.labels(item.destination, "list_dropped").inc()
        threads = await store.thread_close_zones(zones)
        log.info(
            "forgot the state of lists no longer configured",
            extra={
                "zones": ",".join(sorted(zones)),
                "states": states,
                "alerts_cancelled": len(cancelled),
                "threads_closed": threads,
            },
        )

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """Post every due alert (see bot.delivery); returns how many reached a chat."""
        return await self.delivery.deliver_due(stop)

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
