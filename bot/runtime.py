"""The running bot's parts put together: settings, store and the handlers' context."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from bot import metrics
from bot.config import Settings
from bot.store import open_store
from bot.store.sql import SqlStore
from handlers import observe
from handlers.dispatch import BOUNCE, dispatch, parse_command
from handlers.reply import Reply
from handlers.request import Context, Request


@dataclass
class Runtime:
    settings: Settings
    store: SqlStore
    ctx: Context

    @classmethod
    async def open(cls, settings: Settings) -> Runtime:
        """Open the store (creating it on first start) and build the handlers' context."""
        store = await open_store(settings.db)
        return cls(
            settings=settings,
            store=store,
            ctx=Context(settings=settings.handler_settings(), store=store),
        )

    async def close(self) -> None:
        await self.store.close()

    async def ask(self, req: Request) -> Reply | None:
        """Dispatch one request, marking it as an admin's when the settings say so."""
        if not req.is_admin and self.settings.is_admin(req.platform, req.user):
            req = replace(req, is_admin=True)
        command, _ = parse_command(req.text)
        name = (command or BOUNCE).name if command is None or command.target else "unknown"
        started = time.perf_counter()
        reply = await dispatch(req, self.ctx)
        metrics.LATENCY.labels(name).observe(time.perf_counter() - started)
        metrics.REPLIES.labels(name, "none" if reply is None else str(reply.kind)).inc()
        return reply


def _count(event: str, kind: str) -> None:
    if event == "dns_query":
        metrics.DNS_QUERIES.labels(kind).inc()
    elif event == "dns_error":
        metrics.DNS_ERRORS.labels(kind).inc()


observe.listen(_count)


def configure_logging(level: str) -> None:
    from bot.logs import configure

    configure(level)
