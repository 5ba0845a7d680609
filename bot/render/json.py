"""JSON rendering: the whole Reply as plain data, for `--json` and for scripts."""

from __future__ import annotations

from typing import Any

from handlers.reply import Reply, Section


def section_data(s: Section) -> dict[str, Any]:
    return {
        "heading": s.heading,
        "status": None if s.status is None else str(s.status),
        "text": s.text,
        "fields": [list(f) for f in s.fields],
        "findings": [f.as_json() for f in s.findings],
        "steps": list(s.steps),
        "code": s.code,
        "in_thread": s.in_thread,
    }


def reply_data(reply: Reply) -> dict[str, Any]:
    return {
        "title": reply.title,
        "summary": reply.summary,
        "status": str(reply.status),
        "kind": str(reply.kind),
        "lang": reply.lang,
        "sections": [section_data(s) for s in reply.sections],
        "steps": list(reply.steps),
        "references": list(reply.references),
        "actions": list(reply.actions),
        "incident_id": reply.incident_id,
        "data": dict(reply.data),
    }
