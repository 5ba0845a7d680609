"""Serve local Postfix/Dovecot logs as an appliance: the generic connection-track API over HTTP."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = sub.add_parser(
        "serve", help="serve the tracks of mail log files (token: MAILTRIAGE_APPLIANCE_TOKEN)"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8025, help="port to listen on (default 8025)")
    serve.add_argument(
        "--log", nargs="+", required=True, metavar="FILE", help="mail log files, oldest first"
    )


def run(args: argparse.Namespace) -> int:
    import os

    from bot.cli.options import EXIT_USAGE, fail

    token = os.environ.get("MAILTRIAGE_APPLIANCE_TOKEN", "").strip()
    if not token:
        return fail("MAILTRIAGE_APPLIANCE_TOKEN: set a bearer token the bot will send", EXIT_USAGE)
    if not 0 < args.port < 65536:
        return fail("--port: expected 1 to 65535", EXIT_USAGE)
    for path in args.log:
        if not os.access(path, os.R_OK):
            return fail(f"--log: cannot read {path}", EXIT_USAGE)

    import uvicorn

    from bot.appliance import create_app

    uvicorn.run(create_app(args.log, token), host=args.host, port=args.port, log_level="warning")
    return 0
