"""The dispatcher routes requests, picks the language and turns every failure into a short reply."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from handlers.dispatch import BOUNCE, COMMANDS, Command, dispatch, parse_command
from handlers.errors import LookupFailedError, RefusedError, UsageError
from handlers.reply import Kind, Reply
from handlers.request import Context, Request


async def echo(args: str, req: Request, ctx: Context) -> Reply:
    return Reply(title="echo", summary=args, lang=req.lang or "?")


async def crash(args: str, req: Request, ctx: Context) -> Reply:
    raise RuntimeError("boom: secret internals")


async def refuse(args: str, req: Request, ctx: Context) -> Reply:
    raise RefusedError("not for you")


async def bad_args(args: str, req: Request, ctx: Context) -> Reply:
    raise UsageError("that is not an address")


async def lookup_fails(args: str, req: Request, ctx: Context) -> Reply:
    raise LookupFailedError("the resolver 127.0.0.1:53 did not answer")


async def slow(args: str, req: Request, ctx: Context) -> Reply:
    await asyncio.sleep(5)
    raise AssertionError("not reached")


HERE = __name__
TABLE = {
    **COMMANDS,
    "echo": Command("echo", f"{HERE}:echo", "usage.help"),
    "crash": Command("crash", f"{HERE}:crash", "usage.help"),
    "refuse": Command("refuse", f"{HERE}:refuse", "usage.help"),
    "bad": Command("bad", f"{HERE}:bad_args", "usage.mailcheck"),
    "lookup": Command("lookup", f"{HERE}:lookup_fails", "usage.help"),
    "slow": Command("slow", f"{HERE}:slow", "usage.help"),
    "": Command("explain", f"{HERE}:echo", "usage.explain"),
}


def test_commands_are_parsed_with_bot_names_and_arguments() -> None:
    command, args = parse_command("/mailcheck@MailTriageBot  example.com ")
    assert command is COMMANDS["mailcheck"] and args == "example.com"
    command, args = parse_command("550 5.1.1 user unknown")
    assert command is None and args == "550 5.1.1 user unknown"
    assert BOUNCE.target == "handlers.bounce:handle"


async def test_a_command_reaches_its_handler(ctx: Context) -> None:
    reply = await dispatch(Request(text="/echo hello there"), ctx, TABLE)
    assert reply is not None and reply.summary == "hello there" and reply.lang == "en"


async def test_other_text_goes_to_the_bounce_handler(ctx: Context) -> None:
    reply = await dispatch(Request(text="550 5.1.1 <a@b.example>: User unknown"), ctx, TABLE)
    assert reply is not None and reply.title == "echo"


async def test_chinese_text_gets_a_chinese_answer_unless_the_user_chose(ctx: Context) -> None:
    reply = await dispatch(Request(text="收件人地址不存在"), ctx, TABLE)
    assert reply is not None and reply.lang == "zh-TW"
    await ctx.store.set_lang("console", "console", "en")
    reply = await dispatch(Request(text="收件人地址不存在"), ctx, TABLE)
    assert reply is not None and reply.lang == "en"


async def test_lang_command_is_remembered_per_user(ctx: Context) -> None:
    reply = await dispatch(Request(text="/lang zh-TW", user="u1", platform="slack"), ctx)
    assert reply is not None and reply.lang == "zh-TW"
    assert await ctx.store.get_lang("slack", "u1") == "zh-TW"
    reply = await dispatch(Request(text="/help", user="u1", platform="slack"), ctx)
    assert (
        reply is not None and reply.lang == "zh-TW" and "/mailcheck" in reply.sections[0].steps[1]
    )
    reply = await dispatch(Request(text="/lang klingon", user="u1", platform="slack"), ctx)
    assert reply is not None and reply.kind is Kind.USAGE and "klingon" in reply.summary


async def test_unknown_command_gets_usage_but_overheard_ones_get_nothing(ctx: Context) -> None:
    reply = await dispatch(Request(text="/frobnicate now"), ctx, TABLE)
    assert reply is not None and reply.kind is Kind.USAGE and "/frobnicate" in reply.summary
    assert await dispatch(Request(text="/frobnicate", explicit=False), ctx, TABLE) is None


async def test_a_huge_paste_gets_a_short_answer(ctx: Context) -> None:
    small = dataclasses.replace(
        ctx, settings=dataclasses.replace(ctx.settings, max_paste_bytes=1000)
    )
    reply = await dispatch(Request(text="x" * 5000), small, TABLE)
    assert reply is not None and reply.kind is Kind.USAGE and "MB" in reply.summary
    assert await dispatch(Request(text="x" * 5000, explicit=False), small, TABLE) is None


async def test_a_crash_becomes_an_apology_with_an_incident_id(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        reply = await dispatch(Request(text="/crash"), ctx, TABLE)
    assert reply is not None and reply.kind is Kind.ERROR and reply.incident_id
    assert reply.incident_id in reply.summary and "boom" not in reply.summary
    assert any(reply.incident_id in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("/refuse", Kind.REFUSAL, "not for you"),
        ("/bad x", Kind.USAGE, "/mailcheck <"),
        ("/lookup", Kind.ERROR, "did not answer"),
    ],
)
async def test_errors_become_short_replies(ctx: Context, text: str, kind: Kind, words: str) -> None:
    reply = await dispatch(Request(text=text), ctx, TABLE)
    assert reply is not None and reply.kind is kind and words in reply.summary


async def test_a_slow_handler_is_stopped(ctx: Context) -> None:
    quick = dataclasses.replace(
        ctx, settings=dataclasses.replace(ctx.settings, handler_timeout=0.05)
    )
    reply = await dispatch(Request(text="/slow"), quick, TABLE)
    assert reply is not None and reply.kind is Kind.ERROR and "0.05 s" in reply.summary
