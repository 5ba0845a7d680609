"""Alert records of the monitor, their outbox payload, and the chat Reply each one becomes.

Return codes are worded with the knowledge base in the reader's language (handlers.dnsbl_codes):
each code's meaning (each flag of a bitmask list), and for an unusable answer the list's meaning of
its refusal or error code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.dnsbl import blocklist_for
from handlers.dnsbl_codes import read_code, say_why
from handlers.reply import Kind, Reply, Section, Status
from knowledge.loader import load

KINDS = ("listed", "delisted", "list_unreachable")
WHOLE_LIST = "*"  # the target of a list_unreachable alert about a whole blocklist
SHOW_ADDRESSES = 20
FIX_STEPS = ("monitor.fix.1", "monitor.fix.2", "monitor.fix.3", "monitor.fix.4")


@dataclass(frozen=True, slots=True)
class Alert:
    """One change worth telling people about. `key` is stable: re-judging the same change gives it."""

    kind: str  # listed | delisted | list_unreachable
    target: str  # an IP, a domain, a watched range, or "*" for the whole list
    zone: str
    key: str
    codes: tuple[str, ...] = ()
    txt: str = ""
    delist_url: str = ""
    why: str = ""
    at: float = 0.0
    since: float = 0.0  # list_unreachable: when the silence began
    addresses: tuple[str, ...] = ()  # a range's addresses that changed together (target = range)

    @property
    def incident(self) -> str:
        """Alerts of one incident thread together: a target on one list."""
        return f"{self.target}|{self.zone}"

    def as_json(self) -> dict[str, Any]:
        """The CLI's `--json` object."""
        return {
            "kind": self.kind,
            "target": self.target,
            "zone": self.zone,
            "codes": list(self.codes),
            "txt": self.txt,
            "delist_url": self.delist_url,
            "why": self.why,
            **({"addresses": list(self.addresses)} if self.addresses else {}),
        }

    def payload(self) -> dict[str, Any]:
        """What the outbox keeps, enough to rebuild the alert after a restart."""
        return {**self.as_json(), "key": self.key, "at": self.at, "since": self.since}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Alert:
        return cls(
            kind=str(data["kind"]),
            target=str(data["target"]),
            zone=str(data["zone"]),
            key=str(data.get("key", "")),
            codes=tuple(str(c) for c in data.get("codes", ())),
            txt=str(data.get("txt", "")),
            delist_url=str(data.get("delist_url", "")),
            why=str(data.get("why", "")),
            at=float(data.get("at", 0.0)),
            since=float(data.get("since", 0.0)),
            addresses=tuple(str(a) for a in data.get("addresses", ())),
        )


def _meanings(zone: str, codes: tuple[str, ...], lang: str) -> list[str]:
    """`code: meaning` for each code, as the knowledge base reads it on `zone`."""
    blocklist = blocklist_for(zone)
    return [f"{code}: {read_code(blocklist, code).meaning.get(lang)}" for code in codes]


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def render_alert(alert: Alert, lang: str) -> Reply:
    """The chat message for an alert, in `lang`."""
    kb = load()
    why = say_why(blocklist_for(alert.zone), alert.why, lang)
    values = {"target": alert.target, "zone": alert.zone, "why": why or "-"}
    fields: list[tuple[str, str]] = [(kb.text("monitor.field.zone", lang), alert.zone)]
    if alert.addresses:
        shown = ", ".join(alert.addresses[:SHOW_ADDRESSES])
        more = len(alert.addresses) - SHOW_ADDRESSES
        if more > 0:
            shown += " " + kb.text("monitor.and_more", lang, count=more)
        fields.append((kb.text("monitor.field.addresses", lang, count=len(alert.addresses)), shown))
    steps: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    if alert.kind == "listed":
        status = Status.FAIL
        meanings = _meanings(alert.zone, alert.codes, lang)
        fields += [(kb.text("monitor.field.code", lang), m) for m in meanings]
        if alert.txt:
            fields.append((kb.text("monitor.field.txt", lang), alert.txt))
        if alert.delist_url:
            fields.append((kb.text("monitor.field.delist", lang), alert.delist_url))
            references = (alert.delist_url,)
        delist = alert.delist_url or kb.text("monitor.no_delist_url", lang)
        steps = tuple(kb.text(key, lang, zone=alert.zone, delist_url=delist) for key in FIX_STEPS)
        summary = kb.text(
            "monitor.summary.listed", lang, meaning="; ".join(meanings) or "-", **values
        )
    elif alert.kind == "delisted":
        status = Status.OK
        if alert.codes:
            was = "; ".join(_meanings(alert.zone, alert.codes, lang))
            fields.append((kb.text("monitor.field.was", lang), was))
        summary = kb.text("monitor.summary.delisted", lang, **values)
    else:
        status = Status.UNKNOWN
        if alert.target == WHOLE_LIST:
            summary = kb.text("monitor.summary.list_broken", lang, **values)
        else:
            fields.append((kb.text("monitor.field.since", lang), _when(alert.since)))
            summary = kb.text("monitor.summary.list_unreachable", lang, **values)
        steps = (kb.text("monitor.fix.resolver", lang),)
    title_key = (
        "monitor.title.list_broken" if alert.target == WHOLE_LIST else f"monitor.title.{alert.kind}"
    )
    return Reply(
        title=kb.text(title_key, lang, **values),
        summary=summary,
        status=status,
        sections=(Section(heading=kb.text("monitor.heading.details", lang), fields=tuple(fields)),),
        steps=steps,
        references=references,
        lang=lang,
        kind=Kind.ALERT,
        data={"alert": alert.as_json(), "key": alert.key},  # the key lets a chat find it again
    )
