"""Every wording a reason file lists is read as that reason when pasted alone."""

from __future__ import annotations

from handlers.bounce.classify import by_text
from knowledge.loader import load

# reasons the report's structure decides (a success DSN, an auto-reply, a complaint), not words
STRUCTURAL = {"delivered", "vacation", "feedback"}
# seed 004 files these under "mail filtered", but alone they say no more than a refusal: spam
# verdicts ("message blocked") and unknown users ("recipient rejected") use the same words, and
# the status code or the stage decides
AMBIGUOUS = {("filtered", "message blocked"), ("filtered", "recipient rejected")}


def test_each_reason_phrase_names_its_reason() -> None:
    wrong = [
        (reason.name, phrase, by_text(phrase))
        for reason in load().reasons.values()
        if reason.name not in STRUCTURAL
        for phrase in reason.phrases
        if (reason.name, phrase) not in AMBIGUOUS and by_text(phrase) != reason.name
    ]
    assert wrong == []


def test_a_reason_file_wording_no_rule_names_is_still_recognised() -> None:
    # Chinese wordings of the reason files, which classify.toml's rules do not list
    assert by_text("邮箱满") == "mailboxfull"
    assert by_text("查無此人") == "userunknown"
    # a longer wording of a reason file refines the shorter rule phrase inside it
    assert by_text("550 网域不存在") == "hostunknown"
    assert by_text("552 系統空間不足") == "systemfull"
