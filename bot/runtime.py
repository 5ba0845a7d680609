"""The running bot's parts put together: settings, store and the handlers' context."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.config import Settings
from bot.store import open_store
from bot.store.sql import SqlStore
from handlers.dispatch import dispatch
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
        return await dispatch(req, self.ctx)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
