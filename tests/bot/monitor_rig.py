"""Stand-ins for the monitor's outside world: alert chats that fail on demand, a clock, DNSBL answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from telegram.error import Forbidden

from handlers.dnsbl import Listing, ZoneHealth
from handlers.reply import Reply
from knowledge.model import Blocklist


class Chat:
    """An alert channel that records posts. It can be down (HTTP 503, temporary), refuse the next
    `refuse` alerts (the bot was removed: final), or hang before or after accepting one."""

    def __init__(self, name: str = "chat") -> None:
        self.name = name
        self.down = False
        self.refuse = 0
        self.hang_before = False
        self.hang_after = False
        self.posts: list[tuple[Reply, str | None]] = []
        self.hanging = asyncio.Event()  # set once a post hangs

    async def post_alert(self, reply: Reply, thread_ref: str | None) -> str:
        if self.down:
            raise ConnectionError("chat API down (HTTP 503)")
        if self.refuse > 0:
            self.refuse -= 1
            raise Forbidden("Forbidden: bot was kicked from the supergroup chat")
        if self.hang_before:
            await self._hang()
        self.posts.append((reply, thread_ref))
        if self.hang_after:
            await self._hang()
        return f"msg-{len(self.posts)}"

    async def _hang(self) -> None:
        self.hanging.set()
        await asyncio.Event().wait()

    def kinds(self) -> list[tuple[str, str, str]]:
        return [
            (r.data["alert"]["kind"], r.data["alert"]["target"], r.data["alert"]["zone"])
            for r, _ in self.posts
        ]


class LedgerChat(Chat):
    """A chat that can look back (as Slack can, by message metadata): finds posts by alert key."""

    def __init__(self, name: str = "ledger") -> None:
        super().__init__(name)
        self.ledger_error: Exception | None = None  # what looking back raises, if anything
        self.lookups: list[tuple[str, str | None, float]] = []

    async def find_alert(self, key: str, thread_ref: str | None, since: float) -> str | None:
        self.lookups.append((key, thread_ref, since))
        if self.ledger_error is not None:
            raise self.ledger_error
        for n, (reply, _) in enumerate(self.posts, 1):
            if reply.data.get("key") == key:
                return f"msg-{n}"
        return None


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeLists:
    """A DNSBL engine stand-in for the runtime tests that need no DNS: `listed` is the truth."""

    def __init__(self, listed: set[str]) -> None:
        self.listed = listed

    async def lookup(self, targets: Sequence[str], zones: Sequence[Blocklist]) -> list[Listing]:
        return [
            Listing(t, z.zone, "listed", ("127.0.0.2",), "lab")
            if t in self.listed
            else Listing(t, z.zone, "clear")
            for t in targets
            for z in zones
        ]

    async def health(self, zones: Sequence[Blocklist]) -> list[ZoneHealth]:
        return [ZoneHealth(z.zone, True) for z in zones]


def quiet_settings(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "MAILTRIAGE_DB": f"sqlite:///{tmp_path / 'm.db'}",
        "MAILTRIAGE_DNSBL_ZONES": "bl1.dnsbl.lab.test",
        **more,
    }
