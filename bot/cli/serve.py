"""Run the bot: every configured chat adapter, the blocklist monitor and the HTTP server."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-console", action="store_true", help="do not open the console chat when no chat is set"
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.cli.options import fail
    from bot.config import ConfigError, load_settings
    from bot.runtime import configure_logging
    from bot.serve import serve
    from bot.startup import StartupError
    from bot.store import StoreError

    try:
        settings = load_settings()
    except ConfigError as exc:
        return fail(str(exc))
    configure_logging(settings.log_level)
    try:
        return asyncio.run(serve(settings, console=not args.no_console))
    except (ConfigError, StoreError, StartupError) as exc:
        return fail(str(exc))
