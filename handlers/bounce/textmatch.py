"""The first of an ordered list of text rules that matches, found without testing every phrase.

A rule is (phrases, regexes, stage): it matches a text when one of its phrases occurs in the text or
one of its regexes finds something, and only at its SMTP stage when it names one. `first()` answers
exactly what testing the rules one by one in order would (`first_by_loop`, the specification), but
looks only at what can match: each phrase is filed under one of its four-character pieces (the
rarest among the rules) and only the files whose piece occurs in the text are opened; a regex is
run only when a literal that every match of it contains (read from the parsed pattern) occurs.
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
    """Phrases filed by piece, and each regex with the literals it needs."""

    def __init__(self, rules: Sequence[_Compiled]) -> None:
        phrases = [(i, p) for i, (words, _, _) in enumerate(rules) for p in words]
        self.regexes = tuple(
            (i, rx, tuple(sorted(required(rx) or ("",))))
            for i, (_, patterns, _) in enumerate(rules)
            for rx in patterns
        )
        pieces = [_pieces(p) if len(p) >= GRAM else set() for _, p in phrases]
        counts: dict[str, int] = {}
        for found in pieces:
            for piece in found:
                counts[piece] = counts.get(piece, 0) + 1
        rarity = counts.__getitem__
        files: dict[str, list[tuple[int, str]]] = {}
        short: list[tuple[int, str]] = []  # shorter than a piece: tested on every text
        for entry, found in zip(phrases, pieces, strict=True):
            if found:
                files.setdefault(min(found, key=rarity), []).append(entry)
            else:
                short.append(entry)
        self.files = {piece: tuple(entries) for piece, entries in files.items()}
        self.pieces = frozenset(self.files)
        self.short = tuple(short)

    def candidates(self, text: str) -> list[tuple[int, str]]:
        """(rule, phrase) for every phrase that may occur in `text`, in rule order."""
        end = len(text) - GRAM + 1
        present = {text[i : i + GRAM] for i in range(end)} & self.pieces if end > 0 else ()
        files = self.files
        found = [entry for piece in present for entry in files[piece]]
        found += self.short
        found.sort()
        return found


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
        regexes = index.regexes
        pending = 0  # the regexes of rules before a candidate phrase are tested before it
        for rule, phrase in index.candidates(text):
            while pending < len(regexes) and regexes[pending][0] < rule:
                if self._regex_matches(regexes[pending], text, stage):
                    return regexes[pending][0]
                pending += 1
            rule_stage = stages[rule]
            if (not rule_stage or rule_stage == stage) and phrase in text:
                return rule
        for entry in regexes[pending:]:
            if self._regex_matches(entry, text, stage):
                return entry[0]
        return None

    def _regex_matches(
        self, entry: tuple[int, re.Pattern[str], tuple[str, ...]], text: str, stage: str | None
    ) -> bool:
        rule, pattern, needs = entry
        rule_stage = self._stages[rule]
        if rule_stage and rule_stage != stage:
            return False
        return any(n in text for n in needs) and pattern.search(text) is not None
