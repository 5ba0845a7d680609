"""Check an address, domain, host or IP: MX, addresses, PTR, SPF, DMARC, MTA-STS, DKIM, blocklists."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET", help="user@domain, domain, host name or IP")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--lang", choices=("en", "zh-TW"), help="answer language")
    parser.add_argument(
        "--resolver",
        action="append",
        metavar="HOST:PORT",
        help="recursive resolver to use (repeatable; default MAILTRIAGE_RESOLVERS or the system's)",
    )
    parser.add_argument(
        "--dnsbl", metavar="ZONE,...", help="blocklist zones to ask instead of the default lists"
    )
    parser.add_argument(
        "--probe", action="store_true", help="also open an SMTP session to the best MX"
    )
    parser.add_argument(
        "--dkim", metavar="SELECTOR,...", help="DKIM selectors to look up (default: common ones)"
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.cli.options import EXIT_FAILURE, EXIT_USAGE, fail
    from bot.config import ConfigError, load_settings
    from handlers.errors import MailtriageError, UsageError

    overrides = {}
    if args.lang:
        overrides["MAILTRIAGE_LANG"] = args.lang
    if args.resolver:
        overrides["MAILTRIAGE_RESOLVERS"] = ",".join(args.resolver)
    if args.dnsbl:
        overrides["MAILTRIAGE_DNSBL_ZONES"] = args.dnsbl
    try:
        settings = load_settings(**overrides).handler_settings()
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    text = args.target + (f" dkim={args.dkim}" if args.dkim else "")
    try:
        return asyncio.run(_check(text, settings, args))
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE)
    except MailtriageError as exc:
        return fail(str(exc), EXIT_FAILURE)


async def _check(text: str, settings: object, args: argparse.Namespace) -> int:
    import json
    import sys

    from handlers.mailcheck import check_target
    from handlers.mailcheck.reply import build_reply
    from handlers.mailcheck.target import parse_target
    from handlers.request import HandlerSettings

    assert isinstance(settings, HandlerSettings)
    lang = settings.lang
    target = parse_target(text, settings, lang)
    result = await check_target(target, settings, lang=lang, probe=True if args.probe else None)
    if args.json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
    else:
        from bot.render.text import render

        reply = build_reply(target.text, result.kind, list(result.findings), lang, {})
        sys.stdout.write(render(reply) + "\n")
    return 0
