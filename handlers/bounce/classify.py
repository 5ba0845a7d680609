"""Diagnostic text + reply code + status code + SMTP stage -> a reason of the knowledge base."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from handlers.bounce.records import Found
from handlers.bounce.textmatch import OrderedRules
from knowledge.rules import (
    ClassifyRules,
    load_markers,
    load_reason_phrases,
    load_refinements,
    load_rules,
)

# reasons a status code names so precisely that a vaguer phrase must not override them
PRECISE_STATUS = frozenset(
    {"userunknown", "mailboxfull", "mesgtoobig", "hostunknown", "exceedlimit", "hasmoved"}
)
# phrase reasons that only describe how a refusal was said, not why
VAGUE_TEXT = frozenset({"systemerror", "networkerror", "expired", "filtered", "onhold"})
# reasons that cannot be right for a refusal at MAIL FROM / at connection time
_NOT_SENDER = frozenset({None, "userunknown", "hostunknown", "filtered", "onhold", "blocked"})
_NOT_CLIENT = frozenset(
    {
        None,
        "userunknown",
        "filtered",
        "onhold",
        "systemerror",
        "mailboxfull",
        "speeding",
        "rejected",
    }
)
# no mailbox has been named at connection time: these reasons are impossible there
_NO_MAILBOX_YET = frozenset({"userunknown", "mailboxfull", "filtered"})
_SIZE = frozenset({"mesgtoobig", "exceedlimit"})
# a local delivery program's failure is a mailer error, unless it says the mailbox is full
_STORE_FULL = frozenset({"mailboxfull", "mesgtoobig"})
BEFORE_DATA = frozenset({"CONN", "HELO", "MAIL", "RCPT"})


CompiledRule = tuple[str, tuple[str, ...], tuple[re.Pattern[str], ...], str, bool, bool, bool]


class Match(NamedTuple):
    """What the text rules say: the reason, whether it beats a status code, whether a directory said it."""

    reason: str
    strong: bool
    directory: bool = False
    provider: bool = False  # a provider's own code or wording: no status or stage overrides it


@cache
def _compiled() -> tuple[CompiledRule, ...]:
    return tuple(
        (
            r.reason,
            r.phrases,
            tuple(re.compile(x) for x in r.regexes),
            r.stage,
            r.strong,
            r.directory,
            r.final,
        )
        for r in load_rules().rules
    )


def match_text(text: str, stage: str | None = None) -> Match | None:
    """The first rule matching `text` (lower-case, collapsed): its reason and whether it is strong."""
    if not text:
        return None
    return _match_cached(text, stage if _has_stage_rules() else None)


@cache
def _has_stage_rules() -> bool:
    return any(r.stage for r in load_rules().rules)


@lru_cache(maxsize=4096)
def _match_cached(text: str, stage: str | None) -> Match | None:
    return _match(text, stage)


def _match(text: str, stage: str | None) -> Match | None:
    """The first rule, in order, that matches: provider codes, provider wordings, classify.toml's
    rules, the reason files' own wordings (an indexed search, same answer as trying each)."""
    engine, answers = _engine()
    index = engine.first(text, stage)
    if index is None:
        return None
    found = answers[index]
    if isinstance(found, Match):
        return found
    reason, words, strong, directory, final = found
    if not final:
        for p in words:  # the phrase that matched, as the loop would have found it first
            if p in text:
                refined = _refinement(p, reason, text)
                if refined is not None:
                    return Match(refined, strong)
                break
    return Match(reason, strong or final, directory or final, final)


_RuleAnswer = tuple[str, tuple[str, ...], bool, bool, bool]
# what a bounce's opening notice may say of the mailbox itself (`The user(s) account is disabled.`)
MAILBOX_STATES = frozenset({"suspend", "mailboxfull", "hasmoved"})


def mailbox_state(text: str) -> str | None:
    """The mailbox state (suspend, mailboxfull, hasmoved) a strong rule finds in `text`."""
    engine, reasons = _state_engine()
    index = engine.first(" ".join(text.lower().split()))
    return None if index is None else reasons[index]


@cache
def _state_engine() -> tuple[OrderedRules, tuple[str, ...]]:
    picked = [r for r in _compiled() if r[0] in MAILBOX_STATES and (r[4] or r[6])]
    engine = OrderedRules([(words, regexes, "") for _, words, regexes, *_ in picked])
    return engine, tuple(r[0] for r in picked)


@cache
def _engine() -> tuple[OrderedRules, tuple[Match | _RuleAnswer, ...]]:
    codes, wordings = _markers()
    rules: list[tuple[tuple[str, ...], tuple[re.Pattern[str], ...], str]] = []
    answers: list[Match | _RuleAnswer] = []
    for marker, reason in codes:  # a provider's own code (`?p=NoSuchUser`, `TSS04`)
        rules.append(((marker,), (), ""))
        answers.append(Match(reason, True, True, True))
    for marker, reason in wordings:  # a provider's own wording: beats the general rules, but the
        rules.append(((marker,), (), ""))  # stage it was given at still counts
        answers.append(Match(reason, True, True, False))
    for reason, words, regexes, rule_stage, strong, directory, final in _compiled():
        rules.append((words, regexes, rule_stage))
        answers.append((reason, words, strong, directory, final))
    for phrase, reason in load_reason_phrases():  # a reason file's wording no rule above names
        rules.append(((phrase,), (), ""))
        answers.append(Match(reason, False))
    return OrderedRules(rules), tuple(answers)


