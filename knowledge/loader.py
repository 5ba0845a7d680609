"""Reads the TOML files under knowledge/ into frozen records; an error names the file and the problem.

`load()` keeps the parsed records in the user's cache directory (knowledge.cache) so that a start
skips the parse while no knowledge file or code has changed; `load_from()` always parses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from knowledge import model
from knowledge.model import Blocklist, ProviderCode, Reason, ReplyCode, StatusCode, Text
from knowledge.toml_file import KnowledgeError

__all__ = [
    "REASONS",
    "ROOT",
    "KnowledgeBase",
    "KnowledgeError",
    "load",
    "load_cached",
    "load_from",
]

ROOT = Path(__file__).resolve().parent

REASONS = [
    "userunknown",
    "mailboxfull",
    "filtered",
    "rejected",
    "blocked",
    "badreputation",
    "spamdetected",
    "policyviolation",
    "securityerror",
    "authfailure",
    "norelaying",
    "hostunknown",
    "networkerror",
    "expired",
    "mesgtoobig",
    "exceedlimit",
    "toomanyconn",
    "speeding",
    "systemerror",
    "systemfull",
    "notaccept",
    "notcompliantrfc",
    "suspend",
    "hasmoved",
    "syntaxerror",
    "contenterror",
    "virusdetected",
    "requireptr",
    "mailererror",
    "onhold",
    "vacation",
    "feedback",
    "delivered",
    "failedstarttls",
    "undefined",
    "greylisted",
]


@dataclass(frozen=True)
class KnowledgeBase:
    reasons: Mapping[str, Reason]
    reply_codes: Mapping[str, ReplyCode]
    status_codes: Mapping[str, StatusCode]
    provider_codes: tuple[ProviderCode, ...]
    blocklists: Mapping[str, Blocklist]
    texts: Mapping[str, Text]

    def text(self, key: str, lang: str, **values: object) -> str:
        """A UI message in `lang`, formatted with `values`; a missing key is a programming error."""
        return self.texts[key].get(lang).format(**values)

    def providers_in(self, text: str) -> tuple[ProviderCode, ...]:
        """The provider markers that occur in `text` (case-insensitive), longest marker first."""
        low = text.lower()
        found = [p for p in self.provider_codes if p.marker.lower() in low]
        return tuple(sorted(found, key=lambda p: -len(p.marker)))

    def status(self, code: str) -> StatusCode | None:
        """The meaning of an enhanced status code such as 5.7.26 (looked up as X.7.26).

        A detail the registry does not know (5.7.99) falls back to its subject (X.7), and
        an unknown subject to its class (5.X.X); a malformed code gives None.
        """
        parts = code.strip().split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts) or parts[0] not in "245":
            return None
        for key in (f"X.{parts[1]}.{parts[2]}", f"X.{parts[1]}", f"{parts[0]}.X.X"):
            if key in self.status_codes:
                return self.status_codes[key]
        return None


def load_from(root: Path) -> KnowledgeBase:
    """Load and check every knowledge file under `root`."""
    from knowledge import parse  # the TOML reader, needed only when the cache cannot answer

    reasons = {name: parse.reason(root / "reasons" / f"{name}.toml") for name in REASONS}
    extra = sorted(p.stem for p in (root / "reasons").glob("*.toml") if p.stem not in reasons)
    if extra:
        raise KnowledgeError(f"{root / 'reasons'}: unknown reason files: {', '.join(extra)}")
    return KnowledgeBase(
        reasons=reasons,
        reply_codes=parse.reply_codes(root / "smtp_codes.toml"),
        status_codes=parse.status_codes(root / "status_codes.toml", reasons),
        provider_codes=parse.provider_codes(root / "providers.toml", reasons),
        blocklists=parse.blocklists(root / "dnsbl.toml"),
        texts=parse.texts([root / "messages.toml", *sorted((root / "texts").glob("*.toml"))]),
    )


# every record type a KnowledgeBase holds: the only classes its cache file may build
RECORD_TYPES = (
    model.Text,
    model.Steps,
    model.Example,
    Reason,
    ReplyCode,
    StatusCode,
    ProviderCode,
    model.ListCode,
    Blocklist,
)


def load_cached(root: Path, cache_dir: Path | None) -> KnowledgeBase:
    """`load_from(root)`, through a cache file in `cache_dir` (None: no cache)."""
    from knowledge.cache import cached, sources

    return cached(
        "knowledge",
        sources(root),  # the data, and the code that reads it: a new version parses afresh
        lambda: load_from(root),
        KnowledgeBase,
        RECORD_TYPES,
        cache_dir,
    )


@cache
def load() -> KnowledgeBase:
    """The shipped knowledge base, read once per process (from the user's cache when current)."""
    from knowledge.cache import default_dir

    return load_cached(ROOT, default_dir())
