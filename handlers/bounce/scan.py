"""General rules for reading any NDR body: recipients, codes, stage, remote host, diagnostic text."""

from __future__ import annotations

import re

from handlers.bounce.records import Found

MAX_LINES = 5_000
MAX_RECIPIENTS = 1_000
MAX_DIAGNOSTIC = 2_000

ADDRESS = r"[A-Za-z0-9._%+!#$&'*/=?^`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){0,10}[A-Za-z0-9-]{1,63}"
ADDRESS_RE = re.compile(ADDRESS)
# a line that names a recipient first: `<a@b>:`, `  a@b`, `a@b: host ... said`, `"a@b"`
_ADDRESS_LINE_RE = re.compile(
    r"^[ \t>*-]{0,12}(?:[45][0-9][0-9][ -](?:[45]\.[0-9]{1,3}\.[0-9]{1,3} )?)?(?:(?:rcpt to|recipient address|recipient|recipients?|original-recipient|final-recipient|"
    r"address|e-?mail address|failed recipient|delivery to(?: the following recipients?)?(?: failed)?)"
    r"\s{0,3}:?[ \t]{0,3}(?:rfc822;\s{0,3})?)?[<\"'(\[]{0,2}(" + ADDRESS + r")[>\"')\]]{0,2}",
    re.I,
)
_COPY_MARK_RE = re.compile(
    r"^[ \t]{0,8}(?:[-=_*]{2,}[ \t]{0,4})?(?:"
    r"below this line is a copy of the message|this is a copy of the message|"
    r"(?:the )?original message (?:follows|headers)|-{0,3}\s{0,3}original message\s{0,3}-{2,}|"
    r"(?:a )?copy of (?:the|your) (?:original )?message|returned message|message headers follow|"
    r"unsent message (?:below|follows)|headers of the original message|"
    r"the header of the original message|original message header|"
    r"content-type: message/(?:rfc822|partial)|content-type: text/rfc822-headers)",
    re.M,
)
REPLY_RE = re.compile(
    r"(?<![\d.:/-])([245]\d\d)(?:[ -]|$)(?:\s{0,3}[#(]?([245]\.\d{1,3}\.\d{1,3})\)?)?"
)
# the positive replies RFC 5321 defines; any other 2xx number is not an SMTP answer
_SUCCESS_REPLIES = frozenset({"211", "214", "220", "221", "235", "250", "251", "252"})
STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_STAGE_RE = re.compile(
    r"(?:in reply to|after|while sending|during|command|>>>)\s{1,12}"
    r"(rcpt to|rcpt|mail from|mail|end of data|data|helo|ehlo|initial connection|connect|starttls|"
    r"auth|lhlo)\b"
)
# fixed words that name the command without "after"/"in reply to": qmail's "does not like
# recipient", Yahoo's "[RCPT_TO]" tag, X3's "rcpt host", "did not like our final data"
_STAGE_CUES = (
    ("does not like recipient", "RCPT"),
    ("[rcpt_to]", "RCPT"),
    ("rcpt host ", "RCPT"),
    ("did not like our rcpt", "RCPT"),
    ("did not like our final data", "DATA"),
)
# `>>> RCPT To:<a@b>` / `<<< 550 ...`: the last command sent before a refusal in a transcript
_TRANSCRIPT_RE = re.compile(
    r"\b(rcpt to|mail from|data|ehlo|helo)\b[^<]{0,20}(?:<[^<>]{0,320}>)?[^<]{0,20}<<<\s{0,3}[45]\d\d"
)
_COMMANDS = {"rcpt to": "RCPT", "mail from": "MAIL", "data": "DATA", "ehlo": "HELO", "helo": "HELO"}
# (keyword that must occur, pattern) on lower-case text, most telling first
_HOST_RES = (
    ("host", re.compile(r"\bhost\s{1,3}([a-z0-9._-]{1,253})\s{0,3}\[[0-9a-f.:]{2,45}\]")),
    ("talking to", re.compile(r"\bwhile talking to ([a-z0-9._-]{1,253}?)\.?:")),
    ("connect to", re.compile(r"\bconnect to ([a-z0-9._-]{1,253})\[")),
    (
        "remote-mta",
        re.compile(r"^remote-mta:\s{0,3}(?:dns;\s{0,3})?\[?([a-z0-9._:-]{1,253})", re.M),
    ),
    (
        "",
        re.compile(
            r"\b(?:connected to|connection to|mx host|remote host|server)\s{1,3}\[?([a-z0-9._-]{3,253})"
        ),
    ),
    (
        "does not like",
        re.compile(r"^([0-9]{1,3}(?:\.[0-9]{1,3}){3}) does not like recipient", re.M),
    ),
)
_SKIP_LOCAL = ("mailer-daemon", "postmaster", "abuse", "noreply", "no-reply")


