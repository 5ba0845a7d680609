"""DNS lookups for the handlers: resolvers built from the settings and answers read as outcomes.

`make_resolver()` gives a dnspython async resolver on the configured Do53 servers (or the system's);
`lookup()` turns one query into `Records` whose status says what happened (ok, nxdomain, nodata,
error) instead of raising: NXDOMAIN and "no record" are facts, a timeout or SERVFAIL is an unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
from dns.rdata import Rdata

from handlers.request import HandlerSettings


def nameservers(settings: HandlerSettings) -> list[tuple[str, int]]:
    """The recursive resolvers to ask: the configured ones, else the system's (port 53)."""
    if settings.resolvers:
        return list(settings.resolvers)
    system = dns.resolver.Resolver()
    return [(str(ns), 53) for ns in system.nameservers]


def make_resolver(settings: HandlerSettings) -> dns.asyncresolver.Resolver:
    """An async resolver on settings.resolvers (host, port) with settings.dns_timeout per lookup."""
    if settings.resolvers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port) for host, port in settings.resolvers
        ]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.timeout = min(settings.dns_timeout, max(settings.dns_timeout / 2, 0.5))
    resolver.lifetime = settings.dns_timeout
    resolver.retry_servfail = False
    return resolver


@dataclass(frozen=True, slots=True)
class Records:
    """The outcome of one query: `status` is ok, nxdomain, nodata or error (then `why` says why)."""

    name: str
    rdtype: str
    status: str
    rdata: tuple[Rdata, ...] = ()
    canonical: str = ""  # the name the answer was for after following CNAMEs
    why: str = ""

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(r.to_text() for r in self.rdata)

    @property
    def found(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        return self.status == "error"


async def lookup(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> Records:
    """Ask `resolver` for `name`/`rdtype`; never raises for DNS outcomes."""
    try:
        answer = await resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return Records(name, rdtype, "nxdomain")
    except dns.resolver.NoNameservers:
        return Records(name, rdtype, "error", why="SERVFAIL")
    except dns.exception.Timeout:
        return Records(name, rdtype, "error", why="timeout")
    except dns.name.NameTooLong:
        return Records(name, rdtype, "error", why="name too long")
    except dns.exception.DNSException as exc:
        return Records(name, rdtype, "error", why=type(exc).__name__)
    canonical = answer.canonical_name.to_text(omit_final_dot=True)
    if answer.rrset is None:
        return Records(name, rdtype, "nodata", canonical=canonical)
    return Records(name, rdtype, "ok", tuple(answer.rrset), canonical)
