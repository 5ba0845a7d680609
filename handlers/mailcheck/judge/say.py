"""Words for findings: /mailcheck's texts in the user's language, and a Finding builder."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.reply import Finding, Status
from knowledge.loader import load


@dataclass(frozen=True, slots=True)
class Say:
    lang: str

    def __call__(self, key: str, **values: object) -> str:
        return load().text(f"mailcheck.{key}", self.lang, **values)

    def fix(self, key: str, **values: object) -> tuple[str, ...]:
        """Fix steps (one per line of the text `mailcheck.fix.<key>`)."""
        return tuple(s for s in self(f"fix.{key}", **values).splitlines() if s.strip())

    def finding(
        self,
        check: str,
        status: Status,
        subject: str,
        key: str,
        evidence: str = "",
        fix: str | None = None,
        **values: object,
    ) -> Finding:
        return Finding(
            check=check,
            status=status,
            subject=subject,
            evidence=evidence[:1500],
            detail=self(f"{check}.{key}", **values),
            fix=self.fix(fix, **values) if fix else (),
        )
