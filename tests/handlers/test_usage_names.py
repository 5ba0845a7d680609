"""Usage texts name the help command that works in the asker's chat: /mailhelp in Slack, else /help."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.slack.events import COMMANDS as SLACK_COMMANDS
from handlers.dispatch import HELP_COMMANDS, dispatch
from handlers.reply import Kind
from handlers.request import Context, Request

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack-manifest.yaml"


@pytest.mark.parametrize(
    ("platform", "lang", "named", "not_named"),
    [
        ("slack", "en", ", /mailhelp. Or paste", "/help"),
        ("slack", "zh-TW", "、/mailhelp。也可以", "/help"),
        ("telegram", "en", ", /help. Or paste", "/mailhelp"),
        ("telegram", "zh-TW", "、/help。也可以", "/mailhelp"),
        ("console", "en", ", /help. Or paste", "/mailhelp"),
        ("console", "zh-TW", "、/help。也可以", "/mailhelp"),
    ],
)
async def test_an_unknown_command_is_answered_with_the_help_command_of_that_chat(
    ctx: Context, platform: str, lang: str, named: str, not_named: str
) -> None:
    req = Request(text="/weather taipei", user="u1", platform=platform, lang=lang)
    reply = await dispatch(req, ctx)
    assert reply is not None and reply.kind is Kind.USAGE
    assert named in reply.summary and not_named not in reply.summary


async def test_the_help_answer_never_shows_an_unfilled_placeholder(ctx: Context) -> None:
    for platform in ("slack", "telegram", "console"):
        reply = await dispatch(Request(text="/help", platform=platform), ctx)
        assert reply is not None
        shown = " ".join((reply.summary, *reply.sections[0].steps))
        assert "{" not in shown and "/mailcheck" in shown


def test_slacks_help_command_is_the_one_the_manifest_registers_and_the_adapter_maps_to_help() -> (
    None
):
    registered = [
        c["command"] for c in yaml.safe_load(MANIFEST.read_text())["features"]["slash_commands"]
    ]
    assert HELP_COMMANDS["slack"] in registered
    assert SLACK_COMMANDS[HELP_COMMANDS["slack"]] == "/help"
    assert "/help" not in registered  # Slack keeps /help for itself
