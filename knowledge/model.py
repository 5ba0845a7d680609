"""Typed, frozen records for everything in the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("en", "zh-TW")
SIDES = ("sender", "recipient", "network", "policy", "none")


@dataclass(frozen=True, slots=True)
class Text:
    """One text in both languages the bot speaks."""

    en: str
    zh_tw: str

    def get(self, lang: str) -> str:
        return self.zh_tw if lang == "zh-TW" else self.en


@dataclass(frozen=True, slots=True)
class Steps:
    """An ordered list of fix steps in both languages (same length in each)."""

    en: tuple[str, ...]
    zh_tw: tuple[str, ...]

    def get(self, lang: str) -> tuple[str, ...]:
        return self.zh_tw if lang == "zh-TW" else self.en


@dataclass(frozen=True, slots=True)
class Example:
    """A real text and the reason it must be classified as: every example is a test case."""

    text: str
    source: str = ""
    reason: str = ""  # filled with the owning reason's name by the loader


@dataclass(frozen=True, slots=True)
class Reason:
    """A bounce reason (Sisimai's vocabulary plus `greylisted`)."""

    name: str
    title: Text
    summary: Text
    side: str
    retry: bool
    temporary: bool | None
    fix: Steps
    phrases: tuple[str, ...]
    examples: tuple[Example, ...]
    category: str = ""


@dataclass(frozen=True, slots=True)
class ReplyCode:
    """A basic SMTP reply code (RFC 5321) and what it means in practice."""

    code: str
    meaning: Text
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusCode:
    """An enhanced status code subject.detail (RFC 3463 / IANA), `code` like "X.1.1"."""

    code: str
    meaning: Text
    reason: str = ""  # the bounce reason it usually means, "" when it says too little


@dataclass(frozen=True, slots=True)
class ProviderCode:
    """A provider-specific marker (e.g. Microsoft's `S3150`, NetEase's `DT:SPM`)."""

    provider: str
    marker: str
    reason: str
    meaning: Text
    url: str = ""


@dataclass(frozen=True, slots=True)
class ListCode:
    """One return code of a DNS blocklist and what it means."""

    code: str
    meaning: Text
    listed: bool = True  # False for answers that are no bad mark (allowlist, good reputation)


@dataclass(frozen=True, slots=True)
class Blocklist:
    """A DNS blocklist: zone, whether it lists IPs or domains, its codes and how to get delisted."""

    zone: str
    type: str  # "ip" or "domain"
    operator: str
    codes: tuple[ListCode, ...]
    error_codes: tuple[ListCode, ...]
    delist_url: str
    default: bool
    description: Text
    access: str = ""
    txt: bool = True
    ipv6: bool = False
    bitmask: bool = False  # the last octet is a sum of flags (SURBL, URIBL)

    def meaning(self, code: str) -> ListCode | None:
        for c in self.codes:
            if c.code == code:
                return c
        return None

    def meanings(self, code: str) -> tuple[ListCode, ...]:
        """Every code an answer stands for: one for plain lists, each set flag for bitmask lists."""
        exact = self.meaning(code)
        if exact is not None or not self.bitmask:
            return (exact,) if exact is not None else ()
        prefix, _, last = code.rpartition(".")
        if not last.isdigit():
            return ()
        value = int(last)
        found = []
        for c in self.codes:
            c_prefix, _, c_last = c.code.rpartition(".")
            if c_prefix == prefix and c_last.isdigit() and value & int(c_last) == int(c_last):
                found.append(c)
        return tuple(found)

    def error(self, code: str) -> ListCode | None:
        for c in self.error_codes:
            if c.code == code:
                return c
        return None
