"""/mailcheck: can mail reach this address, and can mail from this IP be accepted?

`check()` parses nothing: it gathers DNS facts for a parsed target (`gather`), judges them per check
(`judge`, pure) and returns a CheckResult; `handle()` is the chat command around it (arguments, rate
limit, the Reply). The SMTP probe (handlers.smtp_probe) runs for the best MX when probing is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.dns import make_resolver
from handlers.dnsbl import DnsblClient
from handlers.errors import LookupFailedError, MailtriageError, RefusedError
from handlers.mailcheck.gather import Facts, Prober, gather
from handlers.mailcheck.judge import judge
from handlers.mailcheck.reply import build_reply, verdict
from handlers.mailcheck.target import Target, parse_target
from handlers.netguard import RateLimiter
from handlers.reply import Finding, Reply, Status
from handlers.request import Context, HandlerSettings, Request
from knowledge.loader import load

__all__ = ["CheckResult", "check", "check_target", "handle"]

_limiters: dict[int, RateLimiter] = {}


@dataclass(frozen=True)
class CheckResult:
    target: str
    kind: str
    verdict: Status
    findings: tuple[Finding, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "verdict": str(self.verdict),
            "findings": [f.as_json() for f in self.findings],
        }


def _prober(target: Target, settings: HandlerSettings, lang: str) -> Prober:
    from handlers import smtp_probe  # imported only when probing: it pulls in aiosmtplib

    rcpt = f"{target.user}@{target.name}" if target.user else None

    async def run(host: str, addresses: list[str]) -> list[Finding]:
        try:
            return await smtp_probe.probe(host, addresses, rcpt, settings, lang=lang)
        except MailtriageError as exc:
            return [Finding("smtp", Status.UNKNOWN, host, detail=str(exc))]

    return run


def _kind(target: Target, facts: Facts) -> str:
    if target.kind != "domain":
        return target.kind
    mx = facts.get(target.name, "MX")
    return "host" if mx is not None and mx.status == "nodata" and facts.addresses else "domain"


async def check_target(
    target: Target, settings: HandlerSettings, *, lang: str, probe: bool | None = None
) -> CheckResult:
    """Gather and judge one parsed target with resolvers and lists from `settings`."""
    wants_probe = (
        probe
        if probe is not None
        else (target.probe if target.probe is not None else settings.smtp_probe)
    )
    resolver = make_resolver(settings)
    dnsbl = DnsblClient(settings)
    try:
        prober = _prober(target, settings, lang) if wants_probe and not target.is_ip else None
        facts = await gather(target, settings, resolver, dnsbl, prober)
    finally:
        await dnsbl.close()
    _check_resolver_answered(facts, settings, lang)
    findings = tuple(judge(facts, lang))
    return CheckResult(target.text, _kind(target, facts), verdict(list(findings)), findings)


def _check_resolver_answered(facts: Facts, settings: HandlerSettings, lang: str) -> None:
    """No answer at all (every lookup failed) means the resolver is unusable, not the target."""
    answers = list(facts.records.values())
    if not answers or not all(r.failed for r in answers):
        return
    if any(item.state != "unknown" for item in facts.listings):
        return
    servers = ", ".join(f"{h}:{p}" for h, p in settings.resolvers) or "system"
    why = answers[0].why
    raise LookupFailedError(load().text("mailcheck.error.resolver", lang, servers=servers, why=why))


async def check(
    target: str, settings: HandlerSettings, *, lang: str, probe: bool | None = None
) -> CheckResult:
    """Check `target` (an address, domain, host name or IP): UsageError/RefusedError for bad input."""
    return await check_target(
        parse_target(target, settings, lang), settings, lang=lang, probe=probe
    )


async def handle(args: str, req: Request, ctx: Context) -> Reply:
    lang = req.lang or ctx.settings.lang
    target = parse_target(args, ctx.settings, lang)
    per_minute = max(1, ctx.settings.rate_limit_per_minute)
    limiter = _limiters.setdefault(per_minute, RateLimiter(per_minute))
    if not limiter.allow(f"{req.platform}:{req.user}"):
        raise RefusedError(load().text("mailcheck.error.rate_limited", lang, limit=per_minute))
    result = await check_target(target, ctx.settings, lang=lang)
    return build_reply(target.text, result.kind, list(result.findings), lang, result.as_json())
