"""Pastes without mail headers: DSN fragments, NDR bodies, maillog lines and SMTP transcripts."""

from __future__ import annotations

import re

from handlers.bounce import dsn, scan
from handlers.bounce.details import complete, from_fields, informative, kind_of
from handlers.bounce.records import Found

_QUOTE_RE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)
_MAILLOG_RE = re.compile(
    r"to=<(" + scan.ADDRESS + r")>[^\n]{0,400}?(?:relay=([^\s,\[]{1,253})[^\n]{0,300}?)?"
    r"status=(bounced|deferred|sent|expired|undeliverable)\s{0,3}\(([^\n]{0,2000})\)",
    re.I,
)
# DSN fields pasted on one line: `Final-Recipient: rfc822; a@b Status: 5.1.1 Diagnostic-Code: ...`
_INLINE_FIELD_RE = re.compile(
    r"(?<=\S) (final-recipient|original-recipient|diagnostic-code|status|action|remote-mta)(?=: )",
    re.I,
)
_BRACKETED_RE = re.compile("<(" + scan.ADDRESS + ")>")
_TRANSCRIPT_RCPT_RE = re.compile(
    r"(?:>>>|>|->)\s{0,3}RCPT TO:\s{0,3}<(" + scan.ADDRESS + r")>", re.I
)


def read_paste(text: str) -> tuple[str, list[Found]]:
    """A paste without mail headers: a DSN fragment, an NDR body, maillog or transcript lines."""
    if _QUOTE_RE.search(text[:2000]):
        text = _QUOTE_RE.sub("", text)
    found: list[Found] = []
    text = _INLINE_FIELD_RE.sub(r"\n\1", text)
    if re.search(
        r"^(?:final-recipient|original-recipient|diagnostic-code|status)\s{0,3}:", text, re.I | re.M
    ):
        _fields, blocks = dsn.parse_status(text)
        found = [
            from_fields(b)
            for b in blocks
            if any(k in b for k in ("diagnostic-code", "status", *dsn.RECIPIENT_FIELDS))
        ]
    if not found:
        for m in _MAILLOG_RE.finditer(text[:2_000_000]):
            f = Found(
                recipient=m.group(1),
                diagnostic=" ".join(m.group(4).split()),
                remote_host=(m.group(2) if m.group(2) and m.group(2) != "none" else None),
            )
            f.action = {"bounced": "failed", "deferred": "delayed", "sent": "delivered"}.get(
                m.group(3).lower(), "failed"
            )
            found.append(f)
            if len(found) >= scan.MAX_RECIPIENTS:
                break
    if not found:
        section = scan.cut_original(text)
        found = scan.recipient_blocks(section, set())
        rcpt = _TRANSCRIPT_RCPT_RE.findall(section)
        general = scan.error_lines(section)
        if not found and rcpt:
            found = [Found(recipient=a) for a in dict.fromkeys(rcpt)]
        if not found:
            found = [
                Found(
                    recipient=None,
                    diagnostic=general or " ".join(section.split())[: scan.MAX_DIAGNOSTIC],
                )
            ]
        for f in found:
            if not informative(f.diagnostic):
                f.diagnostic = (f.diagnostic + " " + general).strip()
        text = section
    for f in found:
        if f.recipient is None:
            named_in = _BRACKETED_RE.search(f.diagnostic)
            f.recipient = named_in.group(1) if named_in else None
        complete(f, text)
    kind = kind_of(found)
    return ("maybe" if kind == "bounce" else kind), found
