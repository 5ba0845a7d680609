"""Reads the TOML files under knowledge/ into frozen records; an error names the file and the problem."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from knowledge.model import (
    SIDES,
    Blocklist,
    Example,
    ListCode,
    ProviderCode,
    Reason,
    ReplyCode,
    StatusCode,
    Steps,
    Text,
)

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


class KnowledgeError(Exception):
    """A knowledge file is missing, not TOML, or breaks the schema; the message names the file."""


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


class _File:
    """One TOML file being read, so every complaint can name where it is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open("rb") as fh:
                self.data: dict[str, Any] = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise KnowledgeError(f"{path}: file is missing") from exc
        except tomllib.TOMLDecodeError as exc:
            raise KnowledgeError(f"{path}: not valid TOML: {exc}") from exc

    def fail(self, where: str, problem: str) -> KnowledgeError:
        return KnowledgeError(f"{self.path}: {where}: {problem}")

    def text(self, table: Any, where: str) -> Text:
        if not isinstance(table, Mapping):
            raise self.fail(where, "expected a table with `en` and `zh-TW`")
        en, zh = table.get("en"), table.get("zh-TW")
        if not isinstance(en, str) or not en.strip():
            raise self.fail(where, "`en` text is missing or empty")
        if not isinstance(zh, str) or not zh.strip():
            raise self.fail(where, "`zh-TW` text is missing or empty")
        return Text(en=en.strip(), zh_tw=zh.strip())

    def steps(self, table: Any, where: str) -> Steps:
        if not isinstance(table, Mapping):
            raise self.fail(where, "expected a table with `en` and `zh-TW` lists")
        en, zh = table.get("en"), table.get("zh-TW")
        for lang, items in (("en", en), ("zh-TW", zh)):
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise self.fail(where, f"`{lang}` must be a list of non-empty strings")
        assert isinstance(en, list) and isinstance(zh, list)
        if len(en) != len(zh):
            raise self.fail(where, f"`en` has {len(en)} steps but `zh-TW` has {len(zh)}")
        return Steps(en=tuple(en), zh_tw=tuple(zh))

    def string(
        self, table: Mapping[str, Any], key: str, where: str, default: str | None = None
    ) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(where, f"`{key}` must be a string")
        return value

    def items(self, key: str) -> list[Mapping[str, Any]]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(key, "expected an array of tables")
        return value


def _load_reason(path: Path) -> Reason:
    f = _File(path)
    d = f.data
    name = f.string(d, "name", "name")
    if name != path.stem:
        raise f.fail("name", f"`{name}` does not match the file name `{path.stem}`")
    side = f.string(d, "side", "side")
    if side not in SIDES:
        raise f.fail("side", f"`{side}` is not one of {', '.join(SIDES)}")
    retry = d.get("retry")
    if not isinstance(retry, bool):
        raise f.fail("retry", "must be true or false")
    temporary = d.get("temporary")
    if temporary is not None and not isinstance(temporary, bool):
        raise f.fail("temporary", "must be true, false or left out")
    phrases = d.get("phrases", [])
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p for p in phrases):
        raise f.fail("phrases", "must be a list of non-empty strings")
    examples = []
    for i, ex in enumerate(f.items("examples"), 1):
        text = f.string(ex, "text", f"examples[{i}]")
        if not text.strip():
            raise f.fail(f"examples[{i}]", "`text` is empty")
        examples.append(Example(text=text, source=str(ex.get("source", "")), reason=name))
    return Reason(
        name=name,
        title=f.text(d.get("title"), "title"),
        summary=f.text(d.get("summary"), "summary"),
        side=side,
        retry=retry,
        temporary=temporary,
        fix=f.steps(d.get("fix"), "fix"),
        phrases=tuple(p.lower() for p in phrases),
        examples=tuple(examples),
        category=str(d.get("category", "")),
    )


