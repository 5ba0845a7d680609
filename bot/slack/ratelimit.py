"""Per-channel pacing: at most about one message per second in each channel, as Slack asks.

Slack's own 429 answers are handled by slack_sdk's retry handler (bot/slack/poster.py); pacing keeps
us from provoking them when a long answer is split into several messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class ChannelPacer:
    """Hands out send slots `interval` seconds apart per channel; waiting callers queue in order."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        """Return when a message may be sent to `channel` (the slot is reserved on entry)."""
        now = self._clock()
        slot = max(now, self._next.get(channel, now))
        self._next[channel] = slot + self.interval
        if len(self._next) > 1000:
            self._forget(now)
        if slot > now:
            await self._sleep(slot - now)

    def _forget(self, now: float) -> None:
        for channel in [c for c, t in self._next.items() if t <= now]:
            del self._next[channel]
