"""Every [[examples]] entry of knowledge/reasons/*.toml is classified as the reason that owns it."""

from __future__ import annotations

import pytest

from handlers.bounce import classify_text
from knowledge.loader import load

EXAMPLES = [ex for reason in load().reasons.values() for ex in reason.examples]


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.reason}:{e.text[:40]}" for e in EXAMPLES])
def test_the_example_is_classified_as_its_reason(example: object) -> None:
    from knowledge.model import Example

    assert isinstance(example, Example)
    report = classify_text(example.text)
    assert report.recipients, report.error
    assert report.recipients[0].reason == example.reason
