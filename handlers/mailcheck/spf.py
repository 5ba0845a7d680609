"""SPF (RFC 7208) read from gathered TXT records: syntax, the 10-lookup and 2-void-lookup limits.

`walk()` is pure: it follows include/redirect through the records it is given and names the
queries it still lacks, so `gather` can fetch them and walk again until nothing is missing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.dns import Records

MAX_LOOKUPS, MAX_VOID = 10, 2
_MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
_COUNTED = ("include", "a", "mx", "ptr", "exists", "redirect")
_TERM_RE = re.compile(r"^([+\-~?]?)([a-z][a-z0-9_.-]*)(?:([:=/])(.*))?$", re.IGNORECASE)

Get = Callable[[str, str], Records | None]


def spf_records(records: Records | None) -> list[str]:
    """The SPF records among a name's TXT records (strings of one record joined first)."""
    if records is None or not records.found:
        return []
    out = []
    for rdata in records.rdata:
        text = b"".join(getattr(rdata, "strings", ())).decode("utf-8", "replace")
        if text.lower() == "v=spf1" or text.lower().startswith("v=spf1 "):
            out.append(text)
    return out


@dataclass(frozen=True, slots=True)
class Term:
    qualifier: str
    name: str
    value: str
    is_modifier: bool


def parse(record: str) -> tuple[list[Term], list[str]]:
    """Terms of one record and its syntax problems (each a short English phrase with the term)."""
    terms, problems = [], []
    for word in record.split()[1:]:
        m = _TERM_RE.match(word)
        if not m:
            problems.append(f"`{word}` is not an SPF term")
            continue
        qualifier, name, sep, value = m.group(1), m.group(2).lower(), m.group(3), m.group(4) or ""
        if sep == "=":
            terms.append(Term("", name, value, True))
            continue
        if name not in _MECHANISMS:
            problems.append(f"`{word}`: unknown mechanism `{name}`")
            continue
        problem = _check_value(name, sep or "", value)
        if problem:
            problems.append(f"`{word}`: {problem}")
        terms.append(Term(qualifier or "+", name, value if sep == ":" else "", False))
    return terms, problems


def _check_value(name: str, sep: str, value: str) -> str | None:
    if name in ("ip4", "ip6"):
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return "not a valid address or network"
        if net.version != int(name[2]):
            return f"not an IPv{name[2]} address"
        return None
    if name in ("include", "exists") and (sep != ":" or not value):
        return "needs a domain"
    if name == "all" and sep:
        return "takes no value"
    return None


@dataclass
class Walk:
    """Everything the lookups of one domain's SPF add up to."""

    records: list[tuple[str, str]] = field(default_factory=list)  # (domain, record) visited
    lookups: int = 0
    voids: int = 0
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # DNS failures (the result is unknown)
    missing: set[tuple[str, str]] = field(default_factory=set)
    all_term: str = ""  # qualifier+all of the top record (after redirect), "" when absent


def walk(domain: str, get: Get) -> Walk:
    """Follow `domain`'s SPF through include and redirect, counting DNS lookups and void ones."""
    w = Walk()
    _visit(domain, get, w, depth=0, top=True)
    return w


def _visit(domain: str, get: Get, w: Walk, depth: int, top: bool) -> bool:
    """Visit one domain's record; False when it has none (the caller decides what that means)."""
    txt = get(domain, "TXT")
    if txt is None:
        w.missing.add((domain, "TXT"))
        return True
    if txt.failed:
        w.errors.append(f"{domain}: {txt.why}")
        return True
    records = spf_records(txt)
    if len(records) != 1:
        return False
    record = records[0]
    w.records.append((domain, record))
    terms, problems = parse(record)
    w.problems += [f"{domain}: {p}" for p in problems]
    redirect = None
    for term in terms:
        if term.is_modifier:
            if term.name == "redirect":
                redirect = term.value
            continue
        if term.name == "all" and top:
            w.all_term = term.qualifier + "all"
        if term.name not in _COUNTED:
            continue
        w.lookups += 1
        target = term.value or domain
        if "%" in target or w.lookups > MAX_LOOKUPS + 5 or depth > 8:
            continue  # macros need the sender; far past the limit nothing more is learned
        if term.name == "include":
            if not _visit(target, get, w, depth + 1, top=False):
                w.problems.append(f"{domain}: include:{target} has no single SPF record")
            _count_void(target, "TXT", get, w)
        elif term.name in ("a", "mx", "exists"):
            _count_void(target, "MX" if term.name == "mx" else "A", get, w)
    if redirect is not None and not any(t.name == "all" for t in terms if not t.is_modifier):
        w.lookups += 1
        if "%" not in redirect and depth <= 8 and not _visit(redirect, get, w, depth + 1, top):
            w.problems.append(f"{domain}: redirect={redirect} has no single SPF record")
    return True


def _count_void(name: str, rdtype: str, get: Get, w: Walk) -> None:
    records = get(name, rdtype)
    if records is None:
        w.missing.add((name, rdtype))
    elif records.status in ("nxdomain", "nodata"):
        w.voids += 1