def _list_codes(f: _File, items: Any, where: str) -> tuple[ListCode, ...]:
    if not isinstance(items, list):
        raise f.fail(where, "expected an array of {code, en, zh-TW}")
    out = []
    for i, item in enumerate(items, 1):
        w = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise f.fail(w, "expected a table")
        listed = item.get("listed", True)
        if not isinstance(listed, bool):
            raise f.fail(w, "`listed` must be true or false")
        out.append(ListCode(code=f.string(item, "code", w), meaning=f.text(item, w), listed=listed))
    return tuple(out)


def _load_blocklists(f: _File) -> dict[str, Blocklist]:
    lists: dict[str, Blocklist] = {}
    for i, d in enumerate(f.items("list"), 1):
        w = f"list[{i}]"
        zone = f.string(d, "zone", w).lower().rstrip(".")
        kind = f.string(d, "type", w)
        if kind not in ("ip", "domain"):
            raise f.fail(w, f"type `{kind}` must be `ip` or `domain`")
        lists[zone] = Blocklist(
            zone=zone,
            type=kind,
            operator=f.string(d, "operator", w),
            codes=_list_codes(f, d.get("codes", []), f"{w}.codes"),
            error_codes=_list_codes(f, d.get("error_codes", []), f"{w}.error_codes"),
            delist_url=f.string(d, "delist_url", w),
            default=bool(d.get("default", False)),
            description=f.text(d.get("description"), f"{w}.description"),
            access=str(d.get("access", "")),
            txt=bool(d.get("txt", True)),
            ipv6=bool(d.get("ipv6", False)),
            bitmask=bool(d.get("bitmask", False)),
        )
    return lists


def _load_texts(f: _File) -> dict[str, Text]:
    return {key: f.text(value, key) for key, value in f.data.items()}


def load_from(root: Path) -> KnowledgeBase:
    """Load and check every knowledge file under `root`."""
    reasons = {}
    for name in REASONS:
        reasons[name] = _load_reason(root / "reasons" / f"{name}.toml")
    extra = sorted(p.stem for p in (root / "reasons").glob("*.toml") if p.stem not in reasons)
    if extra:
        raise KnowledgeError(f"{root / 'reasons'}: unknown reason files: {', '.join(extra)}")

    f = _File(root / "smtp_codes.toml")
    reply_codes = {}
    for i, d in enumerate(f.items("code"), 1):
        code = f.string(d, "code", f"code[{i}]")
        examples = tuple(str(e) for e in d.get("examples", []))
        reply_codes[code] = ReplyCode(code, f.text(d.get("meaning"), f"code[{i}]"), examples)

    f = _File(root / "status_codes.toml")
    status_codes = {}
    for i, d in enumerate(f.items("status"), 1):
        code = f.string(d, "code", f"status[{i}]")
        reason = str(d.get("reason", ""))
        if reason and reason not in reasons:
            raise f.fail(f"status[{i}]", f"reason `{reason}` is not a known reason")
        status_codes[code] = StatusCode(code, f.text(d.get("meaning"), f"status[{i}]"), reason)

    f = _File(root / "providers.toml")
    provider_codes = []
    for i, d in enumerate(f.items("code"), 1):
        w = f"code[{i}]"
        reason = f.string(d, "reason", w)
        if reason not in reasons:
            raise f.fail(w, f"reason `{reason}` is not a known reason")
        provider_codes.append(
            ProviderCode(
                provider=f.string(d, "provider", w),
                marker=f.string(d, "marker", w),
                reason=reason,
                meaning=f.text(d.get("meaning"), w),
                url=str(d.get("url", "")),
            )
        )

    texts: dict[str, Text] = {}
    for path in [root / "messages.toml", *sorted((root / "texts").glob("*.toml"))]:
        for key, text in _load_texts(_File(path)).items():
            if key in texts:
                raise KnowledgeError(f"{path}: {key}: defined twice")
            texts[key] = text

    return KnowledgeBase(
        reasons=reasons,
        reply_codes=reply_codes,
        status_codes=status_codes,
        provider_codes=tuple(provider_codes),
        blocklists=_load_blocklists(_File(root / "dnsbl.toml")),
        texts=texts,
    )


@cache
def load() -> KnowledgeBase:
    """The shipped knowledge base, read once per process."""
    return load_from(ROOT)
