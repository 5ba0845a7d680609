"""Builds the /mailtrack Reply from tracks (pure): a table, then each failed track explained."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.conntrack.model import Step, Track, TrackStatus
from handlers.reply import Reply, Section, Status
from knowledge.loader import KnowledgeBase, load

TABLE_ROWS = 30
EXPLAINED = 5
EXCERPT = 25


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%m-%d %H:%M:%S")


def _kind(t: Track, kb: KnowledgeBase, lang: str) -> str:
    if t.protocol != "smtp":
        return t.protocol.upper()
    return kb.text(f"conntrack.direction.{t.direction}", lang)


def _table(tracks: list[Track], kb: KnowledgeBase, lang: str) -> str:
    head = [kb.text(f"conntrack.col.{c}", lang) for c in ("time", "direction", "peer", "status")]
    rows = [head]
    for t in tracks[:TABLE_ROWS]:
        other = t.recipient if t.direction == "outbound" else t.sender
        peer = " ".join(x for x in (t.client, other) if x) or "-"
        status = kb.text(f"conntrack.status.{t.status}", lang)
        rows.append([stamp(t.time), _kind(t, kb, lang), peer[:60], status])
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        "  ".join([*(r[i].ljust(widths[i]) for i in range(3)), r[3]]).rstrip() for r in rows
    )


def _meaning(t: Track, kb: KnowledgeBase, lang: str) -> tuple[str, tuple[str, ...]]:
    """What the reply means (codes, classifier reason, step) and the fix steps."""
    parts: list[str] = []
    fix: list[str] = []
    reply = kb.reply_codes.get(t.reply_code)
    if reply is not None:
        parts.append(f"{t.reply_code}: {reply.meaning.get(lang)}")
    status = kb.status(t.status_code) if t.status_code else None
    if status is not None:
        parts.append(f"{t.status_code}: {status.meaning.get(lang)}")
    reason = _classify(t.reason) if t.reason else None
    if reason is None and status is not None and status.reason:
        reason = status.reason
    known = kb.reasons.get(reason or "")
    step = t.failed_step.value or "unknown"
    if known is not None and reason not in ("undefined", "delivered"):
        parts.append(f"{known.title.get(lang)}: {known.summary.get(lang)}")
        fix.extend(known.fix.get(lang))
    elif t.failed_step is not Step.NONE:
        parts.append(kb.text(f"conntrack.meaning.{step}", lang))
    if not fix:
        fix.append(kb.text(f"conntrack.fix.{step}", lang))
    return "\n".join(parts), tuple(fix)


def _classify(line: str) -> str | None:
    try:
        from handlers.bounce import classify_text
    except ImportError:  # the bounce reader is optional for this module
        return None
    found = classify_text(line[:4000]).recipients
    return found[0].reason if found else None


def _explained(t: Track, kb: KnowledgeBase, lang: str) -> list[Section]:
    status = kb.text(f"conntrack.status.{t.status}", lang)
    heading = kb.text(
        "conntrack.failed.heading",
        lang,
        time=stamp(t.time),
        direction=_kind(t, kb, lang),
        peer=t.client or "-",
        status=status,
    )
    step = t.failed_step.value or "unknown"
    meaning, fix = _meaning(t, kb, lang)
    fields = [
        (kb.text("conntrack.field.who", lang), f"{t.sender or '<>'} → {t.recipient or '-'}"),
        (kb.text("conntrack.field.step", lang), kb.text(f"conntrack.step.{step}", lang)),
        (kb.text("conntrack.field.reply", lang), t.reason or "-"),
        (kb.text("conntrack.field.meaning", lang), meaning),
    ]
    level = Status.WARN if t.status is TrackStatus.DEFERRED else Status.FAIL
    sections = [Section(heading=heading, status=level, fields=tuple(fields), steps=fix)]
    if t.transcript:
        sections.append(
            Section(
                heading=kb.text("conntrack.transcript", lang, id=t.id),
                code="\n".join(line[:240] for line in t.transcript[-EXCERPT:]),
                in_thread=True,
            )
        )
    return sections


def build_reply(
    address: str, window: str, appliance: str, tracks: list[Track], lang: str, total: int
) -> Reply:
    """The answer for `tracks` (newest first); `total` counts tracks before the table's cut."""
    kb = load()
    title = kb.text("conntrack.title", lang, address=address)
    if not tracks:
        text = kb.text("conntrack.none", lang, address=address, appliance=appliance, window=window)
        return Reply(title=title, summary=text, status=Status.INFO, lang=lang)
    failed = [t for t in tracks if t.status.failed]
    deferred = [t for t in failed if t.status is TrackStatus.DEFERRED]
    grey = [t for t in tracks if t.status is TrackStatus.GREYLISTED]
    summary = kb.text(
        "conntrack.summary",
        lang,
        count=total,
        appliance=appliance,
        window=window,
        failed=len(failed) - len(deferred),
        deferred=len(deferred),
        greylisted=len(grey),
    )
    text = ""
    if len(tracks) > TABLE_ROWS:
        text = kb.text("conntrack.more", lang, shown=TABLE_ROWS, count=total)
    sections = [
        Section(heading=kb.text("conntrack.table", lang), text=text, code=_table(tracks, kb, lang))
    ]
    for t in failed[:EXPLAINED]:
        sections.extend(_explained(t, kb, lang))
    if len(failed) > EXPLAINED:
        sections.append(
            Section(
                heading="…",
                text=kb.text("conntrack.more_failed", lang, count=len(failed) - EXPLAINED),
            )
        )
    if grey:
        sections.append(
            Section(
                heading=kb.text("conntrack.status.greylisted", lang),
                status=Status.INFO,
                text=kb.text("conntrack.greylisted", lang),
            )
        )
    worst = Status.OK
    if deferred:
        worst = Status.WARN
    if len(failed) > len(deferred):
        worst = Status.FAIL
    return Reply(
        title=title,
        summary=summary,
        status=worst,
        sections=tuple(sections),
        lang=lang,
        data={"tracks": [t.as_json() for t in tracks]},
    )
