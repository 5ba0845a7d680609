"""Entry point of `mailtriage` and `python -m bot`: picks the subcommand and runs it."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from bot.cli.options import EXIT_FAILURE

# name -> module; each module has `configure(parser)` and `run(args) -> int`
SUBCOMMANDS: dict[str, str] = {
    "console": "bot.cli.console",
    "explain": "bot.cli.explain",
    "check": "bot.cli.check",
    "track": "bot.cli.track",
    "monitor": "bot.cli.monitor",
    "serve": "bot.cli.serve",
    "appliance": "bot.cli.appliance",
}
# Commands that answer once and exit. They make almost no reference cycles (a few hundred objects
# for the whole bounce corpus), so the cyclic collector, which otherwise keeps walking the growing
# heap of freshly imported modules, is switched off for them: about 6% of a `check` run.
ONE_SHOT = frozenset({"explain", "check", "track"})


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of `only` that one (each run needs one: faster start)."""
    parser = argparse.ArgumentParser(
        prog="mailtriage",
        description="Why did the mail not arrive? Explains bounces, checks domains and IPs, reads "
        "connection tracks and watches blocklists. With no command and no chat tokens it opens a "
        "console chat; with tokens it serves the configured chat platforms.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        doc = (module.__doc__ or name).strip().splitlines()[0]
        module.configure(sub.add_parser(name, help=doc, description=doc))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = args_list[0] if args_list and args_list[0] in SUBCOMMANDS else None
    if chosen in ONE_SHOT and argv is None:  # a whole process of its own, not a caller's call
        gc.disable()
    parser = build_parser(chosen)
    args = parser.parse_args(args_list)
    if args.command is None:
        tokens = os.environ.get("SLACK_BOT_TOKEN") or os.environ.get("TELEGRAM_BOT_TOKEN")
        name = "serve" if tokens else "console"
        args = build_parser(name).parse_args([name])
    module = importlib.import_module(SUBCOMMANDS[args.command])
    try:
        status: int = module.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_FAILURE
    return status


if __name__ == "__main__":
    raise SystemExit(main())
