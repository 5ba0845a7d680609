"""The SMTP probe of an MX host: can it be reached, does it speak TLS, does it take this address?

`probe()` checks every address with handlers.netguard, runs one bounded session (`session`) and
turns what it saw into findings (`judge`). Rate limits per user are the caller's (netguard.RateLimiter).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from ipaddress import ip_address

from handlers.errors import UsageError
from handlers.netguard import check_port_allowed, connect_refusal, shown
from handlers.reply import Finding
from handlers.request import HandlerSettings
from handlers.smtp_probe.judge import judge
from handlers.smtp_probe.session import Session
from handlers.smtp_probe.transcript import Transcript
from knowledge.loader import load

__all__ = ["BUDGET_FACTOR", "probe"]

BUDGET_FACTOR = 2.5
"""The whole probe ends after this many times settings.probe_timeout, whatever each step takes."""

_MAX_RCPT = 254


async def probe(
    mx_host: str,
    addresses: Sequence[str],
    rcpt: str | None,
    settings: HandlerSettings,
    *,
    lang: str,
    port: int = 25,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
) -> list[Finding]:
    """Findings (check "smtp") from one SMTP session with the first reachable allowed address.

    `addresses` are the MX host's addresses, resolved by the caller; only those netguard allows
    are used, and only on ports 25/465/587 enabled in settings.probe_ports (else RefusedError).
    With `rcpt`, asks MAIL FROM:<> / RCPT TO:<rcpt> (and a made-up address to spot catch-alls),
    then RSET and QUIT: never DATA.
    """
    check_port_allowed(port, settings, lang=lang)
    if rcpt is not None and (
        len(rcpt) > _MAX_RCPT or "@" not in rcpt or any(c in rcpt for c in "<>\r\n\0 ")
    ):
        raise UsageError(load().text("smtp.bad_rcpt", lang, rcpt=rcpt[:80]))
    mx_host = mx_host.rstrip(".")
    t = Transcript(mx_host=mx_host, port=port, timeout=settings.probe_timeout, rcpt=rcpt)
    allowed = []
    for address in addresses:
        ip = ip_address(address)
        reason = connect_refusal(ip, settings.probe_allow_networks)
        if reason is None:
            allowed.append(str(ip))
        else:
            t.refused.append((shown(ip), reason))
    if allowed:
        try:
            async with asyncio.timeout(settings.probe_timeout * BUDGET_FACTOR):
                await Session(t, settings, clock).run(allowed)
        except TimeoutError:
            seconds = f"{settings.probe_timeout * BUDGET_FACTOR:g}"
            t.aborted = load().text("smtp.evidence.budget", lang, seconds=seconds)
    return judge(t, lang, now())
