"""From text to a BounceReport: limits, bad input, classification and blocklist mentions."""

from __future__ import annotations

import ipaddress
import re

from handlers.bounce import extract, scan
from handlers.bounce.classify import by_text, reason_of, temporary_of
from handlers.bounce.details import kind_of
from handlers.bounce.mime import normalize
from handlers.bounce.records import BounceReport, Found, Recipient

MAX_TEXT = 4_000_000  # characters read from one input; the rest is the original message anyway
MAX_REPORTED = 1_000

ERROR_EMPTY = "empty input"
ERROR_BINARY = "binary data, not text"
ERROR_NO_FAILURE = "no delivery failure found"

_ZONE_RE = re.compile(
    r"\b((?:[a-z0-9-]{1,63}\.){0,4}(?:spamhaus|spamcop|sorbs|barracudacentral|abuseat|uceprotect|"
    r"mailspike|surriel|spameatingmonkey|senderscore|junkemailfilter|nordspam|abusix|"
    r"spamrats|manitu|0spam|backscatterer|s5h|blocklist\.de|lashback|hostkarma|dnswl|"
    r"invaluement|rbl|dnsbl|bl)\.(?:[a-z0-9-]{1,63}\.){0,3}[a-z]{2,24})\b"
)
# operators that run blocklists and nothing else: naming one is naming the list
_LIST_OPERATOR_RE = re.compile(
    r"\b(spamhaus|spamcop|sorbs|barracuda|mailspike|uceprotect|abuseat|psbl|senderscore)\b"
)
# names that are a blocklist only when the text speaks of one
_LIST_NAME_RE = re.compile(
    r"\b(cloudmark|proofpoint|trend micro|cbl|microsoft|outlook\.com|yahoo|aol)\b"
)
_LISTED_RE = re.compile(
    r"(?:listed (?:in|at|on|by)|blocked using|blacklisted by|blocklisted by|rbl|dnsbl|"
    r"see|blocked by)\s{1,3}\(?([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,5})"
)
_IPV4_RE = re.compile(
    r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.]*\d)"
)
_BLOCK_CONTEXT = frozenset(
    {"blocked", "badreputation", "spamdetected", "requireptr", "toomanyconn", "speeding"}
)


def _blocklist(text: str) -> str | None:
    low = text.lower()
    m = _ZONE_RE.search(low)
    if m and not m.group(1).startswith(("www.", "mail.")):
        return m.group(1)
    m = _LISTED_RE.search(low)
    if m and "." in m.group(1) and not m.group(1)[0].isdigit():
        return m.group(1)
    n = _LIST_OPERATOR_RE.search(low)
    if n:
        return n.group(1)
    if any(
        w in low for w in ("blacklist", "blocklist", "block list", "black list", "rbl", "dnsbl")
    ):
        n = _LIST_NAME_RE.search(low)
        if n:
            return n.group(1)
    return None


_IP_GOOD_CONTEXT = (
    "client",
    " ip",
    "ip ",
    "ip=",
    "listed",
    "blocked",
    "query",
    "sender",
    "connecting",
    "source",
    "from [",
    "from ",
)
_IP_BAD_CONTEXT = ("giving up on", "said:", "talking to", "remote host")


def _blocked_ip(text: str) -> str | None:
    """The IP the text says was refused: the one next to `client`, `listed`, `blocked`..."""
    best: tuple[int, str] | None = None
    for m in _IPV4_RE.finditer(text[:20_000]):
        try:
            ip = ipaddress.ip_address(m.group(1))
        except ValueError:  # leading zeros (`06.10.1.2`) are not an address
            continue
        documentation = str(ip).startswith(("192.0.2.", "198.51.100.", "203.0.113."))
        if not (ip.is_global or documentation):
            continue
        before = text[max(0, m.start() - 30) : m.start()].lower()
        after = text[m.end() : m.end() + 20].lower()
        score = sum(2 for w in _IP_GOOD_CONTEXT if w in before)
        score -= sum(3 for w in _IP_BAD_CONTEXT if w in before) + (
            3 if "does not like" in after else 0
        )
        if best is None or score > best[0]:
            best = (score, str(ip))
    return best[1] if best else None


def _is_failure(f: Found) -> bool:
    if f.hint:
        return True
    if (f.status or "")[:1] in ("4", "5") or (f.reply_code or "")[:1] in ("4", "5"):
        return True
    return by_text(" ".join(f.diagnostic.lower().split()), f.stage) is not None


def recipient_of(f: Found) -> Recipient:
    reason = reason_of(f)
    blocklist = blocked_ip = None
    if reason in _BLOCK_CONTEXT or reason == "rejected":
        blocklist = _blocklist(f.diagnostic)
        if blocklist or reason in _BLOCK_CONTEXT:
            blocked_ip = _blocked_ip(f.diagnostic)
    return Recipient(
        recipient=f.recipient,
        reason=reason,
        reply_code=f.reply_code,
        status=f.status,
        temporary=temporary_of(f, reason),
        remote_host=f.remote_host,
        diagnostic=f.diagnostic,
        blocklist=blocklist,
        blocked_ip=blocked_ip,
        action=f.action,
    )


_CONTROL_RE = re.compile(r"[\x01-\x08\x0b\x10-\x1a\x1c-\x1f]")


def _binary(text: str) -> bool:
    sample = text[:4096]
    if sample.count("\x00") > len(sample) // 100:
        return True
    return len(_CONTROL_RE.findall(sample)) > len(sample) // 5 + 1


def build_report(data: str | bytes) -> BounceReport:
    try:
        if isinstance(data, bytes) and len(data) > MAX_TEXT:
            data = data[:MAX_TEXT]
        text = normalize(data)[:MAX_TEXT]
    except Exception:  # decoding garbage must still give an answer
        return BounceReport(kind="not_bounce", recipients=(), error=ERROR_BINARY)
    if not text.strip():
        return BounceReport(kind="not_bounce", recipients=(), error=ERROR_EMPTY)
    if _binary(text):
        return BounceReport(kind="not_bounce", recipients=(), error=ERROR_BINARY)
    kind, found = extract.read(text)
    if kind == "maybe":
        kind = kind_of(found) if any(_is_failure(f) for f in found) else "not_bounce"
    if kind == "not_bounce" or not found:
        return BounceReport(kind="not_bounce", recipients=(), error=ERROR_NO_FAILURE)
    return BounceReport(kind=kind, recipients=tuple(recipient_of(f) for f in found[:MAX_REPORTED]))


_FAILURE_HINT_RE = re.compile(
    r"(?:^|[\s(:<])[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3})?|[45]\.\d{1,3}\.\d{1,3}|status=(?:bounced|deferred)|"
    r"diagnostic-code:|undeliver|delivery (?:has )?failed|could not be delivered|returned mail|"
    r"mail delivery (?:system|subsystem|failed)|failure notice|退信|退回|无法投递|無法傳遞|dt:spm",
    re.I,
)


def looks_like_failure(text: str) -> bool:
    """A cheap first look: codes, DSN fields or the usual bounce wording in the first 20,000 chars."""
    head = text[:20_000]
    if not _FAILURE_HINT_RE.search(head):
        return False
    report = build_report(head)
    return report.kind in ("bounce", "delay") and bool(report.recipients)


__all__ = [
    "ERROR_BINARY",
    "ERROR_EMPTY",
    "ERROR_NO_FAILURE",
    "build_report",
    "looks_like_failure",
    "scan",
]
