"""What `serve` needs from every chat adapter (Slack, Telegram, console)."""

from __future__ import annotations

from typing import Protocol

from starlette.routing import BaseRoute

from handlers.reply import Reply


class AlertTarget(Protocol):
    """Somewhere alerts can be posted: every adapter, and the console."""

    name: str

    async def post_alert(self, reply: Reply, thread_ref: str | None) -> str:
        """Post an alert, in `thread_ref`'s thread when given; return the new message's reference.

        Raises on failure so the outbox retries later.
        """
        ...


class Adapter(AlertTarget, Protocol):
    """A chat platform the bot listens on and posts alerts to."""

    async def start(self) -> None:
        """Begin receiving (Socket Mode, long polling, stdin); return once running."""
        ...

    async def stop(self) -> None:
        """Stop receiving new work and finish replies in flight (bounded)."""
        ...

    def routes(self) -> list[BaseRoute]:
        """HTTP routes this adapter serves on the shared server (Slack events, Telegram webhook)."""
        ...
