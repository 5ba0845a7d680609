"""Reason agreement with the labelled Sisimai corpus in ../shared (skipped without it, failing under CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.binaries import in_ci, shared_dir

# floors against regressions, a little under what is reached (97.1% and 85.5%)
FLOOR = 0.965
PASTED_FLOOR = 0.85


def corpus() -> Path:
    root = shared_dir() / "corpus" / "sisimai"
    if not (root / "labels.jsonl").exists():
        if in_ci():
            pytest.fail(f"the labelled corpus is missing at {root}")
        pytest.skip(f"no labelled corpus at {root}")
    return root


def test_reason_agreement_with_the_labels_does_not_fall() -> None:
    from tests.handlers.bounce.bounce_corpus import score

    result = score(corpus())
    assert result.agreement >= FLOOR, result.misses[:20]


def test_pasted_diagnostic_lines_agree_with_the_labels() -> None:
    from handlers.bounce import classify_text
    from tests.handlers.bounce.bounce_corpus import diagnostic_lines, labels

    root = corpus()
    total = sum(
        1
        for lb in labels(root)
        if lb.get("reason") not in (None, "feedback", "vacation", "delivered")
    )
    agree = 0
    for label, text in diagnostic_lines(root):
        got = classify_text(text).recipients
        agree += bool(got) and got[0].reason == label["reason"]
    assert agree / total >= PASTED_FLOOR, (agree, total)
