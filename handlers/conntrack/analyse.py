"""Finds the step that failed in a session transcript or in mail log lines (pure, no I/O).

Reads both the appliance transcripts admins paste (`16:54:15: < RCPT TO:<a@b>` / `> 550 5.1.1 ...`,
where the arrows point either way depending on the vendor) and Postfix/Dovecot log lines (debug
transcripts `> host[ip]:25: EHLO x`, delivery lines `status=deferred (... (in reply to RCPT TO
command))`, `NOQUEUE: reject: RCPT from ...`, `Name service error ...`, Dovecot `auth failed`).
Arrows are not trusted: a line is a reply when it starts with a reply code (`550 `, `+OK`, `-ERR`,
`a1 NO`), else a command when it starts with a command verb. Greylisting is recognised as expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.conntrack.model import Step

_SYSLOG = re.compile(
    r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) "
    r"(?:[^\s:\[]+ )?[^\s:\[]+(?:\[\d+\])?: (?:(?:Info|Warning|Error|Fatal|Panic|Debug): )?"
)
_CLOCK = re.compile(r"^\d\d:\d\d:\d\d:?\s+")
_ARROW = re.compile(r"^[<>]\s*")
_PEER = re.compile(r"^[^\s\[\]]*\[[0-9A-Fa-f:.]+\](?::\d+)?:\s*")
_QID = re.compile(r"^[0-9A-Za-z]{5,20}: ")
_REPLY = re.compile(r"^([2-5]\d\d)([ -]|$)(?:([245]\.\d{1,3}\.\d{1,3})\b)?")
_EMBEDDED_CLOCK = re.compile(r"\s+(?=\d\d:\d\d:\d\d: )")
GREYLIST = re.compile(r"gr[ae]y[ -]?list|come back later", re.I)
_SAID = re.compile(
    r"said: (([2-5]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?.*?)(?: \(in reply to |$)"
)
_IN_REPLY = re.compile(r"\(in reply to (.+?) command\)")
_DSN = re.compile(r"\bdsn=([245]\.\d{1,3}\.\d{1,3})")
_STATUS_TEXT = re.compile(r"status=\w+ \((.*)\)\s*$")
_REJECT = re.compile(
    r"\breject: ([A-Z-]+) from [^:]*?(?::\d+)?: "
    r"((?:([2-5]\d\d) )?(?:([245]\.\d+\.\d+) )?.*?)(?:; from=<|$)"
)
_WHILE = re.compile(r"while (?:receiving|sending) (?:the )?(\w[\w ]*?)(?:\)|$|,| command)")

_COMMANDS = (
    ("EHLO", Step.HELO),
    ("HELO", Step.HELO),
    ("LHLO", Step.HELO),
    ("STARTTLS", Step.STARTTLS),
    ("AUTH", Step.AUTH),
    ("MAIL FROM", Step.MAIL_FROM),
    ("RCPT TO", Step.RCPT_TO),
    ("DATA", Step.DATA),
    ("BDAT", Step.END_OF_DATA),
    ("USER ", Step.LOGIN),
    ("PASS ", Step.LOGIN),
    ("APOP ", Step.LOGIN),
)
_IGNORED = ("RSET", "QUIT", "NOOP", "XFORWARD", "XCLIENT", "VRFY", "ETRN", "CAPA", "STAT")
_STEP_NAMES = {
    "helo": Step.HELO,
    "ehlo": Step.HELO,
    "lhlo": Step.HELO,
    "starttls": Step.STARTTLS,
    "auth": Step.AUTH,
    "mail from": Step.MAIL_FROM,
    "mail": Step.MAIL_FROM,
    "rcpt to": Step.RCPT_TO,
    "rcpt": Step.RCPT_TO,
    "data": Step.DATA,
    "bdat": Step.END_OF_DATA,
    "end of data": Step.END_OF_DATA,
    "end-of-message": Step.END_OF_DATA,
    "message body": Step.END_OF_DATA,
    "initial server greeting": Step.GREETING,
    "initial smtp greeting": Step.GREETING,
    "connect": Step.CONNECT,
}
_LOGIN_FAILURES = (
    "auth failed",
    "password mismatch",
    "authentication failed",
    "authenticationfailed",
    "unknown user",
)
_CONNECT_FAILURES = (
    "connection refused",
    "connection timed out",
    "no route to host",
    "network is unreachable",
)
_TLS_FAILURES = ("tls is required", "cannot start tls", "tls handshake", "ssl_connect error")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Where a session failed: the step, the reply line that said so, its codes, and greylisting."""

    failed_step: Step = Step.NONE
    reply: str = ""
    reply_code: str = ""
    status_code: str = ""
    greylisted: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.reply) or self.failed_step is not Step.NONE

    @property
    def permanent(self) -> bool:
        return self.reply_code.startswith("5") or self.status_code.startswith("5")


