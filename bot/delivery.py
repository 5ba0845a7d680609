"""Posting the alert outbox to the chats: in order, claimed, retried, given up, recovered after a crash.

Per destination the open alerts go out oldest first. Each is claimed before the chat is called and
the outcome is recorded after:
- accepted: marked sent; the first message of an incident becomes its thread;
- a temporary failure (rate limit, 5xx, timeout, dropped connection): retried with exponential
  backoff, and the chat's later alerts wait behind it so they keep their order;
- a refusal (the chat answered no: archived channel, bot removed, bad request): retried the same
  way until it was refused MAILTRIAGE_ALERT_MAX_REFUSALS times, then marked failed (logged,
  counted), and the chat's later alerts go ahead.

A claim still set when delivery comes back to the alert means its poster died (or lost the
database) between calling the chat and recording the outcome: the alert is in doubt. Once the claim
is older than any post of that poster can last, a chat that can look back (AlertLedger) is asked
whether it has the alert; one that cannot gets it again. So delivery is at-least-once; where the
chat can be asked, a crash no longer makes a second post (a poster stalled for longer than that
and then posting after the lookup still could: only the chat itself could refuse a duplicate).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from bot.adapters import AlertTarget
from bot.metrics import ALERTS_FAILED, ALERTS_IN_DOUBT, ALERTS_PENDING, ALERTS_SENT, CHAT_ERRORS
from bot.store.sql import SqlStore
from handlers.monitor.alerts import Alert, render_alert
from handlers.store import OutboxItem

log = logging.getLogger("mailtriage.monitor")

POST_TIMEOUT = 30.0
BACKOFF_FIRST, BACKOFF_MAX = 30.0, 3600.0
PENDING = 1e18  # outbox_due(..., PENDING) lists every open alert, due or not, oldest first
Outcome = Literal["sent", "failed", "wait", "missing"]
SLACK_TEMPORARY = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


def backoff(attempts: int) -> float:
    """Seconds before retrying an alert that failed `attempts` times before this failure."""
    return float(min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(attempts, 20)))


@runtime_checkable
class AlertLedger(Protocol):
    """A chat that can tell whether it already has an alert (an optional AlertTarget ability).

    The adapter marks each alert message with the alert's key (`reply.data["key"]`), e.g. in
    Slack message metadata, and finds it again by that key.
    """

    async def find_alert(self, key: str, thread_ref: str | None, since: float) -> str | None:
        """The reference post_alert returned for the message of alert `key` posted after `since`
        (in `thread_ref`'s thread when given); None when the chat has no such message."""
        ...


def _loaded(module: str) -> Any:
    """A module, only if something imported it already (an SDK's errors exist only if it is used)."""
    return sys.modules.get(module)


def is_refusal(exc: BaseException) -> bool:
    """True when the chat answered and said no; False for what may pass by itself: rate limits,
    server errors, timeouts and dropped connections."""
    if isinstance(exc, TimeoutError | OSError):
        return False
    slack = _loaded("slack_sdk.errors")
    if slack is not None and isinstance(exc, slack.SlackApiError):
        response = exc.response
        status = int(getattr(response, "status_code", 200) or 200)
        data = getattr(response, "data", None)  # a dict, or the text of an HTML error page
        error = data.get("error") if isinstance(data, dict) else None
        return not (status == 429 or status >= 500 or error in SLACK_TEMPORARY)
    telegram = _loaded("telegram.error")
    if telegram is not None and isinstance(exc, telegram.TelegramError):
        if isinstance(exc, telegram.RetryAfter | telegram.TimedOut):
            return False
        return not isinstance(exc, telegram.NetworkError) or isinstance(exc, telegram.BadRequest)
    aiohttp = _loaded("aiohttp")
    if aiohttp is not None and isinstance(
        exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError
    ):
        return False
    httpx = _loaded("httpx")
    return not (httpx is not None and isinstance(exc, httpx.TransportError))


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Delivery:
    """Delivers the outbox to `adapters`; one pass is `deliver_due`."""

    def __init__(
        self,
        store: SqlStore,
        adapters: Sequence[AlertTarget],
        *,
        lang: str,
        holder: str,
        clock: Callable[[], float],
        max_refusals: int,
        settle: float,
    ) -> None:
        self.store = store
        self.adapters = list(adapters)
        self.lang = lang
        self.holder = holder
        self.clock = clock
        self.max_refusals = max_refusals
        self.settle = settle  # age of a claim after which its poster cannot be posting any more

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """Post every due alert; returns how many reached a chat. A failing chat waits (backoff).

        With `stop` set, no further alert is started: what is left stays in the outbox.
        """
        sent = 0
        for adapter in self.adapters:
            for item in await self.store.outbox_due(adapter.name, PENDING):
                if stop is not None and stop.is_set():
                    break
                outcome = await self._deliver(adapter, item)
                if outcome == "wait":
                    break  # keep the order: later alerts wait behind this one
                sent += outcome == "sent"
        ALERTS_PENDING.set(await self.store.outbox_pending())
        return sent

    async def _deliver(self, adapter: AlertTarget, item: OutboxItem) -> Outcome:
        """One alert: "sent", "failed" (given up, go on) or "wait" (retry later, stop here)."""
        now = self.clock()
        if item.next_at > now:
            return "wait"
        alert = Alert.from_payload(item.payload)
        thread = None
        if alert.kind != "listed":  # a new listing starts a new thread
            thread = await self.store.thread_get(adapter.name, item.incident)
        if item.claim is not None:
            if now - (item.claimed_at or 0.0) < self.settle:
                return "wait"  # its poster may still be posting it
            found = await self._in_doubt(adapter, item, thread)
            if found != "missing":
                return found
        claim = f"{self.holder}/{secrets.token_hex(4)}"
        if not await self.store.outbox_claim(item.id, claim, now, previous=item.claim):
            return "wait"  # another replica moved it meanwhile; look again next time
        try:
            async with asyncio.timeout(POST_TIMEOUT):
                ref = await adapter.post_alert(render_alert(alert, self.lang), thread)
        except Exception as exc:
            return await self._failed(adapter.name, item, claim, exc)
        await self._sent(adapter.name, item, claim, ref, thread)
        return "sent"

    async def _in_doubt(
        self, adapter: AlertTarget, item: OutboxItem, thread: str | None
    ) -> Outcome:
        """An alert whose poster died mid-post: "sent" if the chat has it, "missing" to post it
        again, "wait" when the chat could not be asked now."""
        dest = adapter.name
        if not isinstance(adapter, AlertLedger):
            return self._unknown(dest, item, "the chat cannot look back")
        since = (item.claimed_at or item.created_at) - POST_TIMEOUT
        try:
            async with asyncio.timeout(POST_TIMEOUT):
                ref = await adapter.find_alert(item.key, thread, since)
        except Exception as exc:
            CHAT_ERRORS.labels(dest).inc()
            if is_refusal(exc):  # e.g. no permission to read the history: it never will answer
                return self._unknown(dest, item, _error(exc))
            retry_at = self.clock() + backoff(item.attempts)
            await self.store.outbox_retry(
                item.id, retry_at, _error(exc), claim=item.claim, keep_claim=True
            )
            log.warning(
                "alert in doubt and the chat could not be asked, will ask again",
                extra={"destination": dest, "alert_key": item.key, "error": _error(exc)},
            )
            return "wait"
        if ref is None:
            ALERTS_IN_DOUBT.labels(dest, "missing").inc()
            log.info(
                "alert in doubt was not in the chat: posting it",
                extra={"destination": dest, "alert_key": item.key},
            )
            return "missing"
        ALERTS_IN_DOUBT.labels(dest, "found").inc()
        log.info(
            "alert in doubt was in the chat already: recorded as sent",
            extra={"destination": dest, "alert_key": item.key},
        )
        await self._sent(dest, item, item.claim, ref, thread)
        return "sent"

    def _unknown(self, dest: str, item: OutboxItem, why: str) -> Outcome:
        ALERTS_IN_DOUBT.labels(dest, "unknown").inc()
        log.warning(
            "alert in doubt and the chat cannot tell: posting it again (it may show twice)",
            extra={"destination": dest, "alert_key": item.key, "why": why},
        )
        return "missing"

    async def _sent(
        self, dest: str, item: OutboxItem, claim: str | None, ref: str, thread: str | None
    ) -> None:
        if not await self.store.outbox_sent(item.id, self.clock(), claim):
            log.warning(  # a stalled poster: the replica that took over decided meanwhile
                "alert posted after its claim was taken over",
                extra={"destination": dest, "alert_key": item.key},
            )
        if thread is None:
            await self.store.thread_put(dest, item.incident, ref)
        ALERTS_SENT.labels(dest).inc()

    async def _failed(self, dest: str, item: OutboxItem, claim: str, exc: Exception) -> Outcome:
        CHAT_ERRORS.labels(dest).inc()
        error, attempts = _error(exc), item.attempts + 1
        context = {"destination": dest, "alert_key": item.key, "attempts": attempts}
        if not is_refusal(exc):
            retry_at = self.clock() + backoff(item.attempts)
            await self.store.outbox_retry(item.id, retry_at, error, claim=claim)
            log.warning("alert not delivered, will retry", extra={**context, "error": error})
            return "wait"
        refusals = item.refusals + 1
        if refusals < self.max_refusals:
            retry_at = self.clock() + backoff(item.attempts)
            await self.store.outbox_retry(item.id, retry_at, error, refused=True, claim=claim)
            log.warning(
                "alert refused by the chat, will retry",
                extra={**context, "refusals": refusals, "error": error},
            )
            return "wait"
        await self.store.outbox_fail(item.id, self.clock(), error, claim)
        ALERTS_FAILED.labels(dest, "refused").inc()
        log.error(
            "alert given up: the chat kept refusing it; its next alerts go ahead",
            extra={**context, "refusals": refusals, "error": error},
        )
        return "failed"