_HEADER_NAMES = (
    r"(?:received|return-path|message-id|from|to|subject|date|mime-version|content-type|"
    r"x-mailer|reply-to|cc|dkim-signature|content-transfer-encoding): "
)
# three header lines in a row (continuation lines between them allowed): a copied header block
_HEADER_RUN_RE = re.compile(
    r"^"
    + _HEADER_NAMES
    + r"[^\n]{0,2000}\n(?:[ \t][^\n]{0,2000}\n){0,50}"
    + _HEADER_NAMES
    + r"[^\n]{0,2000}\n(?:[ \t][^\n]{0,2000}\n){0,50}"
    + _HEADER_NAMES,
    re.M,
)
MAX_SCAN = 500_000


def cut_original(text: str) -> str:
    """The text before the copy of the original message that most bounces append.

    The copy starts at a marker line (`--- Below this line is a copy of the message.`) or, when
    there is none, at the first three consecutive header lines (`Received: ...`, `To: ...`).
    """
    head = text[:MAX_SCAN].lower()
    cut = len(text)
    m = _COPY_MARK_RE.search(head)
    if m:
        cut = m.start()
    h = _HEADER_RUN_RE.search(head, 0, cut)
    if h:
        cut = min(cut, h.start())
    return text[:cut]


def codes(text: str) -> tuple[str | None, str | None]:
    """The first SMTP reply code and enhanced status code in `text` (either may be None)."""
    reply = status = None
    m = REPLY_RE.search(text)
    if m and m.group(1)[0] == "2":
        # a banner (`220-laposte 421 ...`) or a program's exit status (`255 ...`) before the
        # refusal: the first 4xx/5xx reply is the answer, if there is one
        failure = next((x for x in REPLY_RE.finditer(text, m.end()) if x.group(1)[0] != "2"), None)
        if failure or m.group(1) not in _SUCCESS_REPLIES:
            m = failure
    if m:
        reply = m.group(1)
        status = m.group(2)
    if status is None:
        s = STATUS_RE.search(text)
        if (s and s.group(1) != "2") or (s and reply is None) or (s and reply and reply[0] == "2"):
            status = s.group(0)
    if reply and status and reply[0] != status[0]:
        # `550 4.1.1` is a broken server; trust the reply code's class
        status = reply[0] + status[1:]
    return reply, status


def stage(text: str) -> str | None:
    """The SMTP command a rejection answered (RCPT, DATA, MAIL, HELO, CONN), when the text says."""
    low = text[:20_000].lower()
    if "but sender was rejected" in low:
        return "MAIL"  # qmail's words for a refusal of MAIL FROM
    for cue, command in _STAGE_CUES:
        if cue in low:
            return command
    found = None
    for m in _STAGE_RE.finditer(low):
        word = m.group(1)
        found = {
            "rcpt to": "RCPT",
            "rcpt": "RCPT",
            "mail from": "MAIL",
            "mail": "MAIL",
            "end of data": "DATA",
            "data": "DATA",
            "helo": "HELO",
            "ehlo": "HELO",
            "lhlo": "HELO",
            "connect": "CONN",
            "initial connection": "CONN",
            "starttls": "STARTTLS",
            "auth": "AUTH",
        }[word]
    if found is None and "<<<" in low:
        t = _TRANSCRIPT_RE.search(low)
        if t:  # a pasted transcript without its `>>>`: the command just before the refusal
            found = _COMMANDS[t.group(1)]
    return found


def remote_host(text: str) -> str | None:
    """The host that refused, when the text names one (`host mx.example[192.0.2.1] said`)."""
    low = text[:20_000].lower()
    for keyword, pattern in _HOST_RES:
        if keyword not in low:
            continue
        for m in pattern.finditer(low):
            host = m.group(1).rstrip(".]")
            if "." in host or ":" in host:
                return host
    return None


def _is_noise(address: str, exclude: set[str]) -> bool:
    a = address.lower()
    return a in exclude or a.split("@", 1)[0] in _SKIP_LOCAL


_STATUS_LINE_RE = re.compile(r"[45][0-9][0-9] \S")
_GENERIC_SENDMAIL_RE = re.compile(r"\.\.\. remote protocol error\b", re.I)


def _command_name(sent: str) -> str:
    """`MAIL From:<a@b>` -> `MAIL FROM`, `RCPT To:<a@b>` -> `RCPT TO`, `DATA` -> `DATA`."""
    words = sent.split(":", 1)[0].split()[:2]
    return " ".join(words).upper() or "the last"


