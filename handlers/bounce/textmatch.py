"""The first of an ordered list of text rules that matches, found without testing every phrase.

A rule is (phrases, regexes, stage): it matches a text when one of its phrases occurs in the text or
one of its regexes finds something, and only at its SMTP stage when it names one. `first()` answers
exactly what testing the rules one by one in order would (`first_by_loop`, the specification), but
looks only at what can match: each phrase, and each literal that every match of a regex contains
(read from the parsed pattern), is filed under one of its four-character pieces (the rarest among
the rules), and only the files whose piece occurs in the text are opened.
The index is built at the BUILD_AFTER-th text, so a process that reads one paste does not pay for
it. What the rules mean stays with the classifier.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["BUILD_AFTER", "GRAM", "OrderedRules", "Rule", "first_by_loop", "required"]

GRAM = 4  # length of the pieces phrases are filed under
BUILD_AFTER = 8  # texts answered by the plain loop before the index is built

Rule = tuple[Iterable[str], Iterable[re.Pattern[str] | str], str]
_Compiled = tuple[tuple[str, ...], tuple[re.Pattern[str], ...], str]


def first_by_loop(rules: Sequence[Rule], text: str, stage: str | None = None) -> int | None:
    """The specification: test each rule in order, its phrases then its regexes."""
    for index, (words, patterns, rule_stage) in enumerate(rules):
        if rule_stage and rule_stage != stage:
            continue
        if any(p in text for p in words):
            return index
        if any(re.search(p, text) for p in patterns):
            return index
    return None


def required(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which occurs in every match of `pattern`; None when none can be named.

    Read from the parse of the pattern: a run of literal characters in sequence, a group, a branch
    whose every alternative names some, a repeat of at least one. Case-insensitive parts and
    anything in lookarounds name nothing.
    """
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        sre: Any = importlib.import_module("re._parser")
        return _required(sre, sre.parse(pattern.pattern, pattern.flags))
    except Exception:  # another Python's parser: run the regex on every text
        return None


def _required(sre: Any, items: Any) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        consider(frozenset(["".join(run)]) if run else None)
        run = []
        if op is sre.SUBPATTERN and not av[1] & re.IGNORECASE:
            consider(_required(sre, av[3]))
        elif op is sre.BRANCH:
            alternatives = [_required(sre, a) for a in av[1]]
            if alternatives and all(alternatives):
                consider(frozenset().union(*(a for a in alternatives if a)))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            consider(_required(sre, av[2]))
    consider(frozenset(["".join(run)]) if run else None)
    return best


def _pieces(phrase: str) -> set[str]:
    """The pieces a phrase can be filed under: its start, its end and the start of each word."""
    return {phrase[:GRAM], phrase[-GRAM:], *[w[:GRAM] for w in phrase.split(" ") if len(w) >= GRAM]}


class _Index:
    """Every phrase and regex of the rules as a test, filed under a piece that it needs."""

    def __init__(self, rules: Sequence[_Compiled]) -> None:
        # a test is (phrase, None, ()) or (None, regex, literals one of which it needs)
        tests: list[tuple[str | None, re.Pattern[str] | None, tuple[str, ...]]] = []
        owners: list[int] = []
        for rule, (words, patterns, _) in enumerate(rules):
            for word in words:
                tests.append((word, None, ()))
                owners.append(rule)
            for rx in patterns:
                tests.append((None, rx, tuple(sorted(required(rx) or ("",)))))
                owners.append(rule)
        # what each test needs: its phrase, or every literal of its regex (any one will do)
        needs = [(phrase,) if phrase is not None else lits for phrase, _, lits in tests]
        pieces = [
            [_pieces(n) for n in ns] if all(len(n) >= GRAM for n in ns) else [] for ns in needs
        ]
        counts: dict[str, int] = {}
        for per_need in pieces:
            for found in per_need:
                for piece in found:
                    counts[piece] = counts.get(piece, 0) + 1
        rarity = counts.__getitem__
        files: dict[str, list[tuple[int, int]]] = {}
        always: list[tuple[int, int]] = []  # a need shorter than a piece: tried on every text
        for seq, per_need in enumerate(pieces):
            entry = (owners[seq], seq)
            if not per_need:
                always.append(entry)
            for found in per_need:  # one file per literal: the text may hold any of them
                files.setdefault(min(found, key=rarity), []).append(entry)
        self.tests = tuple(tests)
        self.files = {piece: tuple(entries) for piece, entries in files.items()}
        self.pieces = frozenset(self.files)
        self.always = tuple(always)

    def candidates(self, text: str) -> list[tuple[int, int]]:
        """(rule, test) for every test that may pass on `text`, in rule order."""
        end = len(text) - GRAM + 1
        present = {text[i : i + GRAM] for i in range(end)} & self.pieces if end > 0 else ()
        files = self.files
        found = {entry for piece in present for entry in files[piece]}
        found.update(self.always)
        return sorted(found)


class OrderedRules:
    """Rules in order; `first(text, stage)` is the position of the first that matches, or None."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: tuple[_Compiled, ...] = tuple(
            (
                tuple(dict.fromkeys(words)),
                tuple(re.compile(p) if isinstance(p, str) else p for p in patterns),
                stage,
            )
            for words, patterns, stage in rules
        )
        self._stages = tuple(stage for _, _, stage in self._rules)
        self._index: _Index | None = None
        self._seen = 0

    def __len__(self) -> int:
        return len(self._rules)

    def first(self, text: str, stage: str | None = None) -> int | None:
        """The position of the first rule matching `text` at `stage`, None when none does."""
        index = self._index
        if index is None:
            self._seen += 1
            if self._seen < BUILD_AFTER:
                return first_by_loop(self._rules, text, stage)
            index = self._index = _Index(self._rules)
        stages = self._stages
        tests = index.tests
        for rule, seq in index.candidates(text):
            rule_stage = stages[rule]
            if rule_stage and rule_stage != stage:
                continue
            phrase, pattern, literals = tests[seq]
            if phrase is not None:
                if phrase in text:
                    return rule
            elif pattern is not None and _searches(pattern, literals, text):
                return rule
        return None


def _searches(pattern: re.Pattern[str], literals: tuple[str, ...], text: str) -> bool:
    return any(n in text for n in literals) and pattern.search(text) is not None
