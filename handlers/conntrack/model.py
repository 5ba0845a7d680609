"""The connection track: one SMTP delivery, SMTP rejection or POP3/IMAP login, as every source sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    """The step of a mail session that can fail, in the order a session runs them."""

    NONE = ""
    DNS = "dns"
    CONNECT = "connect"
    GREETING = "greeting"
    HELO = "helo"
    STARTTLS = "starttls"
    AUTH = "auth"
    MAIL_FROM = "mail_from"
    RCPT_TO = "rcpt_to"
    DATA = "data"
    END_OF_DATA = "end_of_data"
    LOGIN = "login"


class TrackStatus(StrEnum):
    SENT = "sent"
    DEFERRED = "deferred"
    BOUNCED = "bounced"
    REJECTED = "rejected"
    GREYLISTED = "greylisted"
    LOGIN_FAILED = "login_failed"
    OK = "ok"

    @property
    def failed(self) -> bool:
        """True for outcomes an admin must look at; greylisting is expected and retried."""
        return self in (
            TrackStatus.DEFERRED,
            TrackStatus.BOUNCED,
            TrackStatus.REJECTED,
            TrackStatus.LOGIN_FAILED,
        )


PROTOCOLS = ("smtp", "pop3", "imap")
DIRECTIONS = ("inbound", "outbound", "local")
JSON_FIELDS = (
    "id",
    "protocol",
    "direction",
    "time",
    "client",
    "sender",
    "recipient",
    "status",
    "failed_step",
    "reason",
    "reply_code",
    "status_code",
    "transcript",
)


@dataclass(slots=True)
class Track:
    """One connection track. `time` is seconds since the epoch; `client` is the connecting peer."""

    id: str
    protocol: str
    direction: str
    time: float
    client: str = ""
    sender: str = ""
    recipient: str = ""
    status: TrackStatus = TrackStatus.OK
    failed_step: Step = Step.NONE
    reason: str = ""
    reply_code: str = ""
    status_code: str = ""
    transcript: list[str] = field(default_factory=list)

    @property
    def user(self) -> str:
        """The account a POP3/IMAP/AUTH track is about (kept in `sender`)."""
        return self.sender

    def involves(self, address: str) -> bool:
        """Whether `address` (lower case) is this track's sender, recipient or login user."""
        if address in (self.sender.lower(), self.recipient.lower()):
            return True
        user = self.sender.lower()
        return (
            (self.protocol != "smtp" or self.status is TrackStatus.LOGIN_FAILED)
            and "@" not in user
            and bool(user)
            and address.partition("@")[0] == user
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "protocol": self.protocol,
            "direction": self.direction,
            "time": iso_time(self.time),
            "client": self.client,
            "sender": self.sender,
            "recipient": self.recipient,
            "status": str(self.status),
            "failed_step": str(self.failed_step),
            "reason": self.reason,
            "reply_code": self.reply_code,
            "status_code": self.status_code,
            "transcript": list(self.transcript),
        }

    @classmethod
    def from_json(cls, data: Any) -> Track:
        """A track from the generic API's JSON; ValueError names the first bad field."""
        if not isinstance(data, dict):
            raise ValueError("a track must be a JSON object")
        for key in ("id", "protocol", "direction", "time", "status"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ValueError(f"track field `{key}` is missing or not a string")
        if data["protocol"] not in PROTOCOLS:
            raise ValueError(f"track protocol `{data['protocol']}` is not smtp, pop3 or imap")
        if data["direction"] not in DIRECTIONS:
            raise ValueError(f"track direction `{data['direction']}` is not known")
        transcript = data.get("transcript", [])
        if not isinstance(transcript, list) or not all(isinstance(x, str) for x in transcript):
            raise ValueError("track field `transcript` must be a list of strings")
        strings = {}
        for key in ("client", "sender", "recipient", "reason", "reply_code", "status_code"):
            value = data.get(key, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ValueError(f"track field `{key}` must be a string")
            strings[key] = value
        return cls(
            id=data["id"],
            protocol=data["protocol"],
            direction=data["direction"],
            time=parse_iso_time(data["time"]),
            status=TrackStatus(data["status"]),
            failed_step=Step(data.get("failed_step") or ""),
            transcript=transcript,
            **strings,
        )


def iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso_time(text: str) -> float:
    """Seconds since the epoch from an RFC 3339 time (`Z` or an offset; no offset means UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
