"""Turns /mailcheck findings into a Reply: the one thing to fix first, then findings and fix steps."""

from __future__ import annotations

from typing import Any

from handlers.mailcheck.judge import CHECK_ORDER, first_to_fix
from handlers.mailcheck.judge.say import Say
from handlers.reply import Finding, Reply, Section, Status

MAX_STEPS = 8


def verdict(findings: list[Finding]) -> Status:
    return Status.worst([f.status for f in findings]) if findings else Status.UNKNOWN


def build_reply(
    target_text: str, kind: str, findings: list[Finding], lang: str, data: dict[str, Any]
) -> Reply:
    say = Say(lang)
    status = verdict(findings)
    first = first_to_fix(findings)
    counts = {s: sum(1 for f in findings if f.status == s) for s in Status}
    tally = say(
        "tally",
        fail=counts[Status.FAIL],
        warn=counts[Status.WARN],
        unknown=counts[Status.UNKNOWN],
        ok=counts[Status.OK],
    )
    if first is None:
        summary = say("verdict.ok", target=target_text) + "\n" + tally
    else:
        summary = say(
            f"verdict.{first.status}", check=first.check, subject=first.subject, detail=first.detail
        )
        summary += "\n" + tally
    problems = tuple(f for f in findings if f.status != Status.OK)
    sections = []
    if problems:
        sections.append(Section(heading=say("heading.problems"), status=status, findings=problems))
    for check in CHECK_ORDER:
        group = tuple(f for f in findings if f.check == check)
        if group:
            sections.append(
                Section(
                    heading=say(f"heading.{check}"),
                    status=Status.worst(list(f.status for f in group)),
                    findings=group,
                    in_thread=True,
                )
            )
    steps: list[str] = []
    ordered = ([first] if first else []) + [f for f in problems if f is not first]
    for f in ordered:
        for step in f.fix:
            if step not in steps:
                steps.append(step)
    return Reply(
        title=say("title", target=target_text, kind=say(f"kind.{kind}")),
        summary=summary,
        status=status,
        sections=tuple(sections),
        steps=tuple(steps[:MAX_STEPS]),
        lang=lang,
        data=data,
    )
