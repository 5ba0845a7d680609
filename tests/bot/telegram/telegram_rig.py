"""A TelegramAdapter wired to the fake Bot API on loopback, with an `ask` each test controls."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.handlers import Ask
from handlers.reply import Reply, Section
from handlers.request import Request
from handlers.store import Store
from tests.fakes.telegram_api import FakeTelegramAPI


@dataclass
class Asked:
    """An injected `ask`: records every Request and answers with `answer(request)`."""

    answer: Callable[[Request], Reply | None]
    requests: list[Request] = field(default_factory=list)

    async def __call__(self, req: Request) -> Reply | None:
        self.requests.append(req)
        return self.answer(req)


def answer_with(title: str = "Checked", summary: str = "All fine.", **values: Any) -> Asked:
    return Asked(lambda req: Reply(title=title, summary=summary, **values))


def long_reply(lines: int = 400) -> Reply:
    """An answer of about 20,000 characters: a summary, a long section and a thread section."""
    body = "\n".join(
        f"line {i:04d}: 550 5.1.1 <user{i}@example.com> User unknown" for i in range(lines)
    )
    return Reply(
        title="Many recipients",
        summary="Every recipient failed.",
        sections=(
            Section(heading="Per recipient", text=body),
            Section(heading="Transcript", code=body, in_thread=True),
        ),
    )


def settings_for(fake: FakeTelegramAPI, **values: Any) -> Settings:
    values = {"telegram_bot_token": fake.token, "telegram_api_url": fake.base_url, **values}
    return Settings(**values)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeTelegramAPI, store: Store, ask: Ask, **values: Any
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(settings_for(fake, **values), ask, store)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()
