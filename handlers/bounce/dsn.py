"""RFC 3464 delivery-status fields: one dict of fields per recipient block."""

from __future__ import annotations

import re

from handlers.bounce.mime import decode_header

MAX_BLOCKS = 100_000

_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60})\s*:\s?(.*)$")
_TYPED_RE = re.compile(r"^\s*([A-Za-z0-9-]{1,20})\s*;\s*(.*)$", re.S)
RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")


def field_list(block: str) -> list[tuple[str, str]]:
    """The `Name: value` fields of one block in order, continuation lines joined, names lower-case."""
    out: list[tuple[str, str]] = []
    for line in block.split("\n"):
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and out:
            name, value = out[-1]
            out[-1] = (name, value + " " + line.strip())
            continue
        m = _FIELD_RE.match(line)
        if m:
            out.append((m.group(1).lower(), m.group(2).strip()))
    return out


def fields_of(block: str) -> dict[str, str]:
    """The fields of one block as a dict (the first non-empty value of a repeated name wins)."""
    out: dict[str, str] = {}
    for name, value in field_list(block):
        if not out.get(name):
            out[name] = value
    return out


def untyped(value: str) -> str:
    """`rfc822; a@b` -> `a@b`, `smtp; 550 ...` -> `550 ...`."""
    m = _TYPED_RE.match(value)
    return m.group(2).strip() if m else value.strip()


def diagnostic_type(value: str) -> str:
    m = _TYPED_RE.match(value)
    return m.group(1).upper() if m else ""


def parse_status(body: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The per-message fields and the list of per-recipient field sets of a DSN body.

    A recipient starts at a recipient field (Final-Recipient...) that the current recipient
    already has, or at a new block that has one; blocks without one add to the previous recipient
    (a stray blank line) or, before any recipient, to the per-message fields.
    """
    message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    for block in body.split("\n\n")[:MAX_BLOCKS]:
        pairs = field_list(block)
        if not pairs:
            continue
        names = {n for n, _ in pairs}
        is_recipient = bool(names & set(RECIPIENT_FIELDS)) or "status" in names or "action" in names
        if not is_recipient:
            if not recipients:
                for k, v in pairs:
                    message.setdefault(k, v)
            continue
        current: dict[str, str] | None = None
        if recipients and not names & set(RECIPIENT_FIELDS):
            current = recipients[-1]  # a recipient block split by a stray blank line
        for name, value in pairs:
            if current is None or (name in RECIPIENT_FIELDS and current.get(name)):
                current = {}
                recipients.append(current)
                if len(recipients) >= MAX_BLOCKS:
                    break
            if not current.get(name):
                current[name] = value
    for r in recipients:
        if "diagnostic-code" in r:
            r["diagnostic-code"] = decode_header(r["diagnostic-code"])
    return message, recipients
