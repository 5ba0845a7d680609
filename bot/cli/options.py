"""Options every subcommand shares, and the exit status an answer maps to."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the reply model is imported only when an answer is rendered
    from handlers.reply import Reply

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--lang", choices=("en", "zh-TW"), help="answer language")


def exit_status(reply: Reply | None) -> int:
    from handlers.reply import Kind

    if reply is None:
        return EXIT_OK
    if reply.kind is Kind.USAGE:
        return EXIT_USAGE
    if reply.kind in (Kind.ERROR, Kind.REFUSAL):
        return EXIT_FAILURE
    return EXIT_OK


def fail(message: str, status: int = EXIT_FAILURE) -> int:
    print(f"mailtriage: {message}", file=sys.stderr)
    return status
