"""Amazon SES notifications (JSON, possibly inside an SNS envelope) as recipients."""

from __future__ import annotations

import json
import re

from handlers.bounce import dsn
from handlers.bounce.details import complete
from handlers.bounce.records import Found


def read_ses(body: str) -> tuple[str, list[Found]] | None:
    """An Amazon SES notification (JSON, possibly wrapped in an SNS envelope)."""
    start = body.find("{")
    if start < 0:
        return None
    raw = body[start : body.rfind("}") + 1]
    data = None
    for candidate in (raw, re.sub(r"\n[ \t]+", "", raw)):  # as sent, then with folding undone
        try:
            data = json.loads(candidate, strict=False)
            if isinstance(data, dict) and isinstance(data.get("Message"), str):
                data = json.loads(data["Message"], strict=False)
            break
        except ValueError:
            data = None
    if not isinstance(data, dict):
        return None
    kind = str(data.get("notificationType") or data.get("eventType") or "").lower()
    found: list[Found] = []
    if kind == "bounce":
        for r in (data.get("bounce") or {}).get("bouncedRecipients") or []:
            if isinstance(r, dict):
                diag = str(r.get("diagnosticCode") or "")
                f = Found(
                    recipient=r.get("emailAddress"),
                    diagnostic=dsn.untyped(diag),
                    status=r.get("status"),
                    action=r.get("action"),
                )
                complete(f, "")
                found.append(f)
        return "bounce", found
    if kind == "complaint":
        for r in (data.get("complaint") or {}).get("complainedRecipients") or []:
            if isinstance(r, dict):
                found.append(
                    Found(recipient=r.get("emailAddress"), hint="feedback", diagnostic="abuse")
                )
        return "feedback", found
    if kind == "delivery":
        delivery = data.get("delivery") or {}
        for a in delivery.get("recipients") or []:
            f = Found(
                recipient=str(a),
                diagnostic=str(delivery.get("smtpResponse") or ""),
                action="delivered",
                status="2.0.0",
            )
            complete(f, "")
            found.append(f)
        return "delivered", found
    return None
