"""The indexed rule matcher answers exactly what testing the rules one by one in order answers."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.bounce import classify_text
from handlers.bounce.textmatch import BUILD_AFTER, GRAM, OrderedRules, Rule, first_by_loop, required
from knowledge.loader import load
from knowledge.rules import load_markers, load_reason_phrases, load_rules
from tests.lab.binaries import shared_dir

STAGES = (None, "CONN", "HELO", "MAIL", "RCPT", "DATA", "STARTTLS", "AUTH")


def shipped_rules() -> list[Rule]:
    """The classifier's order: provider codes, provider wordings, the text rules, then the reason
    files' own wordings."""
    markers = load_markers()
    codes = [((m,), (), "") for m, _ in markers if " " not in m]
    wordings = [((m,), (), "") for m, _ in markers if " " in m]
    rules: list[Rule] = [(r.phrases, r.regexes, r.stage) for r in load_rules().rules]
    phrases: list[Rule] = [((p,), (), "") for p, _ in load_reason_phrases()]
    return [*codes, *wordings, *rules, *phrases]


def _collapsed(text: str) -> str:
    return " ".join(text.lower().split())


def _shipped_texts() -> list[str]:
    """Every phrase and marker, near misses of each, and every example reply in the knowledge."""
    texts = []
    for words, _, _ in shipped_rules():
        for p in words:
            texts += [p, f"550 5.7.1 <a@b.example>: {p} (in reply to rcpt to)", p[1:], p[:-1]]
            texts.append(p.replace(" ", "  ", 1))
    for reason in load().reasons.values():
        texts += [_collapsed(e.text) for e in reason.examples]
    return texts


def _agree(
    engine: OrderedRules, rules: list[Rule], texts: list[str], stages: tuple[str | None, ...]
) -> list[str]:
    wrong = []
    for text in texts:
        for stage in stages:
            want = first_by_loop(rules, text, stage)
            if engine.first(text, stage) != want:
                wrong.append(f"{text!r} at {stage}: want rule {want}")
    return wrong


def test_the_shipped_rules_give_the_loops_answer_on_phrases_and_examples() -> None:
    rules = shipped_rules()
    engine = OrderedRules(rules)
    texts = _shipped_texts()
    assert len(texts) > 5_000
    assert _agree(engine, rules, texts, (None, "RCPT")) == []
    answered = {engine.first(t) for t in texts} - {None}
    # most rules are some text's first match (a reason file's phrase that a rule above already
    # lists never is: only its wordings no rule names can be)
    assert len(answered) > (len(rules) - len(load_reason_phrases())) // 2


def test_the_shipped_rules_give_the_loops_answer_on_the_corpus_diagnostics() -> None:
    corpus = shared_dir() / "corpus" / "sisimai" / "mail"
    texts = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        for r in classify_text(path.read_bytes()).recipients:
            texts.append(_collapsed(r.diagnostic))
    assert len(texts) > 500
    rules = shipped_rules()
    assert _agree(OrderedRules(rules), rules, texts, STAGES) == []


def test_an_early_rule_beats_a_later_one_whatever_matches_first_in_the_text() -> None:
    rules: list[Rule] = [
        (("mailbox full",), (), ""),
        (("user unknown",), (), ""),
        ((), (r"\bquota\b",), ""),
        (("unknown",), (), ""),
    ]
    engine = OrderedRules(rules)
    for _ in range(BUILD_AFTER + 1):  # before and after the index is built
        assert engine.first("user unknown, mailbox full") == 0
        assert engine.first("unknown user; over quota") == 2
        assert engine.first("unknown user") == 3
        assert engine.first("nothing to see") is None


def test_a_stage_rule_only_matches_at_its_stage() -> None:
    rules: list[Rule] = [(("rejected",), (), "MAIL"), ((), ("rej",), "CONN"), (("ected",), (), "")]
    engine = OrderedRules(rules)
    for _ in range(BUILD_AFTER + 1):
        assert engine.first("sender rejected", "MAIL") == 0
        assert engine.first("sender rejected", "CONN") == 1
        assert engine.first("sender rejected", "RCPT") == 2
        assert engine.first("sender rejected") == 2


def test_short_phrases_and_unicode_are_found() -> None:
    rules: list[Rule] = [(("不存在",), (), ""), (("dlp",), (), ""), (("a",), (), "")]
    engine = OrderedRules(rules)
    for _ in range(BUILD_AFTER + 1):
        assert engine.first("信箱不存在") == 0
        assert engine.first("blocked by dlp") == 1
        assert engine.first("abc") == 2
        assert engine.first("xyz") is None
        assert engine.first("") is None


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\baup#[a-z-]{0,8}1090\b", {"aup#"}),
        (r"\b(?:lpn|ofr)(?:[0-9]{3}[_-]|_)?630\b", {"lpn", "ofr"}),
        (r"\buser\b[^;]{0,80}?\bnot found", {"not found"}),
        (r"(?:xyz)+q", {"xyz"}),
        (r"(?:xyz)*q", {"q"}),
        (r"(?<!abc)def", {"def"}),
        (r"x(?=abcdef)", {"x"}),
        (r"(?i)mailbox", None),
        (r"a|b", None),
        (r"abc|", None),
        (r"[a-z]+", None),
    ],
)
def test_the_literals_a_regex_needs_are_read_from_its_parse(
    pattern: str, needs: set[str] | None
) -> None:
    assert required(re.compile(pattern)) == (frozenset(needs) if needs is not None else None)


# --- generated rules and texts ---------------------------------------------------------------

ALPHABET = "ab c"
PATTERNS = (
    r"ab+c",
    r"\bca\b",
    r"(?:ab|ba)c{2}",
    r"a(?=bc)",
    r"(?<!c)ba",
    r"c[ab]{2,3}a",
    r"(?:abc)?b a",
    r"(?i)AB C",
)
phrase = st.text(ALPHABET, min_size=1, max_size=GRAM + 4)
rule = st.tuples(
    st.lists(phrase, max_size=4),
    st.lists(st.sampled_from(PATTERNS), max_size=2),
    st.sampled_from(("", "", "", "RCPT", "DATA")),
)


@settings(max_examples=300, deadline=None)
@given(
    rules=st.lists(rule, min_size=1, max_size=12),
    texts=st.lists(st.text(ALPHABET, max_size=40), min_size=BUILD_AFTER, max_size=BUILD_AFTER + 6),
    stage=st.sampled_from((None, "RCPT", "DATA")),
)
def test_generated_rules_give_the_loops_answer(
    rules: list[Rule], texts: list[str], stage: str | None
) -> None:
    engine = OrderedRules(rules)
    for text in texts:
        assert engine.first(text, stage) == first_by_loop(rules, text, stage)


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), text=st.text(ALPHABET, max_size=40))
def test_a_regex_never_matches_without_a_literal_it_needs(pattern: str, text: str) -> None:
    needs = required(re.compile(pattern))
    if needs is not None and re.search(pattern, text):
        assert any(n in text for n in needs)
