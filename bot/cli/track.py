"""Connection tracks of an address from the configured appliance (JSON lines with --json)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("address", metavar="ADDRESS", help="the email address to look up")
    parser.add_argument("--since", default="24h", help="time window such as 2h, 3d (default 24h)")
    parser.add_argument("--direction", choices=("inbound", "outbound", "local"))
    parser.add_argument("--protocol", choices=("smtp", "pop3", "imap"))
    parser.add_argument("--failed", action="store_true", help="only failed, deferred or greylisted")
    parser.add_argument("--json", action="store_true", help="one JSON object per track per line")
    parser.add_argument("--lang", choices=("en", "zh-TW"), help="answer language")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import sys

    from bot.cli.options import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fail
    from bot.config import ConfigError, load_settings
    from handlers.conntrack import track
    from handlers.conntrack.args import parse_address, parse_duration
    from handlers.errors import MailtriageError, UsageError

    try:
        settings = load_settings(**({"MAILTRIAGE_LANG": args.lang} if args.lang else {}))
    except ConfigError as exc:
        return fail(str(exc))
    lang = settings.lang
    try:
        address = parse_address(args.address, lang)
        seconds = parse_duration(args.since, lang)
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE)
    appliance = settings.handler_settings().appliance
    try:
        tracks = asyncio.run(
            track(
                address,
                seconds,
                appliance,
                direction=args.direction,
                protocol=args.protocol,
                failed_only=args.failed,
                lang=lang,
            )
        )
    except MailtriageError as exc:
        return fail(str(exc), EXIT_FAILURE)
    if args.json:
        for t in tracks:
            sys.stdout.write(json.dumps(t.as_json(), ensure_ascii=False) + "\n")
        return EXIT_OK
    from bot.render.text import render
    from handlers.conntrack.answer import build_reply
    from handlers.conntrack.args import window_text
    from handlers.conntrack.sources.http import NAMES

    name = NAMES.get(appliance.kind, "Postfix")
    reply = build_reply(address, window_text(seconds), name, tracks, lang, len(tracks))
    sys.stdout.write(render(reply) + "\n")
    return EXIT_OK
