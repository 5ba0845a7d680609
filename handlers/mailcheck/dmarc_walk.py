"""DMARC policy discovery by the DNS Tree Walk of RFC 9989 (sections 4.10, 4.10.1 and 4.10.2).

`walk_names()` lists every name a receiver may ask, in order, so that gather can ask them all at
once; `discover()` then reads the answers as an in-order walk would and stops where it would, so an
answer past the stop (a record or a failed lookup) changes nothing. No Public Suffix List: where a
domain's policy lives is read from the DNS alone. Judging the record found is judge/dmarc.py's job.

The rules, from the text:
- ask `_dmarc.<Author Domain>` first; a single valid record there is the policy (its p=);
- otherwise walk up: from a name of 8 or more labels jump to its last 7 labels, then drop one
  leftmost label at a time down to the top-level label (so at most 8 queries in all);
- a record counts only if it starts with `v=DMARC1` and is the only such record at its name;
- the walk stops at a record with psd=y or psd=n;
- the Organizational Domain, over the records found from longest name to shortest: a psd=n
  record's name; else one label below a psd=y record's name; else the name with fewest labels;
- the policy is the Organizational Domain's record if it has one, else the psd=y (Public Suffix
  Domain) record; for the Author Domain that is a subdomain policy (sp=, or np= if it does not
  exist, else p=), which judge/dmarc.py picks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from handlers.dns import Records

MAX_QUERIES = 8  # "Author Domains with more than eight labels do not result in more than eight"
SHORTENED_LABELS = 7  # "If x >= 8, remove the left-most labels ... until 7 labels remain"

# dmarc-version = "v" equals %s"DMARC1": the tag name in any case, the value exactly DMARC1
_VERSION = re.compile(r"[vV][ \t]*=[ \t]*DMARC1[ \t]*(?:;|$)")
_LOOSE = re.compile(r"v\s*=\s*dmarc1", re.IGNORECASE)

Getter = Callable[[str], Records | None]


def walk_names(domain: str) -> list[str]:
    """The names whose `_dmarc` TXT a full walk asks, in order: the domain, then its parents."""
    labels = domain.lower().rstrip(".").split(".")
    names = [".".join(labels)]
    first_parent = min(len(labels) - 1, SHORTENED_LABELS)
    names += [".".join(labels[-k:]) for k in range(first_parent, 0, -1)]
    return names


def txt_strings(records: Records | None) -> list[str]:
    """Each TXT record as one string (its character-strings joined, RFC 9989 4.7)."""
    if records is None or not records.found:
        return []
    return [b"".join(getattr(r, "strings", ())).decode("utf-8", "replace") for r in records.rdata]


def is_dmarc(text: str) -> bool:
    """Does this TXT string start with the version tag `v=DMARC1`?"""
    return _VERSION.match(text) is not None


def psd_flag(record: str) -> str:
    """The record's psd= value: y, n or u (the default, also for a value that is not y/n/u)."""
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip().lower() == "psd":
            flag = value.strip().lower()
            return flag if flag in ("y", "n", "u") else "u"
    return "u"


@dataclass(frozen=True, slots=True)
class Discovery:
    """What a receiver's walk for `domain` finds.

    `own`: the DMARC records at the domain itself (one is its policy; several are all discarded).
    `asked`: the names an in-order walk queries, up to where it stops. `found`: (name, record) for
    each single record on the way up, longest name first. `failed`: the first failed lookup before
    the stop (then nothing above it is known). `org`: the Organizational Domain; `applied_at` and
    `record`: where the record that applies is and what it says; `psd`: set when that record is a
    Public Suffix Domain's (psd=y). `passed_over`: names on the way with a record that does not
    apply. `loose`: TXT strings at the domain that look like DMARC but do not start with v=DMARC1.
    """

    domain: str
    asked: tuple[str, ...]
    own: tuple[str, ...] = ()
    found: tuple[tuple[str, str], ...] = ()
    failed: Records | None = None
    org: str | None = None
    applied_at: str | None = None
    record: str | None = None
    psd: str | None = None
    passed_over: tuple[str, ...] = ()
    loose: tuple[str, ...] = ()

    @property
    def inherited(self) -> bool:
        return self.applied_at is not None and self.applied_at != self.domain


def discover(domain: str, get: Getter) -> Discovery:
    """Walk the answers `get(name)` gives for `_dmarc.<name>` (None: not asked, read as no record)."""
    names = walk_names(domain)
    domain = names[0]
    first = get(domain)
    texts = txt_strings(first)
    own = tuple(t for t in texts if is_dmarc(t))
    loose = tuple(t for t in texts if not is_dmarc(t) and _LOOSE.search(t))
    if first is not None and first.failed:
        return Discovery(domain, (domain,), failed=first)
    if len(own) == 1:
        return Discovery(domain, (domain,), own, applied_at=domain, record=own[0])
    asked: list[str] = [domain]
    found: list[tuple[str, str]] = []
    for name in names[1:]:
        answer = get(name)
        asked.append(name)
        if answer is not None and answer.failed:
            return Discovery(domain, tuple(asked), own, tuple(found), answer, loose=loose)
        records = [t for t in txt_strings(answer) if is_dmarc(t)]
        if len(records) == 1:
            found.append((name, records[0]))
            if psd_flag(records[0]) in ("y", "n"):
                break
    org, applied = _select(domain, found)
    if applied is None:
        return Discovery(domain, tuple(asked), own, tuple(found), org=org, loose=loose)
    at, record = applied
    depth = _labels(org or at)
    return Discovery(
        domain,
        tuple(asked),
        own,
        tuple(found),
        org=org,
        applied_at=at,
        record=record,
        psd=at if psd_flag(record) == "y" and at != org else None,
        passed_over=tuple(n for n, _ in found if _labels(n) > depth),
        loose=loose,
    )


def _select(domain: str, found: list[tuple[str, str]]) -> tuple[str | None, tuple[str, str] | None]:
    """The Organizational Domain (4.10.2's three rules) and the record that applies (4.10.1)."""
    if not found:
        return None, None
    org = found[-1][0]  # rule 3: the record at the name with the fewest labels
    for name, record in found:  # longest name first; the walk stopped at any psd=y/n record
        flag = psd_flag(record)
        if flag == "n":  # rule 1
            org = name
            break
        if flag == "y":  # rule 2 (never the walk's start here: the domain's own record applied)
            org = ".".join(domain.split(".")[-(_labels(name) + 1) :])
            break
    at_org = [(n, r) for n, r in found if n == org]
    if at_org:
        return org, at_org[0]
    public_suffix = [(n, r) for n, r in found if psd_flag(r) == "y"]
    return org, (public_suffix[0] if public_suffix else None)


def _labels(name: str) -> int:
    return name.count(".") + 1