def split_transcript(text: str) -> list[str]:
    """Lines of a pasted transcript; `16:54:15: ...` runs pasted onto one line are split apart."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(p for p in _EMBEDDED_CLOCK.split(line.strip()) if p.strip())
    return out


def payload(line: str) -> str:
    """A line without its syslog header, clock, arrow, peer and queue id."""
    text = line.strip()
    m = _SYSLOG.match(text)
    if m:
        text = text[m.end() :]
    text = _CLOCK.sub("", text, count=1)
    text = _ARROW.sub("", text, count=1)
    text = _PEER.sub("", text, count=1)
    return _QID.sub("", text, count=1)


def command_step(text: str) -> Step | None:
    """The step a client command starts; None when the text is not a command we track."""
    upper = text[:16].upper()
    if upper == "." or text.strip() == ".":
        return Step.END_OF_DATA
    for verb, step in _COMMANDS:
        if upper.startswith(verb):
            return step
    parts = upper.split(None, 2)
    if len(parts) >= 2 and parts[1] in ("LOGIN", "AUTHENTICATE"):
        return Step.LOGIN
    return None


def _is_ignored_command(text: str) -> bool:
    return text[:8].upper().startswith(_IGNORED)


class _Reader:
    """Walks lines in order, pairing replies with the commands they answer (pipelining aware)."""

    def __init__(self) -> None:
        self.pending: list[Step | None] = []
        self.last: Step | None = None
        self.seen_reply = False
        self.continued: list[str] = []
        self.session: Verdict | None = None
        self.log: Verdict | None = None

    def feed(self, line: str) -> None:
        text = payload(line)
        if not text:
            return
        if self.log is None:
            self.log = log_verdict(text)
        if self.session is None:
            self.session = self._session_line(text)

    def _answers(self) -> Step:
        if self.pending:
            step = self.pending.pop(0)
            return step if step is not None else Step.NONE
        if not self.seen_reply:
            return Step.GREETING
        return self.last or Step.NONE

    def _session_line(self, text: str) -> Verdict | None:
        m = _REPLY.match(text)
        if m:
            if m.group(2) == "-":
                self.continued.append(text)
                return None
            step = self._answers()
            self.seen_reply = True
            reply = " ".join([*(c[4:] for c in self.continued), text]) if self.continued else text
            self.continued = []
            if m.group(1) < "400" or (step is Step.NONE and self.pending == []):
                return None
            return Verdict(step, reply, m.group(1), m.group(3) or "", bool(GREYLIST.search(reply)))
        if text.startswith(("+OK", "* OK")):
            self._answers()
            self.seen_reply = True
            return None
        if text.startswith("-ERR") or _tagged_failure(text):
            answered = self._answers()
            self.seen_reply = True
            return Verdict(answered or Step.LOGIN, text)
        command = command_step(text)
        if command is not None:
            self.pending.append(command)
            self.last = command
        elif _is_ignored_command(text):
            self.pending.append(None)
        return None


def _tagged_failure(text: str) -> bool:
    parts = text.split(None, 2)
    return len(parts) >= 2 and parts[0] != "*" and parts[1] in ("NO", "BAD")


def _said(text: str) -> tuple[str, str, str]:
    m = _SAID.search(text)
    if m:
        return m.group(1), m.group(2), m.group(3) or ""
    return "", "", ""


def log_verdict(text: str) -> Verdict | None:
    """The failure one log payload reports (delivery status, reject, DNS, connect, login), if any."""
    lower = text.lower()
    if "status=sent" in lower or lower.startswith(("login: ", "connect from", "disconnect from")):
        return None
    dsn = _DSN.search(text)
    status_code = dsn.group(1) if dsn else ""
    m = _REJECT.search(text)
    if m:
        step = _STEP_NAMES.get(m.group(1).lower(), Step.RCPT_TO)
        reply = m.group(2).strip()
        code = m.group(3) or ""
        return Verdict(step, reply, code, m.group(4) or "", bool(GREYLIST.search(reply)))
    m = _STATUS_TEXT.search(text)
    reason = m.group(1) if m else text
    if not m and not any(k in lower for k in ("name service error", "connect to ", "sasl", "tls")):
        if any(k in lower for k in _LOGIN_FAILURES):
            return Verdict(Step.LOGIN, text)
        return None
    said, code, said_status = _said(reason)
    status_code = said_status or status_code
    reply = said or reason
    grey = bool(GREYLIST.search(reply)) and (code.startswith("4") or status_code.startswith("4"))
    step = _reason_step(reason.lower())
    if step is Step.NONE and not m:
        return None
    return Verdict(step, reply, code, status_code, grey)


def _reason_step(lower: str) -> Step:
    m = _IN_REPLY.search(lower)
    if m:
        return _STEP_NAMES.get(m.group(1).strip(), Step.NONE)
    if "name service error" in lower or "host or domain name not found" in lower:
        return Step.DNS
    if "sasl" in lower and ("fail" in lower or "authentication" in lower):
        return Step.AUTH
    if any(k in lower for k in _TLS_FAILURES):
        return Step.STARTTLS
    m = _WHILE.search(lower)
    if m:
        return _STEP_NAMES.get(m.group(1).strip(), Step.NONE)
    if "connect to " in lower and any(k in lower for k in _CONNECT_FAILURES):
        return Step.CONNECT
    return Step.NONE


def analyse(lines: Iterable[str]) -> Verdict:
    """The first failure in a session: a log line's own statement wins over reply pairing."""
    reader = _Reader()
    for line in lines:
        reader.feed(line)
    log, session = reader.log, reader.session
    if log is not None and log.failed_step is not Step.NONE:
        if session is not None and session.failed_step is log.failed_step and not log.reply_code:
            return session
        return log
    if session is not None:
        return session
    return log or Verdict()


def analyse_text(text: str) -> Verdict:
    """Analyse a pasted transcript (one or several lines)."""
    return analyse(split_transcript(text))
