"""From any pasted text to what kind of report it is and the recipients it speaks about."""

from __future__ import annotations

import re

from handlers.bounce import dsn, scan
from handlers.bounce.classify import mailbox_state, match_text
from handlers.bounce.details import complete, from_fields, informative, kind_of
from handlers.bounce.mime import Part, decode_header, parse
from handlers.bounce.paste import read_paste
from handlers.bounce.records import Found
from handlers.bounce.ses import read_ses

_ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_BOUNCE_FROM_RE = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mail administrator|mailerdaemon", re.I
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|deliver(?:y|ed)? (?:status|fail|notif|report|problem|error)|"
    r"returned mail|mail delivery failed|failure notice|could not be delivered|non.?delivery|"
    r"delivery has failed|rejected|not delivered|warning: could not send|delayed mail|"
    r"delivery (?:status )?notification|mail system error|returned to sender|"
    r"退信|無法傳遞|无法投递|系統退回|系统退信",
    re.I,
)
_AUTO_REPLY_SUBJECT_RE = re.compile(
    r"^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|auto:|out of (?:the )?office|"
    r"vacation|away from|on leave|自動回覆|自动回复|不在)",
    re.I,
)
_COMPLAINT_SUBJECT_RE = re.compile(
    r"complaint about message|abuse report|^fbl|feedback report", re.I
)
_DELAY_SUBJECT_RE = re.compile(
    r"\(delay\)|delayed mail|delivery delay|warning: could not send|still undelivered", re.I
)
_MBOX_FROM_RE = re.compile(r"^From [^\n]{0,500}\n")
_FINAL_RECIPIENT_RE = re.compile(r"^final-recipient\s{0,3}:", re.I | re.M)
_DAEMON_RE = re.compile(r"mailer-daemon|mail delivery (?:system|subsystem)", re.I)


def read(text: str) -> tuple[str, list[Found]]:
    """The report's kind (bounce, delay, delivered, vacation, feedback, not_bounce) and recipients.

    `bounce` from a message means the message itself says it is a bounce (DSN, MAILER-DAEMON,
    the subject); `bounce` from a paste still needs a code or a known phrase to be believed.
    """
    text = _MBOX_FROM_RE.sub("", text, count=1) if text.startswith("From ") else text
    msg = parse(text)
    if msg is None or (
        msg.body == "" and len(msg.headers) <= 2 and "content-type" not in msg.headers
    ):
        return read_paste(text)
    if not msg.header("from") and not msg.header("subject") and not msg.header("content-type"):
        return read_paste(text)
    return read_message(msg)


def _outside_original(part: Part) -> list[Part]:
    out = [part]
    if part.content_type in _ORIGINAL_TYPES:
        return out
    for p in part.parts:
        out.extend(_outside_original(p))
    return out


def _human_text(parts: list[Part]) -> str:
    texts = [
        p.text()
        for p in parts
        if not p.parts
        and (
            p.content_type in ("text/plain", "text/html", "text")
            or p.content_type.startswith("multipart/")
        )
    ]
    if not texts:
        texts = [p.text() for p in parts if not p.parts and p.content_type.startswith("text/")]
    out = "\n\n".join(texts)
    if "<" in out and "</" in out:
        out = re.sub(r"<(?:br|p|div|tr|li)\b[^>]{0,200}>", "\n", out, flags=re.I)
        out = re.sub(r"<[^<>]{0,500}>", " ", out).replace("&nbsp;", " ").replace("&lt;", "<")
        out = out.replace("&gt;", ">").replace("&amp;", "&")
    return out


def _address_set(*values: str) -> set[str]:
    return {m.group(0).lower() for v in values for m in scan.ADDRESS_RE.finditer(v)}


def _original_headers(msg: Part) -> dict[str, str]:
    """The headers of the returned original message, wherever the bounce put them."""
    for p in msg.walk():
        if p.content_type in _ORIGINAL_TYPES:
            inner = p.parts[0] if p.parts else None
            return (
                inner.headers if inner else dsn.fields_of(p.text().lstrip("\n").split("\n\n", 1)[0])
            )
    human = _human_text(_outside_original(msg))
    rest = human[len(scan.cut_original(human)) :]
    if rest:
        body = rest.split("\n", 1)[1] if "\n" in rest else ""
        return dsn.fields_of(body.lstrip("\n").split("\n\n", 1)[0])
    return {}


def _original_header(msg: Part, name: str) -> str:
    return msg.header(name) or _original_headers(msg).get(name, "")


def _original_to(msg: Part) -> list[str]:
    to = _original_headers(msg).get("to", "")
    return [m.group(0) for m in scan.ADDRESS_RE.finditer(to)][:1]


