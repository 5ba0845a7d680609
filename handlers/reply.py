"""The platform-neutral answer a handler returns; renderers in bot/ turn it into chat messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of one check or of a whole answer, worst last."""

    OK = "ok"
    INFO = "info"
    UNKNOWN = "unknown"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @staticmethod
    def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
        return max(statuses, key=lambda s: s.rank, default=Status.OK)


_RANK = {Status.OK: 0, Status.INFO: 1, Status.UNKNOWN: 2, Status.WARN: 3, Status.FAIL: 4}


class Kind(StrEnum):
    """What sort of answer this is: renderers treat usage and refusals as short, private notes."""

    ANSWER = "answer"
    USAGE = "usage"
    REFUSAL = "refusal"
    ERROR = "error"
    ALERT = "alert"


@dataclass(frozen=True, slots=True)
class Finding:
    """One checked fact: `check` names the test (mx, spf, dnsbl...), `evidence` what was seen."""

    check: str
    status: Status
    subject: str
    evidence: str = ""
    detail: str = ""
    fix: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": str(self.status),
            "subject": self.subject,
            "evidence": self.evidence,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Section:
    """A block of an answer. Sections with `in_thread` go to the thread under the summary."""

    heading: str
    status: Status | None = None
    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    findings: tuple[Finding, ...] = ()
    steps: tuple[str, ...] = ()
    code: str = ""
    in_thread: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole answer: summary first (what to fix first), then sections, fix steps and links."""

    title: str
    summary: str
    status: Status = Status.INFO
    sections: tuple[Section, ...] = ()
    steps: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    lang: str = "en"
    kind: Kind = Kind.ANSWER
    incident_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def main_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if not s.in_thread)

    @property
    def thread_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.in_thread)
