"""The probe's findings in one language: texts from knowledge/texts/smtp_probe.toml, one subject."""

from __future__ import annotations

from handlers.reply import Finding, Status
from handlers.smtp_probe.transcript import Transcript
from knowledge.loader import load


class Say:
    """Texts in one language, with the finding's subject at hand."""

    def __init__(self, t: Transcript, lang: str) -> None:
        self.kb, self.lang, self.t = load(), lang, t
        where = f"[{t.address}]:{t.port}" if t.address else f":{t.port}"
        self.subject = f"{t.mx_host} {where}"

    def __call__(self, key: str, **values: object) -> str:
        return self.kb.text(key, self.lang, **values)

    def finding(
        self, status: Status, evidence: str, detail: str, *fix: str, subject: str = ""
    ) -> Finding:
        return Finding("smtp", status, subject or self.subject, evidence, detail, fix)
