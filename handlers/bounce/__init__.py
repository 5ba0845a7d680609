"""Explain a pasted bounce: find every failed recipient, classify it and answer with fixes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.bounce.records import BounceReport, Recipient

if TYPE_CHECKING:
    from handlers.reply import Reply
    from handlers.request import Context, Request

__all__ = ["BounceReport", "Recipient", "classify_text", "handle", "looks_like_bounce"]


def classify_text(text: str | bytes) -> BounceReport:
    """Read any text (a whole bounce, a fragment, a log line) into a report; never raises."""
    from handlers.bounce.report import build_report

    return build_report(text)


def looks_like_bounce(text: str) -> bool:
    """Cheap test for overheard messages: does this text look like a delivery failure?"""
    from handlers.bounce.report import looks_like_failure

    return looks_like_failure(text)


async def handle(args: str, req: Request, ctx: Context) -> Reply | None:
    """The dispatcher's entry point for any text that is not a command."""
    from handlers.bounce.reply import answer

    return answer(args, req)
