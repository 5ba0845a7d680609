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
_REJECT_RE = re.compile(
    r"\breject: (rcpt|mail|data|end-of-message|connect|helo|ehlo|vrfy|etrn) from "
    r"[^\s\[]{0,253}\[[0-9a-f.:]{1,45}\](?::[0-9]{1,5})?: "
    r"([245][0-9][0-9] [^\n]{0,2000}?); from=<[^>\n]{0,320}>,? to=<(" + scan.ADDRESS + r")>",
    re.I,
)
_REJECT_STAGES = {
    "RCPT": "RCPT",
    "MAIL": "MAIL",
    "DATA": "DATA",
    "END-OF-MESSAGE": "DATA",
    "CONNECT": "CONN",
    "HELO": "HELO",
    "EHLO": "HELO",
}
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
        # a Postfix server refusing a client (smtpd, postscreen): the reply, then from= and to=
        for m in _REJECT_RE.finditer(text[:2_000_000]):
            command = _REJECT_STAGES.get(m.group(1).upper())
            reply = " ".join(m.group(2).split())
            if "postscreen[" in text[text.rfind("\n", 0, m.start()) + 1 : m.start()].lower():
                reply = f"postscreen: {reply}"  # refused the client before any mail was taken
            found.append(
                Found(
                    recipient=m.group(3),
                    diagnostic=reply,
                    action="failed" if m.group(2)[:1] == "5" else "delayed",
                    stage=command,
                )
            )
            if len(found) >= scan.MAX_RECIPIENTS:
                break
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
