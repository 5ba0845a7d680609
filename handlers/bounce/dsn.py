"""RFC 3464 delivery-status fields: one dict of fields per recipient block."""

from __future__ import annotations

import re

from handlers.bounce.mime import decode_header

MAX_BLOCKS = 100_000

_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60})\s*:\s?(.*)$")
_TYPED_RE = re.compile(r"^\s*([A-Za-z0-9-]{1,20})\s*;\s*(.*)$", re.S)
RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")


def fields_of(block: str) -> dict[str, str]:
    """The `Name: value` fields of one block, continuation lines joined, names lower-case."""
    out: dict[str, str] = {}
    name = ""
    for line in block.split("\n"):
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and name:
            out[name] += " " + line.strip()
            continue
        m = _FIELD_RE.match(line)
        if not m:
            name = ""
            continue
        name = m.group(1).lower()
        if out.get(name):
            name = ""
            continue
        out[name] = m.group(2).strip()
    return out


def untyped(value: str) -> str:
    """`rfc822; a@b` -> `a@b`, `smtp; 550 ...` -> `550 ...`."""
    m = _TYPED_RE.match(value)
    return m.group(2).strip() if m else value.strip()


def diagnostic_type(value: str) -> str:
    m = _TYPED_RE.match(value)
    return m.group(1).upper() if m else ""


def parse_status(body: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The per-message fields and the list of per-recipient field sets of a DSN body."""
    text = body.replace("\n\n\n", "\n\n")
    blocks = [b for b in text.split("\n\n") if b.strip()]
    message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    for block in blocks[:MAX_BLOCKS]:
        f = fields_of(block)
        if not f:
            continue
        if any(k in f for k in RECIPIENT_FIELDS) or "status" in f or "action" in f:
            if recipients and not any(k in f for k in RECIPIENT_FIELDS):
                # a recipient block split by a stray blank line: merge it into the previous one
                for k, v in f.items():
                    recipients[-1].setdefault(k, v)
                continue
            recipients.append(f)
        else:
            for k, v in f.items():
                message.setdefault(k, v)
    for r in recipients:
        if "diagnostic-code" in r:
            r["diagnostic-code"] = decode_header(r["diagnostic-code"])
    return message, recipients
