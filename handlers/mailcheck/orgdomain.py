"""The organisational domain of a name (RFC 7489 section 3.2) and where DMARC looks for a policy.

The public suffix comes from the Public Suffix List that the `publicsuffixlist` package bundles
(ICANN and private sections, no network at run time); the organisational domain is the suffix and
one label more. A name under a suffix the list does not know (lab.test) has its last label as
suffix, as the list's default rule says.
"""

from __future__ import annotations

import functools

from publicsuffixlist import PublicSuffixList


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # parses the bundled list once (about 35 ms)


def organizational_domain(domain: str) -> str:
    """`mail.example.co.uk` -> `example.co.uk`; a public suffix itself (`co.uk`) stays as it is."""
    name = domain.lower().rstrip(".")
    return _suffixes().privatesuffix(name) or name


def dmarc_names(domain: str) -> list[str]:
    """Where DMARC policy discovery looks (RFC 7489 section 6.6.3), in order: the domain itself,
    then its organisational domain. Names in between and the public suffix are never asked."""
    name = domain.lower().rstrip(".")
    org = organizational_domain(name)
    return [f"_dmarc.{name}"] + ([f"_dmarc.{org}"] if org != name else [])
