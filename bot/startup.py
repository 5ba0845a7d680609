"""Checks made before `serve` and `monitor` start: a failure names the setting and exits 1."""

from __future__ import annotations

import asyncio

import dns.asyncquery
import dns.exception
import dns.message

from bot.config import Settings


class StartupError(Exception):
    """Something the bot needs is not there; the message names the setting to fix."""


async def check_resolvers(settings: Settings, wait: float = 3.0) -> None:
    """Every configured resolver must answer a query (any answer, even REFUSED, proves it is up)."""
    if not settings.resolvers:
        return

    async def one(host: str, port: int) -> str | None:
        query = dns.message.make_query("localhost.", "A")
        try:
            await dns.asyncquery.udp(query, host, port=port, timeout=wait)
        except (dns.exception.Timeout, OSError) as exc:
            return f"{host}:{port} ({type(exc).__name__})"
        return None

    failures = [f for f in await asyncio.gather(*(one(h, p) for h, p in settings.resolvers)) if f]
    if len(failures) == len(settings.resolvers):
        raise StartupError(
            f"MAILTRIAGE_RESOLVERS: no resolver answered a DNS query within {wait:g} s: "
            + ", ".join(failures)
        )
