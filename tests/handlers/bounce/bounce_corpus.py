"""Scoring the classifier against the labelled Sisimai corpus (shared by the test and the benchmark)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from handlers.bounce import BounceReport, classify_text


@dataclass
class Score:
    rows: int = 0
    agree: int = 0
    misses: list[tuple[str, int, str | None, str | None]] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.agree / self.rows if self.rows else 0.0


def labels(root: Path) -> list[dict[str, object]]:
    with (root / "labels.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def predicted(report: BounceReport, label: dict[str, object]) -> str | None:
    """Our reason for the labelled row: matched by recipient address, else by index."""
    rcpt = str(label.get("recipient") or "").lower()
    for r in report.recipients:
        if rcpt and (r.recipient or "").lower() == rcpt:
            return r.reason
    index = int(str(label.get("index") or 0))
    if 1 <= index <= len(report.recipients):
        return report.recipients[index - 1].reason
    return None


def score(
    root: Path,
    classify: Callable[[bytes], BounceReport] = classify_text,
    rows: Iterable[dict[str, object]] | None = None,
) -> Score:
    """Agreement of `classify` with every labelled row (rows labelled `null` want no failure)."""
    result = Score()
    cache: dict[str, BounceReport] = {}
    for label in rows if rows is not None else labels(root):
        name = str(label["file"])
        if name not in cache:
            cache[name] = classify((root / "mail" / name).read_bytes())
        got = predicted(cache[name], label)
        want = label.get("reason")
        result.rows += 1
        if got == want:
            result.agree += 1
        else:
            result.misses.append((name, int(str(label.get("index") or 0)), str(want), got))
    return result


def diagnostic_lines(root: Path) -> list[tuple[dict[str, object], str]]:
    """Each labelled failure's diagnostic text alone, as a user would paste it."""
    out = []
    for label in labels(root):
        if label.get("reason") in (None, "feedback", "vacation", "delivered"):
            continue
        report = classify_text((root / "mail" / str(label["file"])).read_bytes())
        rcpt = str(label.get("recipient") or "").lower()
        for r in report.recipients:
            if (r.recipient or "").lower() == rcpt and r.diagnostic.strip():
                out.append((label, r.diagnostic))
                break
    return out