def _refinement(matched: str, reason: str, text: str) -> str | None:
    """A longer wording of a reason file that contains the matched phrase and names another reason
    (`网域不存在`, "domain does not exist", refines `不存在`): the more specific words win."""
    for longer, other in load_refinements().get(matched, ()):
        if other != reason and longer in text:
            return other
    return None


@cache
def _markers() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Provider markers split into codes (one token) and wordings (with spaces)."""
    markers = load_markers()
    return (
        tuple(m for m in markers if " " not in m[0]),
        tuple(m for m in markers if " " in m[0]),
    )


def by_text(text: str, stage: str | None = None) -> str | None:
    """The reason of the first rule whose phrase or regex occurs in `text`."""
    found = match_text(text, stage)
    return found[0] if found else None


def by_status(status: str | None, rules: ClassifyRules | None = None) -> str | None:
    if not status or status[:1] not in "45" or status.count(".") != 2:
        return None
    table = (rules or load_rules()).status
    return table.get(status) or table.get("X." + status.split(".", 1)[1])


def temporary_of(found: Found, reason: str | None) -> bool | None:
    if reason == "greylisted":
        return True
    if found.status and found.status[0] in "245":
        return found.status[0] == "4"
    if found.reply_code:
        return found.reply_code[0] == "4"
    if (found.action or "").lower() == "delayed":
        return True
    if (found.action or "").lower() == "failed":
        return False
    return None


def _status_wins(textual: str | None, coded: str) -> bool:
    """Whether the status code's reason beats the phrase's (a precise code, a vague phrase)."""
    if textual is None:
        return True
    if coded == "expired":
        return textual in VAGUE_TEXT  # a queue timeout code says how it ended; words say why
    if coded in _SIZE and textual in _SIZE:
        return True
    if coded in PRECISE_STATUS:
        return True
    return textual in VAGUE_TEXT and coded not in ("systemerror", "networkerror", "syntaxerror")


_CONTINUATION_RE = re.compile(r"(?<![\w.-])[245][0-9][0-9]-(?:[245]\.[0-9]{1,3}\.[0-9]{1,3} )?")


def _joined(diagnostic: str) -> str:
    """The diagnostic lower-cased on one line, without the `550-5.7.1 ` that starts each
    continuation line of a multi-line reply (Gmail cuts sentences there), so phrases match across."""
    text = " ".join(diagnostic.lower().split())
    if text.count("-", 0, 2000) and len(_CONTINUATION_RE.findall(text, 0, 4000)) > 1:
        text = " ".join(_CONTINUATION_RE.sub(" ", text).split())
    return text


def _deferred(found: Found, text: str) -> bool:
    """Whether the text reports a delay that is still being retried, not a returned message."""
    return (found.action or "").lower() == "delayed" or "deferred" in text


def reason_of(found: Found) -> str:
    """The reason for one recipient; never None (undefined when nothing at all is known)."""
    if found.hint == "vacation":
        said = " ".join(found.diagnostic.lower().split())
        if any(p in said for p in load_rules().retired):
            return "suspend"  # "this inbox is no longer in use": a dead address, not an absence
    if found.hint:
        return found.hint
    action = (found.action or "").lower()
    if (found.status or "").startswith("2.") or action in ("delivered", "relayed", "expanded"):
        return "delivered"
    rules = load_rules()
    text = _joined(found.diagnostic)
    for host in rules.hosts:
        if host.applies(found.remote_host, found.recipient):
            meant = host.reason(found.status, found.stage, text)
            if meant:
                return meant  # the provider's own meaning of its answer
    matched = match_text(text, found.stage)
    textual, strong, directory, provider = matched if matched else (None, False, False, False)
    coded = by_status(found.status, rules)
    reason = textual
    if provider and textual:
        return textual
    if found.diagnostic_type.upper() == "X-UNIX" and textual not in _STORE_FULL:
        return "mailererror"  # a local delivery program (procmail, a pipe) failed
    if coded in _SIZE and textual in _SIZE:
        strong = False  # X.2.3 (the recipient's limit) and X.3.4 (the system's) say which size
    if coded and textual != coded and not strong and _status_wins(textual, coded):
        reason = coded
    if reason == "networkerror" and "timed out" in text and not _deferred(found, text):
        reason = "expired"  # a bounce about timeouts: the queue gave up retrying
    if reason == "hostunknown" and (found.status or "").startswith("4."):
        reason = "networkerror"  # a DNS failure reported as temporary: the lookup, not the name
    stage = found.stage
    if stage is None and not found.whole:
        stage = "RCPT"  # a pasted line without context: most unknown-user answers come at RCPT
    if (
        reason == "userunknown"
        and coded != "userunknown"
        and stage != "RCPT"
        and (stage == "DATA" or not directory)
    ):
        # an unknown-user answer given after DATA (or at an unknown stage with a vague status) is
        # the recipient's filter speaking, not the directory
        reason = "filtered"
    if stage == "MAIL" and not strong and reason in _NOT_SENDER:
        reason = "rejected"  # refused at MAIL FROM: the sender address, not the recipient
    if (
        stage in ("CONN", "HELO")
        and reason in _NOT_CLIENT
        and (not strong or reason in _NO_MAILBOX_YET)
    ):
        reason = "blocked"  # refused before any address was named: the client itself
    if reason in (None, "onhold") and found.reply_code:
        reason = rules.reply.get(found.reply_code, reason)
    if reason is None and found.recipient and "@" in found.recipient:
        reason = rules.domain.get(found.recipient.rsplit("@", 1)[1].lower())
    if reason is None and action == "delayed":
        reason = "expired"
    if reason is None:
        reason = "onhold" if text else "undefined"
    return reason
