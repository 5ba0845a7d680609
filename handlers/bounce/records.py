"""The records the bounce reader produces: what it found per recipient and per message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Recipient:
    """One recipient a delivery report speaks about, and why its delivery failed."""

    recipient: str | None
    reason: str | None
    reply_code: str | None
    status: str | None
    temporary: bool | None
    remote_host: str | None
    diagnostic: str
    blocklist: str | None = None
    blocked_ip: str | None = None
    action: str | None = None

    def contract_json(self) -> dict[str, Any]:
        """The fields of `mailtriage explain --json` (the scripts' contract)."""
        return {
            "recipient": self.recipient,
            "reason": self.reason,
            "reply_code": self.reply_code,
            "status": self.status,
            "temporary": self.temporary,
            "remote_host": self.remote_host,
            "diagnostic": self.diagnostic,
        }


@dataclass(frozen=True)
class BounceReport:
    """What a pasted text is: `kind` bounce/delay/delivered/vacation/feedback/not_bounce."""

    kind: str
    recipients: tuple[Recipient, ...]
    error: str | None = None


@dataclass(slots=True)
class Found:
    """A recipient as read from the text, before classification."""

    recipient: str | None
    diagnostic: str = ""
    status: str | None = None
    reply_code: str | None = None
    remote_host: str | None = None
    action: str | None = None
    stage: str | None = None
    diagnostic_type: str = ""
    hint: str | None = None  # a reason the report's structure already says (ARF, auto-reply)
    whole: bool = False  # read from a whole bounce message (not a fragment someone pasted)
