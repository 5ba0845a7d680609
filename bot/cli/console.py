"""Talk to the bot in this terminal (the default when no chat tokens are set)."""

from __future__ import annotations

import argparse
import asyncio


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("en", "zh-TW"), help="answer language")


def run(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_settings
    from bot.store import StoreError

    try:
        overrides = {"MAILTRIAGE_LANG": args.lang} if args.lang else {}
        settings = load_settings(**overrides)
    except ConfigError as exc:
        from bot.cli.options import fail

        return fail(str(exc))
    try:
        return asyncio.run(_chat(settings))
    except StoreError as exc:
        from bot.cli.options import fail

        return fail(str(exc))


async def _chat(settings: object) -> int:
    from bot.config import Settings
    from bot.console import ConsoleAdapter
    from bot.runtime import Runtime, configure_logging

    assert isinstance(settings, Settings)
    configure_logging("WARNING")
    runtime = await Runtime.open(settings)
    try:
        await ConsoleAdapter(runtime.ask).run()
    finally:
        await runtime.close()
    return 0
