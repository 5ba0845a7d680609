"""In the console, usage notes name /help, which the console answers."""

from __future__ import annotations

import io

from bot.config import Settings
from bot.console import ConsoleAdapter
from bot.runtime import Runtime
from bot.store.sql import SqlStore
from handlers.request import Context


async def test_an_unknown_command_gets_a_note_naming_help_and_help_answers(
    store: SqlStore,
) -> None:
    settings = Settings()
    runtime = Runtime(settings, store, Context(settings=settings.handler_settings(), store=store))
    out = io.StringIO()
    console = ConsoleAdapter(runtime.ask, io.StringIO("/weather\n/help\n"), out)
    await console.run()
    _banner, note, help_answer = out.getvalue().split("[i] ")
    assert note.startswith("How to use this\nThere is no command /weather.")
    assert ", /help. Or paste a bounce." in note and "/mailhelp" not in note
    assert help_answer.startswith("mailtriage: why did the mail not arrive?")