def read_message(msg: Part) -> tuple[str, list[Found]]:
    parts = _outside_original(msg)
    subject = decode_header(msg.header("subject"))
    sender = msg.header("from")
    exclude = _address_set(sender, msg.header("to"), msg.header("return-path"))
    human = _unquoted(_human_text(parts))

    feedback = [p for p in parts if p.content_type == "message/feedback-report"]
    unsubscribe = msg.header("x-apple-unsubscribe").lower() == "true"
    if feedback or unsubscribe or _COMPLAINT_SUBJECT_RE.search(subject):
        pairs = dsn.field_list(feedback[0].text()) if feedback else []
        fields = dict(reversed(pairs))
        rcpt = " ".join(v for n, v in pairs if n in ("original-rcpt-to", "removal-recipient"))
        rcpt = rcpt or _original_header(msg, "x-hmxmroriginalrecipient")
        if unsubscribe:
            rcpt = rcpt or msg.header("to")
        addresses = list(dict.fromkeys(m.group(0).lower() for m in scan.ADDRESS_RE.finditer(rcpt)))
        addresses = addresses or [a.lower() for a in _original_to(msg)]
        kind = fields.get("feedback-type", "opt-out" if unsubscribe else "abuse")
        complaints = [Found(recipient=a, hint="feedback", diagnostic=kind) for a in addresses]
        return "feedback", complaints or [Found(recipient=None, hint="feedback", diagnostic=kind)]
    if "notificationtype" in msg.body[:5000].lower():
        ses = read_ses(msg.body)
        if ses is not None:
            return ses

    status_parts = [p for p in parts if p.content_type in _DSN_TYPES]
    found: list[Found] = []
    for p in status_parts:
        _message_fields, blocks = dsn.parse_status(p.text())
        for b in blocks:
            found.append(from_fields(b))
    if not found and _FINAL_RECIPIENT_RE.search(human):
        # delivery-status fields written into a plain-text body (no MIME report)
        _message_fields, blocks = dsn.parse_status(human)
        found = [from_fields(b) for b in blocks if any(k in b for k in dsn.RECIPIENT_FIELDS)]
    section = scan.cut_original(human)
    is_bounce = bool(found) or bool(
        _BOUNCE_FROM_RE.search(sender) or _BOUNCE_SUBJECT_RE.search(subject)
    )
    if not found and _is_auto_reply(msg, subject) and not _BOUNCE_FROM_RE.search(sender):
        who = [m.group(0) for m in scan.ADDRESS_RE.finditer(sender)][:1]
        return "vacation", [
            Found(
                recipient=(who[0] if who else None),
                hint="vacation",
                diagnostic=" ".join(f"{subject}\n{section[:2000]}".split())[: scan.MAX_DIAGNOSTIC],
            )
        ]
    if not found:
        found = scan.recipient_blocks(section, exclude) or scan.listed_recipients(section, exclude)
        if not any(informative(f.diagnostic) for f in found):
            inner = _inner_bounce(msg)
            if inner is not None:
                return read_message(inner)  # a bounce forwarded as an attachment
        failed = _address_set(msg.header("x-failed-recipients"))
        known = {(f.recipient or "").lower() for f in found}
        if failed:
            found = [f for f in found if (f.recipient or "").lower() in failed] or found
            found += [Found(recipient=a) for a in sorted(failed - known)]
        if not found and is_bounce:
            found = [Found(recipient=a) for a in _original_to(msg)] or [
                Found(recipient=a) for a in scan.addresses(section, exclude)[:1]
            ]
        if not found and is_bounce:
            found = [Found(recipient=None)]
        if not found:
            return "not_bounce", []
    elif any(not informative(f.diagnostic) for f in found):
        named = {(f.recipient or "").lower(): f for f in scan.recipient_blocks(section, exclude)}
        for f in found:
            extra = named.get((f.recipient or "").lower())
            if (
                extra is not None
                and informative(extra.diagnostic)
                and not informative(f.diagnostic)
            ):
                f.diagnostic = extra.diagnostic
    general = ""
    if any(not informative(f.diagnostic) for f in found):
        general = scan.error_lines(section) or " ".join(section.split())[: scan.MAX_DIAGNOSTIC]
    delayed = bool(_DELAY_SUBJECT_RE.search(subject))
    weak = [
        f
        for f in found
        if not f.hint
        and not getattr(match_text(" ".join(f.diagnostic.lower().split())), "strong", False)
    ]
    state = _notice_state(section, found) if weak else None
    for f in weak:
        f.hint = state
    section = section[:8_000]
    for f in found:
        f.whole = True
        if delayed and not f.action:
            f.action = "delayed"
        if not informative(f.diagnostic) and general:
            f.diagnostic = (f.diagnostic + " " + general).strip() if f.diagnostic else general
        complete(f, section)
    return (kind_of(found) if is_bounce else "maybe"), found


def _notice_state(section: str, found: list[Found]) -> str | None:
    """The mailbox state the notice before the first recipient states (`The user(s) account is
    disabled.`), when it names one in so many words."""
    low = section[:20_000].lower()
    starts = [low.find(f.recipient.lower()) for f in found if f.recipient]
    first = min((i for i in starts if i >= 0), default=-1)
    if first <= 0:
        return None
    return mailbox_state(low[max(0, first - 600) : first])


_QUOTED_LINE_RE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)


def _unquoted(text: str) -> str:
    """A bounce forwarded as quoted text (`> ` before most lines) read without the quoting."""
    head = text[:20_000]
    lines = [line for line in head.split("\n") if line.strip()]
    quoted = len(_QUOTED_LINE_RE.findall(head))
    if quoted >= 5 and quoted * 2 > len(lines):
        return _QUOTED_LINE_RE.sub("", text)
    return text


def _inner_bounce(msg: Part) -> Part | None:
    """The bounce inside a message/rfc822 part, when the outer text says nothing itself."""
    for p in msg.parts:
        inner = p.parts[0] if p.content_type == "message/rfc822" and p.parts else None
        if inner is None:
            continue
        types = {q.content_type for q in inner.walk()}
        if types & set(_DSN_TYPES) or _DAEMON_RE.search(inner.header("from")):
            return inner
    return None


def _is_auto_reply(msg: Part, subject: str) -> bool:
    auto = msg.header("auto-submitted").lower()
    if auto.startswith("auto-replied") or (
        auto.startswith("auto-generated") and _AUTO_REPLY_SUBJECT_RE.search(subject)
    ):
        return True
    if (
        msg.header("x-autoreply")
        or msg.header("x-autorespond")
        or (msg.header("x-auto-response-suppress") and _AUTO_REPLY_SUBJECT_RE.search(subject))
    ):
        return True
    if "auto_reply" in msg.header("precedence").lower():
        return True
    return bool(_AUTO_REPLY_SUBJECT_RE.search(subject))