def recipient_blocks(section: str, exclude: set[str]) -> list[Found]:
    """Recipients named at the start of a line, each with the text that follows it."""
    found: list[Found] = []
    current: Found | None = None
    lines: list[str] = []
    blank = False
    status_line = False  # the block began with a sendmail status line (`554 <a@b>... text`)
    sent = answer = ""  # the transcript's last `>>> command` and its `<<< reply`

    def close() -> None:
        if current is not None:
            current.diagnostic = _clean(" ".join(lines), current.recipient)

    for line in section.split("\n", MAX_LINES)[:MAX_LINES]:
        stripped = line.strip()
        if not stripped:
            blank = True
            continue
        if stripped.startswith(">>>"):
            sent, answer = stripped[3:].strip(), ""
        elif stripped.startswith("<<<"):
            answer = stripped[3:].strip()
        elif stripped.lower().startswith("while talking to"):
            sent = answer = ""
        m = _ADDRESS_LINE_RE.match(line)
        address = m.group(1) if m else None
        if address and not _is_noise(address, exclude):
            if current is not None and address.lower() == (current.recipient or "").lower():
                lines.append(stripped)
                blank = False
                continue
            close()
            if len(found) >= MAX_RECIPIENTS:
                break
            current = Found(recipient=address)
            found.append(current)
            lines = [stripped]
            status_line = bool(_STATUS_LINE_RE.match(stripped))
            if status_line and answer and _GENERIC_SENDMAIL_RE.search(stripped):
                # sendmail's "Remote protocol error": the real answer is the transcript's reply
                lines = [f"{answer} (in reply to {_command_name(sent)} command)"]
            blank = False
            continue
        if (
            current is not None
            and status_line
            and (
                _STATUS_LINE_RE.match(stripped)
                or stripped.lower().startswith(("while talking to", ">>>", "<<<"))
            )
        ):
            close()  # the next status line is about another delivery
            current = None
            lines = []
        if current is not None:
            if blank and not line[:1].isspace() and not stripped.startswith("("):
                close()
                current = None
                lines = []
            else:
                lines.append(stripped)
        blank = False
    close()
    merged: dict[str, Found] = {}
    for f in found:
        key = (f.recipient or "").lower()
        if key in merged:
            if f.diagnostic and f.diagnostic not in merged[key].diagnostic:
                merged[key].diagnostic = _clean(merged[key].diagnostic + " " + f.diagnostic, None)
        else:
            merged[key] = f
    return list(merged.values())


_LISTED_RE = re.compile(
    r"(?:recipients?|address(?:es)?|addressee|delivered to)\b[^\n:]{0,60}:[ \t]{0,3}<?("
    + ADDRESS
    + r")>?",
    re.I,
)


def listed_recipients(section: str, exclude: set[str]) -> list[Found]:
    """Recipients named mid-line after a label (`The following recipients failed: a@b.`)."""
    found: list[Found] = []
    for m in _LISTED_RE.finditer(section[:MAX_SCAN]):
        address = m.group(1).rstrip(".")
        if _is_noise(address, exclude) or any(f.recipient == address for f in found):
            continue
        line_end = section.find("\n", m.end())
        rest = section[m.end() : line_end if line_end >= 0 else len(section)]
        found.append(Found(recipient=address, diagnostic=_clean(rest, None)))
        if len(found) >= MAX_RECIPIENTS:
            break
    return found


def _clean(text: str, address: str | None) -> str:
    text = " ".join(text.split())
    if address:
        text = text.lstrip("*-#>= ")
    if address:
        for prefix in (f"<{address}>:", f"<{address}>", f"{address}:", address):
            if text.lower().startswith(prefix.lower()):
                text = text[len(prefix) :].strip()
                break
    return text[:MAX_DIAGNOSTIC]


_ERROR_LINE_RE = re.compile(
    r"(?:^|\s)[45]\d\d[ -]|[45]\.\d{1,3}\.\d{1,3}|<<<|said:|error|fail|reject|denied|refused|"
    r"unknown|invalid|not found|no such|does not exist|disabled|blocked|quota|full|timeout|"
    r"timed out|expired|too many|too large|exceed|unavailable|unrouteable|spam|virus|policy|"
    r"delay|not listed|not delivered|undeliverable|could not|couldn't|unable|permanent|retry|"
    r"找不到|不存在|已满|已滿|拒绝|拒絕|退信",
)


def error_lines(section: str) -> str:
    """The lines of a bounce body that carry the error, joined (boilerplate left out)."""
    lines = section[:200_000].split("\n", MAX_LINES)[:MAX_LINES]
    lowered = section[:200_000].lower().split("\n", MAX_LINES)[:MAX_LINES]
    keep = [
        line.strip()
        for line, low in zip(lines, lowered, strict=False)
        if low.strip() and _ERROR_LINE_RE.search(low)
    ]
    return _clean(" ".join(keep), None)


def addresses(text: str, exclude: set[str]) -> list[str]:
    out: list[str] = []
    for m in ADDRESS_RE.finditer(text[:200_000]):
        a = m.group(0).strip(".")
        if not _is_noise(a, exclude) and a.lower() not in (x.lower() for x in out):
            out.append(a)
            if len(out) >= MAX_RECIPIENTS:
                break
    return out
