"""Turns each kind of knowledge file into model records, checking its schema on the way."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
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
    Text,
)
from knowledge.toml_file import KnowledgeError, TomlFile

REASON_KEYS = (
    "name", "category", "side", "retry", "temporary", "phrases", "title", "summary", "fix",
    "examples",
)  # fmt: skip
STATUS_CODE = re.compile(r"X\.\d{1,3}(\.\d{1,3})?|[245]\.X\.X")
DNS_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
LIST_KEYS = (
    "zone", "type", "operator", "default", "ipv6", "txt", "bitmask", "access", "delist_url",
    "description", "codes", "error_codes",
)  # fmt: skip


def reason(path: Path) -> Reason:
    f = TomlFile(path)
    d = f.data
    f.only(d, REASON_KEYS, "top level")
    name = f.string(d, "name", "name")
    if name != path.stem:
        raise f.fail("name", f"`{name}` does not match the file name `{path.stem}`")
    side = f.string(d, "side", "side")
    if side not in SIDES:
        raise f.fail("side", f"`{side}` is not one of {', '.join(SIDES)}")
    if not isinstance(d.get("retry"), bool):
        raise f.fail("retry", "must be true or false")
    temporary = d.get("temporary")
    if temporary is not None and not isinstance(temporary, bool):
        raise f.fail("temporary", "must be true, false or left out")
    examples = []
    for i, ex in enumerate(f.items("examples"), 1):
        w = f"examples[{i}]"
        f.only(ex, ("text", "source"), w)
        text = f.string(ex, "text", w)
        if not text.strip():
            raise f.fail(w, "`text` is empty")
        examples.append(Example(text=text, source=f.string(ex, "source", w, ""), reason=name))
    return Reason(
        name=name,
        title=f.text(d.get("title"), "title"),
        summary=f.text(d.get("summary"), "summary"),
        side=side,
        retry=d["retry"],
        temporary=temporary,
        fix=f.steps(d.get("fix"), "fix"),
        phrases=tuple(p.lower() for p in f.strings(d, "phrases", "phrases")),
        examples=tuple(examples),
        category=f.string(d, "category", "category", ""),
    )


def reply_codes(path: Path) -> dict[str, ReplyCode]:
    f = TomlFile(path)
    f.only(f.data, ("code",), "top level")
    out: dict[str, ReplyCode] = {}
    for i, d in enumerate(f.items("code"), 1):
        w = f"code[{i}]"
        f.only(d, ("code", "meaning", "examples"), w)
        code = f.string(d, "code", w)
        if len(code) != 3 or not code.isdigit() or code[0] not in "2345":
            raise f.fail(w, f"`{code}` is not a three-digit SMTP reply code")
        if code in out:
            raise f.fail(w, f"`{code}` is defined twice")
        out[code] = ReplyCode(code, f.text(d.get("meaning"), w), f.strings(d, "examples", w))
    return out


def status_codes(path: Path, reasons: Collection[str]) -> dict[str, StatusCode]:
    f = TomlFile(path)
    f.only(f.data, ("status",), "top level")
    out: dict[str, StatusCode] = {}
    for i, d in enumerate(f.items("status"), 1):
        w = f"status[{i}]"
        f.only(d, ("code", "meaning", "reason"), w)
        code = f.string(d, "code", w)
        if not STATUS_CODE.fullmatch(code):
            raise f.fail(w, f"`{code}` is not written X.s.d, X.s or c.X.X")
        if code in out:
            raise f.fail(w, f"`{code}` is defined twice")
        reason = f.string(d, "reason", w, "")
        if reason and reason not in reasons:
            raise f.fail(w, f"reason `{reason}` is not a known reason")
        out[code] = StatusCode(code, f.text(d.get("meaning"), w), reason)
    return out


def provider_codes(path: Path, reasons: Collection[str]) -> tuple[ProviderCode, ...]:
    f = TomlFile(path)
    f.only(f.data, ("code",), "top level")
    out = []
    for i, d in enumerate(f.items("code"), 1):
        w = f"code[{i}]"
        f.only(d, ("provider", "marker", "reason", "meaning", "url"), w)
        reason = f.string(d, "reason", w)
        if reason not in reasons:
            raise f.fail(w, f"reason `{reason}` is not a known reason")
        marker = f.string(d, "marker", w)
        if not marker.strip():
            raise f.fail(w, "`marker` is empty")
        out.append(
            ProviderCode(
                provider=f.string(d, "provider", w),
                marker=marker,
                reason=reason,
                meaning=f.text(d.get("meaning"), w),
                url=f.string(d, "url", w, ""),
            )
        )
    return tuple(out)


def _list_codes(f: TomlFile, items: Any, where: str) -> tuple[ListCode, ...]:
    if not isinstance(items, list):
        raise f.fail(where, "expected an array of {code, en, zh-TW}")
    out = []
    for i, item in enumerate(items, 1):
        w = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise f.fail(w, "expected a table")
        code = f.string(item, "code", w)
        if len(code.split(".")) != 4 or not code.startswith("127."):
            raise f.fail(w, f"`{code}` is not a 127.x.y.z answer")
        meaning = f.text(item, w, extra=("code", "listed"))
        out.append(ListCode(code=code, meaning=meaning, listed=f.flag(item, "listed", w, True)))
    return tuple(out)


def blocklists(path: Path) -> dict[str, Blocklist]:
    f = TomlFile(path)
    f.only(f.data, ("list",), "top level")
    lists: dict[str, Blocklist] = {}
    for i, d in enumerate(f.items("list"), 1):
        w = f"list[{i}]"
        f.only(d, LIST_KEYS, w)
        zone = f.string(d, "zone", w).lower().rstrip(".")
        if not DNS_NAME.fullmatch(zone):
            raise f.fail(w, f"zone `{zone}` is not a DNS name")
        if zone in lists:
            raise f.fail(w, f"zone `{zone}` is listed twice")
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
            default=f.flag(d, "default", w, False),
            description=f.text(d.get("description"), f"{w}.description"),
            access=f.string(d, "access", w, ""),
            txt=f.flag(d, "txt", w, True),
            ipv6=f.flag(d, "ipv6", w, False),
            bitmask=f.flag(d, "bitmask", w, False),
        )
    return lists


def texts(paths: list[Path]) -> dict[str, Text]:
    out: dict[str, Text] = {}
    for path in paths:
        f = TomlFile(path)
        for key, value in f.data.items():
            if key in out:
                raise KnowledgeError(f"{path}: {key}: defined twice")
            out[key] = f.text(value, key)
    return out
