"""Reads knowledge/classify.toml: the ordered text rules and code tables that name a bounce reason."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent / "classify.toml"
PROVIDERS = Path(__file__).resolve().parent / "providers.toml"
REASONS = Path(__file__).resolve().parent / "reasons"
# reasons a report's structure decides (a success DSN, an auto-reply, a complaint), never its words
_STRUCTURAL = frozenset({"delivered", "vacation", "feedback"})
STAGES = ("CONN", "HELO", "MAIL", "RCPT", "DATA", "STARTTLS", "AUTH")


class RulesError(Exception):
    """classify.toml is missing, not TOML, or breaks the schema; the message says where."""


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """Lower-case substrings and linear regexes that, found in a diagnostic, name `reason`."""

    reason: str
    phrases: tuple[str, ...]
    regexes: tuple[str, ...] = ()
    stage: str = ""
    strong: bool = False  # beats the reason a precise status code names (5.1.1 + "blacklisted")
    # a directory's own answer ("not listed in Domino directory"): names the reason even when the
    # SMTP stage is unknown, where a bare "user unknown" might be a content filter speaking
    directory: bool = False
    # a provider's own code (Orange `LPN007_416`): its reason stands whatever status or stage say
    final: bool = False


def _under(name: str, suffixes: tuple[str, ...]) -> bool:
    """Whether `name` is one of `suffixes` or a name below one (label by label: beau.com is not
    under au.com)."""
    return bool(name) and any(name == s or name.endswith("." + s) for s in suffixes)


@dataclass(frozen=True, slots=True)
class HostRules:
    """What one provider's servers mean by their answers: a file in knowledge/hosts/.

    Applies when the host that refused ends with one of `hosts`, or (with no refusing host named)
    the recipient's domain ends with one of `domains`. Tried before the general rules: `status`
    (exact enhanced code), then `phrases` (lower-case substring, in file order), then, for a bare
    X.0.0 or no status, `stage` (the SMTP command the answer was given to).
    """

    name: str
    hosts: tuple[str, ...]
    domains: tuple[str, ...]
    status: Mapping[str, str]
    phrases: tuple[tuple[str, str], ...]
    stage: Mapping[str, str]

    def applies(self, host: str | None, recipient: str | None) -> bool:
        if host:
            # the name alone: `lsean.ezweb.ne.jp. (27.85.176.228, ...)` -> `lsean.ezweb.ne.jp`
            name = host.split(None, 1)[0].split("(", 1)[0].strip("[]").rstrip(".").lower()
            return _under(name, self.hosts)
        domain = recipient.rsplit("@", 1)[1].lower() if recipient and "@" in recipient else ""
        return _under(domain.rstrip("."), self.domains)

    def reason(self, status: str | None, stage: str | None, text: str) -> str | None:
        if status and status in self.status:
            return self.status[status]
        for phrase, reason in self.phrases:
            if phrase in text:
                return reason
        if (status is None or status.endswith(".0.0")) and stage:
            return self.stage.get(stage)
        return None


@dataclass(frozen=True, slots=True)
class ClassifyRules:
    rules: tuple[PhraseRule, ...]
    status: Mapping[str, str]  # "X.1.1" -> reason
    reply: Mapping[str, str]  # "552" -> reason
    domain: Mapping[str, str]  # recipient domain -> reason when the text says nothing known
    # an auto-reply saying the mailbox is no longer used: a dead address, not an absence
    retired: tuple[str, ...] = ()
    hosts: tuple[HostRules, ...] = ()

    @property
    def reasons(self) -> frozenset[str]:
        return frozenset(
            [r.reason for r in self.rules]
            + list(self.status.values())
            + list(self.reply.values())
            + list(self.domain.values())
            + [r for h in self.hosts for r in (*h.status.values(), *h.stage.values())]
            + [r for h in self.hosts for _, r in h.phrases]
        )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{PATH}: {where}: expected a list of non-empty strings")
    return tuple(value)


def _table(data: Mapping[str, Any], key: str) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, Mapping) or not all(isinstance(v, str) for v in table.values()):
        raise RulesError(f"{PATH}: [{key}]: expected a table of strings")
    return dict(table)


def _suffixes(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    return tuple(x.lower().strip(".") for x in _strings(item.get(key, []), f"{where}.{key}"))


def parse_host(item: Mapping[str, Any], where: str) -> HostRules:
    """Check and convert one knowledge/hosts/*.toml document."""
    if not isinstance(item.get("name"), str):
        raise RulesError(f"{where}: needs a `name`")
    unknown = set(item) - {"name", "hosts", "domains", "source", "status", "phrases", "stage"}
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    hosts, domains = _suffixes(item, "hosts", where), _suffixes(item, "domains", where)
    if not hosts and not domains:
        raise RulesError(f"{where}: needs `hosts` or `domains` (suffixes it applies to)")
    stages = _table(item, "stage")
    if any(k not in STAGES for k in stages):
        raise RulesError(f"{where}: [stage]: keys must be among {STAGES}")
    return HostRules(
        name=item["name"],
        hosts=hosts,
        domains=domains,
        status=_table(item, "status"),
        phrases=tuple((k.lower(), v) for k, v in _table(item, "phrases").items()),
        stage=stages,
    )


def parse(data: Mapping[str, Any]) -> ClassifyRules:
    """Check and convert the TOML document's data."""
    rules = []
    raw = data.get("rule", [])
    if not isinstance(raw, list):
        raise RulesError(f"{PATH}: rule: expected an array of tables")
    for i, item in enumerate(raw, 1):
        where = f"rule[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("reason"), str):
            raise RulesError(f"{PATH}: {where}: needs a `reason`")
        stage = str(item.get("stage", ""))
        if stage and stage not in STAGES:
            raise RulesError(f"{PATH}: {where}: stage `{stage}` is not one of {STAGES}")
        phrases = _strings(item.get("phrases", []), f"{where}.phrases")
        rules.append(
            PhraseRule(
                reason=item["reason"],
                phrases=tuple(p.lower() for p in phrases),
                regexes=_strings(item.get("regex", []), f"{where}.regex"),
                stage=stage,
                strong=bool(item.get("strong", False)),
                directory=bool(item.get("directory", False)),
                final=bool(item.get("final", False)),
            )
        )
    autoreply = data.get("autoreply", {})
    if not isinstance(autoreply, Mapping):
        raise RulesError(f"{PATH}: [autoreply]: expected a table")
    retired = _strings(autoreply.get("retired", []), "autoreply.retired")
    return ClassifyRules(
        rules=tuple(rules),
        status=_table(data, "status"),
        reply=_table(data, "reply"),
        domain=_table(data, "domain"),
        retired=tuple(p.lower() for p in retired),
    )


@cache
def load_rules(path: Path = PATH) -> ClassifyRules:
    """The shipped classification rules, read once per process (from the user's cache when the
    file has not changed since it was last parsed)."""
    from knowledge.cache import cached, default_dir

    host_files = sorted((path.parent / "hosts").glob("*.toml"))

    def build() -> ClassifyRules:
        import dataclasses
        import tomllib

        def read(file: Path) -> dict[str, Any]:
            try:
                with file.open("rb") as fh:
                    return tomllib.load(fh)
            except FileNotFoundError as exc:
                raise RulesError(f"{file}: file is missing") from exc
            except tomllib.TOMLDecodeError as exc:
                raise RulesError(f"{file}: not valid TOML: {exc}") from exc

        rules = parse(read(path))
        hosts = tuple(parse_host(read(f), str(f)) for f in host_files)
        return dataclasses.replace(rules, hosts=hosts)

    if not path.is_file():
        return build()  # names the missing file
    files = [path, *host_files, Path(__file__)]
    return cached("rules", files, build, ClassifyRules, (PhraseRule, HostRules), default_dir())


_CODE_TABLE_RE = re.compile(r"^\[\[code\]\]", re.M)
_STRING_FIELD_RE = re.compile(r'^(marker|reason)\s*=\s*"((?:[^"\\\n]|\\.){0,500})"', re.M)


@cache
def load_markers(path: Path = PROVIDERS) -> tuple[tuple[str, str], ...]:
    """(lower-case marker, reason) of every provider-specific code in providers.toml.

    Only the two string fields the classifier needs, read without a TOML parse so that the bounce
    reader starts fast; knowledge.loader checks the same file in full, and a test checks that both
    readings agree.
    """
    from knowledge.cache import cached, default_dir

    def build() -> tuple[tuple[str, str], ...]:
        import json

        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"{path}: cannot read provider markers: {exc}") from exc
        out = []
        for table in _CODE_TABLE_RE.split(text)[1:]:
            fields: dict[str, str] = {}
            for m in _STRING_FIELD_RE.finditer(table):
                fields.setdefault(m.group(1), json.loads('"' + m.group(2) + '"'))
            if fields.get("marker", "").strip() and fields.get("reason"):
                out.append((fields["marker"].lower(), fields["reason"]))
        return tuple(out)

    if not path.is_file():
        return build()  # names the unreadable file
    return cached("markers", [path, Path(__file__)], build, tuple, (), default_dir())


@cache
def load_reason_phrases(directory: Path = REASONS) -> tuple[tuple[str, str], ...]:
    """(lower-case phrase, reason) of every reason file's `phrases`, longest phrase first.

    The classifier tries these after the ordered rules of classify.toml, so a wording a reason file
    lists (`信箱滿了`, `查無此人`) is recognised even where no rule names it; knowledge.loader checks
    the files in full.
    """
    from knowledge.cache import cached, default_dir

    paths = sorted(directory.glob("*.toml"))

    def build() -> tuple[tuple[str, str], ...]:
        import tomllib

        pairs: list[tuple[str, str]] = []
        for path in paths:
            try:
                with path.open("rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise RulesError(f"{path}: cannot read the reason's phrases: {exc}") from exc
            name = data.get("name")
            phrases = data.get("phrases", [])
            if not isinstance(name, str) or name in _STRUCTURAL or not isinstance(phrases, list):
                continue
            pairs.extend((p.lower(), name) for p in phrases if isinstance(p, str) and p.strip())
        return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))

    files = [*paths, Path(__file__)]
    return cached("reason-phrases", files, build, tuple, (), default_dir())


@cache
def load_refinements() -> dict[str, tuple[tuple[str, str], ...]]:
    """Rule phrase -> the reason files' longer phrases that contain it (longest first), for every
    rule that is not `final`: a longer wording inside the text refines the rule's reason."""
    from knowledge.cache import cached, default_dir

    def build() -> dict[str, tuple[tuple[str, str], ...]]:
        longer = load_reason_phrases()
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        for phrase in {p for r in load_rules().rules if not r.final for p in r.phrases}:
            found = tuple((lp, reason) for lp, reason in longer if lp != phrase and phrase in lp)
            if found:
                out[phrase] = found
        return out

    files = [PATH, *sorted(REASONS.glob("*.toml")), Path(__file__)]
    if not all(f.is_file() for f in files[:1]):
        return build()
    return cached("refinements", files, build, dict, (), default_dir())
