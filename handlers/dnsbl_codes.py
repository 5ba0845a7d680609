"""What a blocklist's return code means, read with the knowledge base, and the words for it.

Each code is one of three kinds. `listed`: a real listing. `not_listed`: an answer that is no bad
mark (an allowlist entry, a good or neutral reputation level, an informational flag). `error`: the
list's refusal, rate-limit and wrong-query codes, any 127.255.255.x, 127.0.0.1, an answer outside
127.0.0.0/8, and a code a known list does not document; an error is never a listing. Bitmask lists
(SURBL, URIBL) give the meaning of each bit set. The engine (handlers.dnsbl) words reasons in
English; `say_why` puts a stored reason into the reader's language.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from knowledge.loader import load
from knowledge.model import Blocklist, Text

LISTED, NOT_LISTED, ERROR = "listed", "not_listed", "error"
WHY_TEXTS = (  # reasons the engine words from knowledge/texts/dnsbl.toml, longest first
    "dnsbl.health.not_listed",
    "dnsbl.health.everything",
    "dnsbl.why.timeout",
    "dnsbl.why.bad_name",
    "dnsbl.health.point",
)
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


@dataclass(frozen=True, slots=True)
class CodeReading:
    """One return code: its kind (listed, not_listed or error) and its meaning in both languages."""

    code: str
    kind: str
    meaning: Text


def text(key: str, **values: object) -> Text:
    """A text of knowledge/texts in both languages, filled in with `values`."""
    found = load().texts[key]
    return Text(found.en.format(**values), found.zh_tw.format(**values))


def _joined(parts: Sequence[Text]) -> Text:
    def clean(s: str) -> str:
        return s.strip().rstrip(".。")

    return Text(" + ".join(clean(p.en) for p in parts), " + ".join(clean(p.zh_tw) for p in parts))


def _flag_value(code: str) -> int:
    last = code.rsplit(".", 1)[-1]
    return int(last) if last.isdigit() else 0


def read_code(blocklist: Blocklist, code: str) -> CodeReading:
    """What `code` means on `blocklist`; lists without documented codes read 127.0.0.x as listed."""
    error = blocklist.error(code)
    if error is not None:
        return CodeReading(code, ERROR, _joined([error.meaning]))
    try:
        address = ipaddress.IPv4Address(code)
    except ValueError:
        return CodeReading(code, ERROR, _joined([text("dnsbl.code.outside_127")]))
    if not address.is_loopback:
        return CodeReading(code, ERROR, _joined([text("dnsbl.code.outside_127")]))
    meanings = blocklist.meanings(code)
    if meanings:
        kind = LISTED if any(m.listed for m in meanings) else NOT_LISTED
        parts = [m.meaning for m in meanings]
        if blocklist.bitmask and blocklist.meaning(code) is None:
            covered = 0
            for m in meanings:
                covered |= _flag_value(m.code)
            rest = _flag_value(code) & ~covered
            if rest:
                parts.append(text("dnsbl.code.other_bits", bits=rest))
        return CodeReading(code, kind, _joined(parts))
    if code.startswith("127.255.255."):
        return CodeReading(code, ERROR, _joined([text("dnsbl.code.error_range")]))
    if code == "127.0.0.1":
        return CodeReading(code, ERROR, _joined([text("dnsbl.code.loopback")]))
    if not blocklist.codes:
        return CodeReading(code, LISTED, _joined([text("dnsbl.code.generic_listed")]))
    return CodeReading(code, ERROR, _joined([text("dnsbl.code.undocumented")]))


def describe(blocklist: Blocklist, codes: Sequence[str], lang: str, *, sep: str = "; ") -> str:
    """`code meaning; code meaning` for a person reading `lang`."""
    return sep.join(f"{c} {read_code(blocklist, c).meaning.get(lang)}" for c in codes)


def why_of(readings: Sequence[CodeReading]) -> str:
    """The English reason of an unusable answer: each error code with its meaning."""
    return "; ".join(f"{r.code}: {r.meaning.en}" for r in readings)


@cache
def _pattern(english: str) -> re.Pattern[str]:
    """A regex finding a filled-in `english` template; each `{name}` becomes a named group."""
    return re.compile(_PLACEHOLDER.sub(r"(?P<\1>[^\\s;()]+?)", re.escape(english)))


def say_why(blocklist: Blocklist, why: str, lang: str) -> str:
    """`why` as the engine worded it (English) in `lang`: code meanings and reasons translated."""
    if lang == "en" or not why:
        return why
    out = why
    for code in dict.fromkeys(_IPV4.findall(why)):
        meaning = read_code(blocklist, code).meaning
        out = out.replace(f"{code}: {meaning.en}", f"{code}: {meaning.get(lang)}")
    texts = load().texts
    for key in WHY_TEXTS:
        found = texts[key]
        out = _pattern(found.en).sub(_filler(found.get(lang)), out)
    return out


def _filler(template: str) -> Callable[[re.Match[str]], str]:
    def fill(match: re.Match[str]) -> str:
        return template.format(**match.groupdict())

    return fill
