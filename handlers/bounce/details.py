"""What a recipient's own text says: codes, stage, remote host, and whether it says anything."""

from __future__ import annotations

from handlers.bounce import dsn, scan
from handlers.bounce.classify import by_text
from handlers.bounce.records import Found


def informative(text: str) -> bool:
    """Whether a recipient's own text says something: a reply/status code or a known phrase."""
    if len(text) <= 12:
        return False
    if scan.REPLY_RE.search(text) or scan.STATUS_RE.search(text):
        return True
    return by_text(" ".join(text.lower().split())) is not None


def from_fields(fields: dict[str, str]) -> Found:
    rcpt = ""
    for key in dsn.RECIPIENT_FIELDS:
        if fields.get(key):
            rcpt = dsn.untyped(fields[key])
            break
    m = scan.ADDRESS_RE.search(rcpt)
    status = fields.get("status", "").split("(", 1)[0].strip() or None
    if status and not scan.STATUS_RE.fullmatch(status):
        s = scan.STATUS_RE.search(status)
        status = s.group(0) if s else None
    diagnostic = fields.get("diagnostic-code", "")
    remote = dsn.untyped(fields.get("remote-mta", "")) or None
    return Found(
        recipient=m.group(0) if m else (rcpt or None),
        diagnostic=" ".join(dsn.untyped(diagnostic).split()),
        status=status,
        remote_host=remote.strip("[]").lower() if remote else None,
        action=fields.get("action", "").split("(", 1)[0].strip().lower() or None,
        diagnostic_type=dsn.diagnostic_type(diagnostic),
    )


def complete(f: Found, context: str) -> None:
    """Fill reply code, status, stage and remote host from the diagnostic (then the context)."""
    reply, status = scan.codes(f.diagnostic)
    f.reply_code = f.reply_code or reply
    generic = f.status is not None and (f.status.endswith(".0.0") or f.status[1:] == ".4.7")
    if not f.status or (generic and status and status != f.status and status[0] == f.status[0]):
        f.status = status or f.status
    f.stage = f.stage or scan.stage(f.diagnostic) or scan.stage(context[:8_000])
    if not f.remote_host:
        f.remote_host = scan.remote_host(f.diagnostic) or scan.remote_host(context[:8_000])


def kind_of(found: list[Found]) -> str:
    actions = {(f.action or "").lower() for f in found}
    statuses = {(f.status or "")[:1] for f in found}
    if found and all(
        a in ("delivered", "relayed", "expanded") or (f.status or "").startswith("2.")
        for a, f in zip(actions, found, strict=False)
    ):
        return "delivered"
    if found and (actions == {"delayed"} or (statuses == {"4"} and "failed" not in actions)):
        return "delay"
    return "bounce"
