"""In Slack, a usage note names /mailhelp, the help command the app registers (Slack keeps /help)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from bot.runtime import Runtime
from bot.slack.adapter import SlackAdapter
from bot.store.sql import SqlStore
from handlers.request import Context
from tests.bot.slack.conftest import SlackHttp, slack_settings
from tests.fakes.slack_api import BOT_USER, FakeSlackApi
from tests.fakes.slack_payloads import command_form, message_event

Serve = Callable[[SlackAdapter], Awaitable[SlackHttp]]


async def test_an_unknown_command_gets_a_note_naming_mailhelp_and_mailhelp_answers(
    fake: FakeSlackApi, store: SqlStore, serve_http: Serve
) -> None:
    settings = slack_settings(fake)
    runtime = Runtime(settings, store, Context(settings.handler_settings(), store))
    slack = await serve_http(SlackAdapter(settings, runtime.ask, store))
    await slack.post("event", message_event(f"<@{BOT_USER}> /weather", event_type="app_mention"))
    (note,) = await fake.wait_for("chat.postEphemeral")
    text = json.dumps(note.args, ensure_ascii=False)
    assert "/weather" in text and "/mailhelp" in text and "/help" not in text
    await slack.post("command", command_form("/mailhelp", "", fake.response_url("help")))
    (answer,) = await fake.wait_for("response_url")
    assert "/mailcheck" in json.dumps(answer.args)
