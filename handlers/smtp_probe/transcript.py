"""What one SMTP probe saw, step by step: the facts `session` gathers and `judge` reads."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Answer:
    """One server reply: its code and its text (lines joined with newlines)."""

    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.text}".replace("\n", " / ")

    @property
    def enhanced(self) -> str:
        """The RFC 3463 status at the start of the text (`5.1.1`), or ''."""
        first = self.text.split(maxsplit=1)[0] if self.text.strip() else ""
        parts = first.split(".")
        ok = len(parts) == 3 and all(p.isdigit() for p in parts) and parts[0] in "245"
        return first if ok else ""


@dataclass(frozen=True, slots=True)
class Certificate:
    """The server's TLS facts. `error` is OpenSSL's reason when the chain or name did not verify."""

    version: str
    verified: bool
    error: str = ""
    error_code: int = 0
    subject: str = ""
    issuer: str = ""
    names: tuple[str, ...] = ()
    not_after: float | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """A TCP connection that failed: `kind` is refused, timeout, unreachable or closed."""

    address: str
    kind: str
    error: str = ""


@dataclass(slots=True)
class Transcript:
    """Filled in as the session goes, so a probe cut short still tells what it saw."""

    mx_host: str
    port: int
    timeout: float
    rcpt: str | None = None
    refused: list[tuple[str, str]] = field(default_factory=list)
    failed: list[Attempt] = field(default_factory=list)
    address: str | None = None
    banner: Answer | None = None
    banner_seconds: float | None = None
    banner_timeout: bool = False
    ehlo: Answer | None = None
    helo_only: bool = False
    extensions: dict[str, str] = field(default_factory=dict)
    starttls_offered: bool = False
    tls: Certificate | None = None
    tls_error: str = ""
    mail: Answer | None = None
    rcpt_answer: Answer | None = None
    rcpt_not_ascii: bool = False
    decoy: str | None = None
    decoy_answer: Answer | None = None
    stage: str = "connect"
    aborted: str = ""
