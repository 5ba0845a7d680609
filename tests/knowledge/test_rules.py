"""knowledge/classify.toml loads into ordered rules, and the fast marker reading matches the loader's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.loader import REASONS, load
from knowledge.rules import RulesError, load_markers, load_rules, parse, parse_host


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


def test_every_host_file_names_suffixes_and_known_reasons() -> None:
    hosts = load_rules().hosts
    assert {h.name for h in hosts} >= {"NTT docomo", "Mimecast"}
    for h in hosts:
        assert h.hosts or h.domains, h.name
        assert all(p == p.lower() for p, _ in h.phrases), h.name


def test_a_broken_host_file_is_refused_with_its_name() -> None:
    with pytest.raises(RulesError, match=r"x\.toml: needs `hosts` or `domains`"):
        parse_host({"name": "X", "phrases": {"a": "blocked"}}, "x.toml")
    with pytest.raises(RulesError, match=r"x.toml: \[stage\]"):
        parse_host({"name": "X", "hosts": ["x.example"], "stage": {"LATER": "blocked"}}, "x.toml")
    with pytest.raises(RulesError, match="unknown keys"):
        parse_host({"name": "X", "hosts": ["x.example"], "phrase": {}}, "x.toml")


def test_host_rules_apply_by_refusing_host_else_by_recipient_domain() -> None:
    rules = parse_host(
        {"name": "X", "hosts": ["mx.example"], "domains": ["example.org"], "phrases": {"a": "b"}},
        "x.toml",
    )
    assert rules.applies("in1.MX.example.", None)
    assert not rules.applies("mx.example.net", "bob@example.org")  # a named host decides
    assert rules.applies(None, "bob@mail.example.org")
    assert not rules.applies(None, "bob@example.com")


def test_host_suffixes_match_whole_labels_and_the_host_name_alone() -> None:
    rules = parse_host({"name": "X", "hosts": ["au.com"], "phrases": {"a": "b"}}, "x.toml")
    assert rules.applies("msmx.au.com", None)
    assert rules.applies("au.com.", None)
    assert not rules.applies("mx.beau.com", None)
    assert rules.applies("msmx.au.com. (27.85.176.228, the server for the domain au.com.)", None)
    assert rules.applies("[msmx.au.com]", None)
