"""/mailtrack: pull the connection tracks of an address from the mail appliance and explain failures.

`track()` is the entry point for code (the CLI's `mailtriage track --json`); `handle()` the chat one.
Sources live in `sources/` (generic API, Proxmox Mail Gateway, mailcow, local Postfix logs), the
failing step is found by `analyse`, the answer is built by `answer`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from handlers.conntrack.analyse import analyse
from handlers.conntrack.model import Step, Track, TrackStatus

if TYPE_CHECKING:
    import httpx

    from handlers.reply import Reply
    from handlers.request import ApplianceSettings, Context, Request

__all__ = ["Step", "Track", "TrackStatus", "handle", "track"]


async def track(
    address: str,
    since_seconds: float,
    settings: ApplianceSettings,
    *,
    direction: str | None = None,
    protocol: str | None = None,
    failed_only: bool = False,
    lang: str = "en",
    now: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Track]:
    """The tracks involving `address` in the last `since_seconds`, newest first, at most max_tracks."""
    from handlers.conntrack.sources import Query, open_source

    until = time.time() if now is None else now
    query = Query(
        address=address.lower(),
        since=until - since_seconds,
        until=until,
        direction=direction,
        protocol=protocol,
        failed_only=failed_only,
        limit=settings.max_tracks,
        lang=lang,
    )
    tracks = await open_source(settings, transport).fetch(query)
    for t in tracks:
        if t.status.failed and t.failed_step is Step.NONE and t.transcript:
            verdict = analyse(t.transcript)
            t.failed_step = verdict.failed_step
            t.reason = t.reason or verdict.reply
            t.reply_code = t.reply_code or verdict.reply_code
            t.status_code = t.status_code or verdict.status_code
    return tracks


async def handle(args: str, req: Request, ctx: Context) -> Reply:
    from handlers.conntrack.answer import build_reply
    from handlers.conntrack.args import parse_args, window_text
    from handlers.conntrack.sources.http import NAMES

    lang = req.lang or ctx.settings.lang
    parsed = parse_args(args, lang)
    settings = ctx.settings.appliance
    tracks = await track(
        parsed.address,
        parsed.since_seconds,
        settings,
        direction=parsed.direction,
        protocol=parsed.protocol,
        failed_only=parsed.failed_only,
        lang=lang,
        now=ctx.clock(),
    )
    appliance = NAMES.get(settings.kind, "Postfix")
    return build_reply(
        parsed.address, window_text(parsed.since_seconds), appliance, tracks, lang, len(tracks)
    )
