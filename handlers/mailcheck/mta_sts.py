"""MTA-STS (RFC 8461): fetching the policy over HTTPS with httpx, and reading policy and TXT records.

The policy host is resolved with the bot's own resolver and must pass handlers.netguard like the
SMTP probe (a domain must not be able to point the bot at an internal web server); the connection
goes to that address with the policy host's name for SNI, Host and certificate checks.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dns.asyncresolver

from handlers.dns import lookup
from handlers.netguard import connect_refusal
from handlers.request import HandlerSettings

if TYPE_CHECKING:
    import ssl

MAX_POLICY_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class PolicyFetch:
    """status: ok (text holds the policy), error (why), or refused (address off limits)."""

    url: str
    status: str
    text: str = ""
    why: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    version: str = ""
    mode: str = ""
    max_age: int | None = None
    mx: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)


@functools.lru_cache(maxsize=4)
def tls_context(extra_ca: str | None) -> ssl.SSLContext:
    """The system's trust store, plus `extra_ca` (settings.probe_tls_ca; tests use their own CA).

    Built once per CA file: loading the system store costs more than a whole DNS check.
    """
    import ssl  # imported on first use: most checks fetch no policy

    context = ssl.create_default_context()
    if extra_ca:
        context.load_verify_locations(cafile=extra_ca)
    return context


async def fetch_policy(
    domain: str, settings: HandlerSettings, resolver: dns.asyncresolver.Resolver
) -> PolicyFetch:
    """GET https://mta-sts.<domain>/.well-known/mta-sts.txt (port settings.mta_sts_port)."""
    host = f"mta-sts.{domain}"
    port = settings.mta_sts_port
    url = f"https://{host}{'' if port == 443 else f':{port}'}/.well-known/mta-sts.txt"
    records = await lookup(resolver, host, "A")
    if not records.found:
        records = await lookup(resolver, host, "AAAA")
    if not records.found:
        return PolicyFetch(url, "error", why=f"{host}: {records.why or records.status}")
    address = ipaddress.ip_address(records.rdata[0].to_text())
    reason = connect_refusal(address, settings.probe_allow_networks)
    if reason is not None:
        return PolicyFetch(url, "refused", why=f"{host} -> {address}: {reason}")
    literal = f"[{address}]" if address.version == 6 else str(address)
    import httpx  # only when a policy is announced: httpx takes a while to import

    try:
        async with (
            httpx.AsyncClient(
                verify=tls_context(settings.probe_tls_ca),
                timeout=settings.dns_timeout,
                trust_env=False,
            ) as client,
            client.stream(
                "GET",
                f"https://{literal}:{port}/.well-known/mta-sts.txt",
                headers={"Host": host},
                extensions={"sni_hostname": host},
            ) as response,
        ):
            if response.status_code != 200:
                return PolicyFetch(url, "error", why=f"HTTP {response.status_code}")
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_POLICY_BYTES:  # stop reading: RFC 8461 policies are tiny
                    return PolicyFetch(url, "error", why="policy larger than 64 KiB")
    except httpx.HTTPError as exc:
        return PolicyFetch(url, "error", why=f"{type(exc).__name__}: {exc}"[:300])
    return PolicyFetch(url, "ok", body.decode("utf-8", "replace"))


def parse_policy(text: str) -> Policy:
    """Read an MTA-STS policy body (key: value lines)."""
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values.setdefault(key.strip().lower(), []).append(value.strip())
    problems = []
    version = (values.get("version") or [""])[0]
    if version != "STSv1":
        problems.append("version must be STSv1")
    mode = (values.get("mode") or [""])[0]
    if mode not in ("enforce", "testing", "none"):
        problems.append("mode must be enforce, testing or none")
    raw_age = (values.get("max_age") or [""])[0]
    max_age = int(raw_age) if raw_age.isdigit() else None
    if max_age is None:
        problems.append("max_age is missing")
    mx = tuple(v.lower().rstrip(".") for v in values.get("mx", []))
    if mode in ("enforce", "testing") and not mx:
        problems.append("no mx lines")
    return Policy(version, mode, max_age, mx, tuple(problems))


def mx_matches(host: str, pattern: str) -> bool:
    """RFC 8461 section 4.1: exact name, or `*.` matching exactly one leftmost label."""
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def sts_records(texts: list[str]) -> list[str]:
    return [t for t in texts if re.match(r"^v=STSv1\s*(;|$)", t)]


def tlsrpt_records(texts: list[str]) -> list[str]:
    return [t for t in texts if re.match(r"^v=TLSRPTv1\s*(;|$)", t)]


def tags(record: str) -> dict[str, str]:
    """`k=v; k=v` tag lists (DMARC, MTA-STS TXT, TLS-RPT, DKIM)."""
    out = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out
