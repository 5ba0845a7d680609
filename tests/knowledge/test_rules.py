"""knowledge/classify.toml loads into ordered rules, and the fast marker reading matches the loader's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.loader import REASONS, load
from knowledge.rules import RulesError, load_markers, load_rules, parse


def test_every_rule_names_a_known_reason() -> None:
    rules = load_rules()
    assert rules.rules, "classify.toml has no rules"
    assert rules.reasons <= set(REASONS)


def test_every_regex_compiles_and_every_phrase_is_lower_case() -> None:
    for rule in load_rules().rules:
        for rx in rule.regexes:
            re.compile(rx)
        assert all(p == p.lower() for p in rule.phrases)


def test_status_keys_are_exact_codes_or_class_free_codes() -> None:
    for key in load_rules().status:
        assert re.fullmatch(r"(?:[245X])\.\d{1,3}\.\d{1,3}", key), key


def test_the_fast_marker_reading_agrees_with_the_full_loader() -> None:
    full = tuple((p.marker.lower(), p.reason) for p in load().provider_codes if p.marker.strip())
    assert load_markers() == full


def test_a_broken_rule_is_refused_with_its_place() -> None:
    with pytest.raises(RulesError, match=r"rule\[1\]"):
        parse({"rule": [{"phrases": ["x"]}]})
    with pytest.raises(RulesError, match="stage"):
        parse({"rule": [{"reason": "blocked", "stage": "LATER", "phrases": ["x"]}]})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="missing"):
        load_rules.__wrapped__(tmp_path / "nope.toml")
